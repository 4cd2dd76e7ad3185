"""The managers' pages in a real browser: AB岗排班与在岗情况 and 好差评, and the 空岗提醒 banner
on the B person's counter page and the manager's page.

As in ``test_pages.py``: ``hall serve`` in a child process on a fresh data directory,
Debian's Chromium headless through Playwright, outcomes checked through the public API. The
hall file is the demo hall open round the clock (the post watcher only alerts in opening
hours, and these tests run whenever CI does), watched every 0.2 s. Screenshots go to
``test-artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.common import DESK, KIOSK_AUTH, PAD_AUTH, Shots, act, log_in, staff_login
from tests.support import Server
from tests.test_posts_alerts import open_all_day_hall

MANAGER_DESK = {"width": 1366, "height": 768}


@pytest.fixture
def server_env(server_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The demo hall open round the clock, its posts watched every 0.2 s."""
    return {**server_env, "HALL_FILES": str(open_all_day_hall(tmp_path)), "HALL_POST_WATCH": "0.2"}


@pytest.fixture
def shots() -> Shots:
    return Shots(options={"full_page": True})


def manager_page(new_page: Callable[..., Page], server: Server, which: str) -> Page:
    page = new_page(MANAGER_DESK)
    page.goto(f"{server.url}/halls/demo/manage/{which}")
    expect(page.locator("#work")).to_be_hidden()  # nothing before signing in
    log_in(page, "manager", "demo-manager")
    expect(page.locator("#work")).to_be_visible()
    expect(page.locator("#who")).to_have_text("王海（大厅负责人）")
    return page


def live(page: Page) -> None:
    """The page's hall channel is open: an alert from now on reaches it."""
    expect(page.locator("html")).to_have_attribute("data-alerts", "live")


def roster_row(page: Page, counter: int):  # type: ignore[no-untyped-def]
    return page.locator(f'#roster .post[data-counter="{counter}"]')


# ---------------------------------------------------------------- AB posts


def test_the_roster_is_set_on_the_posts_page_and_read_back(new_page, server, api, shot) -> None:
    page = manager_page(new_page, server, "posts")
    today = page.locator("#day").input_value()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", today)
    expect(page.locator("#roster-status")).to_have_text("该日尚未排班")
    expect(page.locator("#roster .post")).to_have_count(14)
    row = roster_row(page, 6)
    expect(row.locator(".post-name")).to_have_text("6号 企业服务窗口")
    row.locator('select[name="a"]').select_option("zhangwei")
    row.locator('select[name="b"]').select_option(label="李娜 · lina")
    page.get_by_role("button", name="保存 Save").click()
    expect(page.locator("#roster-status")).to_have_text(f"已保存 {today} 的排班")
    manager = staff_login(api, "manager", "demo-manager")
    roster = api.get(f"/api/halls/demo/roster/{today}", headers=manager)
    assert roster.json() == [{"counter": 6, "a": "zhangwei", "b": "lina"}], roster.text

    # The same person as A and B: the server refuses, the page says why, nothing is saved.
    roster_row(page, 7).locator('select[name="a"]').select_option("lina")
    roster_row(page, 7).locator('select[name="b"]').select_option("lina")
    page.get_by_role("button", name="保存 Save").click()
    status = page.locator("#roster-status")
    expect(status).to_contain_text("未保存：A岗与B岗不能为同一人")
    expect(status).to_contain_text("must be two people")
    expect(status).to_have_class(re.compile(r"\berror\b"))
    assert api.get(f"/api/halls/demo/roster/{today}", headers=manager).json() == roster.json()

    # Another day has its own roster; back to today, the saved one is shown again.
    page.locator("#day").fill("2030-01-07")
    page.locator("#day").dispatch_event("change")
    expect(page.locator("#roster-status")).to_have_text("该日尚未排班")
    expect(roster_row(page, 6).locator('select[name="a"]')).to_have_value("")
    expect(page.locator("#from")).to_have_value("2030-01-07")
    page.locator("#day").fill(today)
    page.locator("#day").dispatch_event("change")
    expect(roster_row(page, 6).locator('select[name="a"]')).to_have_value("zhangwei")
    expect(roster_row(page, 6).locator('select[name="b"]')).to_have_value("lina")

    # Coverage: zhangwei, A of counter 6, serves there now; counter 7 has nobody all day.
    zhangwei = staff_login(api, "zhangwei", "demo-staff")
    act(api, zhangwei, 6, "sign-in")
    act(api, zhangwei, 6, "open")
    page.get_by_role("button", name="查询 Show").click()
    six = page.locator('#coverage tbody tr[data-counter="6"]')
    expect(six).to_have_count(1)
    expect(six.locator("td").nth(2)).to_have_text("张伟")
    expect(six.locator("td").nth(3)).to_have_text("李娜")
    expect(six.locator('.seg[data-who="A"]')).to_have_count(1)
    expect(six.locator('.seg[data-who="A"]')).to_have_attribute("title", re.compile(r"^\d\d:\d\d–\d\d:\d\d A岗 张伟$"))
    served = six.locator('.seg[data-who="A"]').bounding_box()
    bar = six.locator(".timeline").bounding_box()
    assert served and bar and served["width"] < bar["width"] / 100, "a minute at most: a sliver of the day"
    seven = page.locator('#coverage tbody tr[data-counter="7"]')
    expect(seven.locator(".seg")).to_have_count(1)
    expect(seven.locator('.seg[data-who="empty"]')).to_have_attribute("title", re.compile("空岗：无人签到$"))
    assert float(seven.locator('[data-minutes="a"]').inner_text()) == 0
    shot(page, "manage-posts-roster")

    # Not 28 drop-downs a day: the day before copied onto a day, then its week as a template.
    page.locator("#day").fill("2030-01-08")  # a Tuesday
    page.locator("#day").dispatch_event("change")
    api.put(
        "/api/halls/demo/roster/2030-01-07", json=[{"counter": 2, "a": "wangfang", "b": "liuyang"}], headers=manager
    )
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile("复制前一天到本日")).click()
    expect(page.locator("#roster-status")).to_have_text("已复制到 1 天")
    expect(roster_row(page, 2).locator('select[name="a"]')).to_have_value("wangfang")
    page.locator("#template-weeks").select_option("2")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile("填充")).click()
    expect(page.locator("#roster-status")).to_have_text("已复制到 14 天")
    for day in ("2030-01-14", "2030-01-22"):  # the Monday a week on, the Tuesday two weeks on
        assert api.get(f"/api/halls/demo/roster/{day}", headers=manager).json()[1] == {
            "counter": 2, "a": "wangfang", "b": "liuyang"
        }  # fmt: skip
    page.once("dialog", lambda dialog: dialog.dismiss())  # asked first: dismissed, nothing copied
    page.get_by_role("button", name=re.compile("复制上周到本周")).click()
    expect(page.locator("#roster-status")).to_have_text("已复制到 14 天")
    kept = api.get("/api/halls/demo/roster/2030-01-07", headers=manager).json()
    assert kept == [{"counter": 2, "a": "wangfang", "b": "liuyang"}]


def test_the_b_person_and_the_manager_see_the_empty_post_alert(new_page, server, api, shot) -> None:
    manager = staff_login(api, "manager", "demo-manager")
    today = api.get("/api/halls/demo/queue").json()["day"]
    put = api.put(
        f"/api/halls/demo/roster/{today}", json=[{"counter": 6, "a": "zhangwei", "b": "lina"}], headers=manager
    )
    assert put.status_code == 200, put.text
    zhangwei = staff_login(api, "zhangwei", "demo-staff")
    act(api, zhangwei, 6, "sign-in")
    act(api, zhangwei, 6, "open")

    # lina (B of counter 6) at her own counter 7; wangfang, B of nothing, at counter 8
    lina = new_page(DESK)
    lina.goto(f"{server.url}/halls/demo/counters/7")
    log_in(lina, "lina", "demo-staff")
    expect(lina.locator("#desk")).to_be_visible()
    other = new_page(DESK)
    other.goto(f"{server.url}/halls/demo/counters/8")
    log_in(other, "wangfang", "demo-staff")
    expect(other.locator("#desk")).to_be_visible()
    boss = manager_page(new_page, server, "posts")
    for page in (lina, other, boss):
        live(page)
        expect(page.get_by_role("alert")).to_have_count(0)

    # A QY01 ticket waits, and zhangwei pauses: counter 6 is empty.
    ticket = api.post("/api/halls/demo/tickets", json={"item": "QY01"}, headers=KIOSK_AUTH)
    assert ticket.status_code == 201, ticket.text
    act(api, zhangwei, 6, "pause", reason="开会")
    words = "【空岗提醒】6号 企业服务窗口无人在岗，1人等候；B岗 李娜 请补位"
    banner = lina.get_by_role("alert")
    expect(banner).to_have_count(1)
    expect(banner).to_contain_text(words)
    expect(banner).to_have_attribute("data-counter", "6")
    expect(boss.get_by_role("alert")).to_contain_text(words)
    expect(lina.locator("#desk")).to_be_visible()  # the desk works as before
    expect(lina.locator('[data-do="sign-in"]')).to_be_enabled()
    shot(lina, "alert-counter-page")
    shot(boss, "manage-posts-alert")
    lina.wait_for_timeout(500)
    expect(other.get_by_role("alert")).to_have_count(0)  # not wangfang's post to cover

    # lina dismisses hers; the manager's goes away once zhangwei serves the post again.
    lina.get_by_role("button", name="知道了：6号 企业服务窗口空岗提醒").click()
    expect(lina.get_by_role("alert")).to_have_count(0)
    act(api, zhangwei, 6, "open")
    expect(boss.get_by_role("alert")).to_have_count(0)

    # The coverage on the manager's page counts the empty spell, with its reason.
    boss.get_by_role("button", name="查询 Show").click()
    empty = boss.locator('#coverage tbody tr[data-counter="6"] .seg[data-who="empty"]').last
    expect(empty).to_have_attribute("title", re.compile("空岗：开会$"))


# ---------------------------------------------------------------- 好差评


def serve_one(api: httpx.Client, clerk: dict, counter: int = 1) -> tuple[dict, int]:
    """A QY01 ticket issued, called and completed at ``counter``; the ticket and the completion's seq."""
    ticket = api.post("/api/halls/demo/tickets", json={"item": "QY01"}, headers=KIOSK_AUTH).json()
    called = act(api, clerk, counter, "call-next")
    assert called["id"] == ticket["id"]
    act(api, clerk, counter, "complete", ticket=ticket["id"])
    return ticket, api.get("/api/halls/demo/queue").json()["seq"]


def rate(api: httpx.Client, service: int, **body: object) -> dict:
    response = api.post("/api/halls/demo/ratings", json={"service": service, **body}, headers=PAD_AUTH)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_bad_rating_is_replied_to_on_the_ratings_page(new_page, server, api, shot) -> None:
    zhangwei = staff_login(api, "zhangwei", "demo-staff")
    act(api, zhangwei, 1, "sign-in")
    act(api, zhangwei, 1, "open")
    good, first = serve_one(api, zhangwei)
    bad, second = serve_one(api, zhangwei)
    rate(api, first, level="very_satisfied")
    rate(api, second, level="dissatisfied", reason="服务态度不好", text="态度冷淡", phone="13812345678")

    page = manager_page(new_page, server, "ratings")
    rows = page.locator("#cases tbody tr")
    expect(rows).to_have_count(1)
    case = rows.first
    expect(case).to_have_attribute("data-number", bad["number"])
    expect(case).to_contain_text("企业设立登记")
    expect(case).to_contain_text("1号 无差别综合窗口")
    expect(case).to_contain_text("张伟")
    expect(case.locator(".level")).to_have_text("不满意")
    expect(case.locator(".reason")).to_have_text("服务态度不好")
    expect(case.locator("q")).to_have_text("态度冷淡")
    expect(case).to_contain_text("实名 138****5678")
    expect(case.locator(".case-state")).to_have_text("待处理")
    expect(case.locator(".deadline")).to_have_text(re.compile(r"^期限 \d{4}-\d\d-\d\d$"))
    expect(case.locator(".overdue-tag")).to_have_count(0)  # just opened
    expect(case.locator(".case-buttons button")).to_have_text(["回复", "申诉"])
    expect(page.locator("#cases-summary")).to_have_text("共 1 件")

    # Statistics by counter: two ratings at counter 1, one bad, its real-name case not yet answered.
    stats = page.locator('#stats tbody tr[data-key="1"]')
    expect(stats.locator("th")).to_have_text("1号 无差别综合窗口")
    expect(stats.locator("td")).to_have_text(["2", "1", "0", "0", "1", "0", "6.50", "50.0%", "1", "0", "0.0%"])
    expect(page.locator("#stats thead th").filter(has_text="平均分")).to_contain_text("满分 10")  # the scale
    shot(page, "manage-ratings-open")

    # Nothing to say: the page asks for it and sends nothing.
    case.get_by_role("button", name="回复").click()
    expect(page.locator("#toast")).to_have_text("请填写处理内容")
    case.get_by_role("textbox").fill("已电话联系群众致歉，并加强窗口服务培训")
    case.get_by_role("button", name="回复").click()
    expect(case.locator(".case-state")).to_have_text("已回复")
    expect(case.locator(".record")).to_contain_text("回复：已电话联系群众致歉，并加强窗口服务培训")
    expect(case.locator(".record li").last).to_contain_text("王海")  # who replied
    expect(case.locator(".case-buttons button")).to_have_text(["整改", "申诉"])
    expect(stats.locator("td")).to_have_text(["2", "1", "0", "0", "1", "0", "6.50", "50.0%", "1", "1", "100.0%"])
    manager = staff_login(api, "manager", "demo-manager")
    [stored] = api.get("/api/halls/demo/rating-cases", headers=manager).json()
    assert (stored["state"], stored["reply"], stored["number"]) == (
        "replied",
        "已电话联系群众致歉，并加强窗口服务培训",
        bad["number"],
    )
    assert good["number"] != bad["number"]

    # Other groupings: by staff member, by day.
    page.locator("#stats-by").select_option("staff")
    expect(page.locator("#stats-key")).to_have_text("人员")
    expect(page.locator('#stats tbody tr[data-key="zhangwei"] th')).to_have_text("张伟 · zhangwei")
    page.locator("#stats-by").select_option("item")
    expect(page.locator('#stats tbody tr[data-key="QY01"] th')).to_have_text("企业设立登记 · QY01")
    # the filter by state
    page.locator("#case-state").select_option("open")
    expect(page.locator("#cases tbody tr")).to_have_count(0)
    expect(page.locator("#no-cases")).to_be_visible()
    page.locator("#case-state").select_option("replied")
    expect(page.locator("#cases tbody tr")).to_have_count(1)
    shot(page, "manage-ratings-replied")

    # An overdue case stands out (the server's clock cannot be moved on here: its answer is).
    def overdue(route: Route) -> None:
        if route.request.method != "GET":
            route.fallback()
            return
        answer = route.fetch()
        route.fulfill(response=answer, json=[{**c, "overdue": True} for c in answer.json()])

    page.route("**/api/halls/demo/rating-cases?*", overdue)
    page.locator("#case-state").select_option("")
    expect(case.locator(".overdue-tag")).to_have_text("超期")
    expect(case).to_have_class(re.compile(r"\boverdue\b"))
    expect(page.locator("#cases-summary")).to_have_text("共 1 件，超期 1 件")


def test_the_manager_calls_back_a_real_name_bad_rating_on_the_case_page(new_page, server, api, shot) -> None:
    """回访 (DB31/T 862 10.1.4): the phone is masked until the manager opens it for the call; each
    call-back is recorded with its outcome, who and when; a call that reached the citizen answers
    the case; the deadline tier can be set (1、5、15 working days, or solved on the spot)."""
    zhangwei = staff_login(api, "zhangwei", "demo-staff")
    act(api, zhangwei, 1, "sign-in")
    act(api, zhangwei, 1, "open")
    _, service = serve_one(api, zhangwei)
    rate(api, service, level="very_dissatisfied", reasons=["服务态度不好"], phone="13812345678")

    page = manager_page(new_page, server, "ratings")
    case = page.locator("#cases tbody tr").first
    expect(case.locator(".tier")).to_have_text("时限 5个工作日")
    expect(case).to_contain_text("回访 138****5678")
    expect(case.locator(".phone")).to_be_hidden()
    assert "13812345678" not in page.content()
    case.get_by_role("button", name="查看号码").click()
    expect(case.locator(".phone")).to_have_text("13812345678")
    expect(case.locator(".phone")).to_have_attribute("href", "tel:13812345678")

    # Nobody answers: recorded, the case stays open.
    case.get_by_role("combobox", name=re.compile("^回访结果")).select_option("no_answer")
    case.get_by_role("button", name="记录回访").click()
    expect(page.locator("#toast")).to_have_text("请填写处理内容")  # a note is needed
    case.get_by_role("textbox").fill("无人接听，稍后再拨")
    case.get_by_role("button", name="记录回访").click()
    expect(case.locator(".case-state")).to_have_text("待处理")
    expect(case.locator(".phone")).to_be_hidden()  # gone from the page with the refresh
    steps = case.locator(".record li")
    expect(steps).to_have_count(2)
    expect(steps.nth(0)).to_contain_text("查看号码 王海")
    expect(steps.nth(1)).to_contain_text("回访（未接通）：无人接听，稍后再拨 王海")

    # The second call reaches the citizen: the case is answered.
    case.get_by_role("combobox", name=re.compile("^回访结果")).select_option("reached")
    case.get_by_role("textbox").fill("已致歉，群众表示理解")
    case.get_by_role("button", name="记录回访").click()
    expect(case.locator(".case-state")).to_have_text("已回复")
    expect(steps).to_have_count(3)
    expect(steps.nth(2)).to_contain_text("回访（已接通并答复）：已致歉，群众表示理解 王海")

    # A simple fix: one working day from the day it opened.
    case.get_by_role("combobox", name=re.compile("^整改时限")).select_option("one_day")
    case.get_by_role("button", name="设定时限").click()
    expect(case.locator(".tier")).to_have_text("时限 1个工作日")
    expect(steps.nth(3)).to_contain_text("定级 1个工作日")
    manager = staff_login(api, "manager", "demo-manager")
    [stored] = api.get("/api/halls/demo/rating-cases", headers=manager).json()
    assert stored["tier"] == "one_day" and stored["state"] == "replied"
    expect(case.locator(".deadline")).to_have_text(f"期限 {stored['deadline']}")
    assert [s["action"] for s in stored["steps"]] == ["phone", "call_back", "call_back", "tier"]
    shot(page, "manage-ratings-call-back")


def test_a_clerk_account_does_not_open_the_managers_pages(new_page, server) -> None:
    page = new_page(MANAGER_DESK)
    page.goto(f"{server.url}/halls/demo/manage/ratings")
    log_in(page, "lina", "demo-staff")
    expect(page.locator("#toast")).to_have_text("该账号不是管理人员，无权查看此页面")
    expect(page.locator("#work")).to_be_hidden()
    expect(page.locator("#login")).to_be_visible()
