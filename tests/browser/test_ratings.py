"""好差评 in a real browser: the counter's evaluation pad (评价器) and the ticket's status page.

Each test starts ``hall serve`` as a child process on a fresh data directory and opens the pad in
Debian's Chromium, headless, through Playwright, with the demo hall's pad token in the address
(``#token=demo-pad-token``), as a technician sets up a tablet. The clerk signs in, calls and
completes through the public API, as the counter's caller does; the test taps the pad as the
citizen would and checks the outcome through the managers' API (statistics, follow-up cases).
Screenshots go to ``test-artifacts/`` (pad-idle.png, pad-request.png, pad-bad.png) and
``test-artifacts/ratings/``.

Where the pad works on timers (back to idle after the hall's ``pad_timeout_seconds``), the test
pauses the page's clock and moves it on by hand; the websocket itself is real.
"""

from __future__ import annotations

import base64
import colorsys
import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from config.halls import load_hall
from counters.ratings import add_working_days
from tests.browser.common import (
    KIOSK_AUTH,
    PAD_AUTH,
    PAD_TOKEN,
    PHONE,
    Shots,
    act,
    contrast_of,
    fits_without_scrolling,
    inside_viewport,
    pause_clock,
    wait_for,
)
from tests.support import DEMO_HALL, Server, login, running

TABLET_LANDSCAPE = {"width": 1280, "height": 800}
TABLET_PORTRAIT = {"width": 800, "height": 1280}
LEVELS = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
HALL = load_hall(DEMO_HALL)
REASONS = list(HALL.ratings.bad_reasons)


@pytest.fixture
def server_env(server_env: dict[str, str]) -> dict[str, str]:
    # The tests move the pad's clock on by a minute and more (its timeout): with heartbeats
    # every 15 s its channel would take that for silence and reconnect, missing what comes meanwhile.
    return {**server_env, "HALL_DEVICE_HEARTBEAT": "120"}


@pytest.fixture
def shots() -> Shots:
    return Shots("ratings", {"animations": "disabled"})


# ---------------------------------------------------------------- helpers


def sign_in_and_open(api: httpx.Client, clerk: dict[str, str], counter: int = 1) -> None:
    act(api, clerk, counter, "sign-in")
    act(api, clerk, counter, "open")


def serve_one(api: httpx.Client, clerk: dict[str, str], item: str = "QY01", counter: int = 1) -> dict:
    """A ticket issued at the machine, called and completed at ``counter`` by the clerk."""
    response = api.post("/api/halls/demo/tickets", json={"item": item}, headers=KIOSK_AUTH)
    assert response.status_code == 201, response.text
    ticket = response.json()
    assert act(api, clerk, counter, "call-next")["id"] == ticket["id"]
    act(api, clerk, counter, "complete", ticket=ticket["id"])
    return ticket


def open_pad(page: Page, server: Server, counter: int = 1, token: str | None = PAD_TOKEN) -> Page:
    page.goto(f"{server.url}/halls/demo/counters/{counter}/pad" + (f"#token={token}" if token else ""))
    if token == PAD_TOKEN:
        wait_for(page, "window.PAD.log.snapshots >= 1")
    return page


def level(page: Page, label: str):
    return page.locator("#levels .pad-level").filter(has_text=re.compile(rf"^{label}")).first


def stats_by_counter(api: httpx.Client, manager: dict[str, str]) -> list[dict]:
    response = api.get("/api/halls/demo/ratings/stats", params={"by": "counter"}, headers=manager)
    assert response.status_code == 200, response.text
    return response.json()


def everything_shown(page: Page, *selectors: str) -> None:
    """The page needs no scrolling, and each of these is drawn whole inside the screen."""
    fits_without_scrolling(page)
    for selector in selectors:
        locator = page.locator(selector)
        for index in range(locator.count()):
            inside_viewport(page, locator.nth(index))


# ---------------------------------------------------------------- the pad: a good rating


@pytest.mark.parametrize("viewport", [TABLET_LANDSCAPE, TABLET_PORTRAIT], ids=["landscape", "portrait"])
def test_pad_rates_a_completed_service(new_page, server, api, manager, clerk, shot, viewport) -> None:
    portrait = viewport is TABLET_PORTRAIT
    page = open_pad(new_page(viewport), server)
    assert "token" not in page.url, "the device token stays out of the address bar"
    expect(page).to_have_title("1号 无差别综合窗口 · 评价器")
    expect(page.locator("#setup")).to_be_hidden()
    expect(page.locator("#conn")).to_be_hidden()

    # Idle, nobody at the counter yet.
    expect(page.locator("#idle")).to_be_visible()
    expect(page.locator("#pad-counter")).to_have_text("1号 无差别综合窗口")
    expect(page.locator("#staff-name")).to_have_text("暂停服务")
    expect(page.locator("#staff-no")).to_have_text("未签到")
    expect(page.locator(".pad-welcome")).to_contain_text("欢迎对我们的服务进行评价")

    # 张伟 signs in at counter 1: his name and staff number.
    sign_in_and_open(api, clerk)
    expect(page.locator("#staff-name")).to_have_text("张伟")
    expect(page.locator("#staff-no")).to_have_text("工号 S001")
    expect(page.locator("#pad-state")).to_be_hidden()  # open: nothing more to say
    everything_shown(page, ".pad-head", ".pad-staff-card", ".pad-welcome")
    shot(page, "idle", None if portrait else "pad-idle.png")

    # A service completed at the counter: the pad asks to rate it.
    ticket = serve_one(api, clerk)
    expect(page.locator("#request")).to_be_visible()
    expect(page.locator("#idle")).to_be_hidden()
    expect(page.locator("#request .pad-title")).to_contain_text("请对本次服务进行评价")
    expect(page.locator("#req-number")).to_have_text(ticket["number"])
    expect(page.locator("#req-item")).to_have_text("企业设立登记")
    expect(page.locator("#req-staff")).to_have_text("张伟")
    buttons = page.locator("#levels .pad-level")
    expect(buttons).to_have_count(5)
    for index, label in enumerate(LEVELS):
        expect(buttons.nth(index)).to_contain_text(label)
    everything_shown(page, "#request .pad-title", "#service", "#levels .pad-level")
    # Large enough for any finger, and coloured from green to red.
    for index in range(5):
        box = buttons.nth(index).bounding_box()
        assert box and box["width"] >= 120 and box["height"] >= 120, box
    colours = [buttons.nth(i).evaluate("b => getComputedStyle(b).backgroundColor") for i in range(5)]
    hues = [colorsys.rgb_to_hsv(*(int(v) / 255 for v in re.findall(r"\d+", c)[:3]))[0] * 360 for c in colours]
    assert hues == sorted(hues, reverse=True) and hues[0] > 90 and hues[-1] < 10, colours  # green … red
    for i in range(5):  # every level's words readable on its colour (WCAG AA, 4.5:1), the English too
        for part in (buttons.nth(i), buttons.nth(i).locator(".en")):
            fore, opacity = part.evaluate("e => [getComputedStyle(e).color, getComputedStyle(e).opacity]")
            assert opacity == "1" and contrast_of(fore, colours[i]) >= 4.5, (LEVELS[i], fore, opacity, colours[i])
    shot(page, "request", None if portrait else "pad-request.png")

    # 非常满意: posted at once, thanks, back to idle after about 3 s.
    with page.expect_response("**/api/halls/demo/ratings") as answer:
        level(page, "非常满意").click()
    assert answer.value.status == 201
    rated = answer.value.json()
    assert (rated["number"], rated["level"], rated["channel"], rated["staff_name"]) == (
        ticket["number"],
        "very_satisfied",
        "pad",
        "张伟",
    )
    expect(page.locator("#done")).to_be_visible()
    expect(page.locator("#done-text")).to_have_text("感谢您的评价")
    shot(page, "thanks")
    expect(page.locator("#idle")).to_be_visible(timeout=6_000)
    expect(page.locator("#staff-name")).to_have_text("张伟")

    [one] = stats_by_counter(api, manager)
    assert (one["key"], one["ratings"], one["score"], one["levels"]["very_satisfied"]) == ("1", 1, 10.0, 1)


# ---------------------------------------------------------------- the pad: a bad rating


def test_pad_bad_rating_needs_a_reason_and_opens_a_case(new_page, server, api, manager, clerk, shot) -> None:
    page = open_pad(new_page(TABLET_LANDSCAPE), server)
    sign_in_and_open(api, clerk)
    expect(page.locator("#staff-name")).to_have_text("张伟")
    ticket = serve_one(api, clerk, item="QY02")
    expect(page.locator("#req-number")).to_have_text(ticket["number"])

    # 不满意, then 返回: the five levels again, nothing sent.
    level(page, "不满意").click()
    expect(page.locator("#bad")).to_be_visible()
    page.locator("#bad-back").click()
    expect(page.locator("#request")).to_be_visible()

    level(page, "非常不满意").click()
    expect(page.locator("#bad")).to_be_visible()
    expect(page.locator("#request")).to_be_hidden()
    expect(page.locator("#bad-level")).to_have_text("非常不满意")
    reasons = page.locator("#reasons .pad-reason")
    expect(reasons).to_have_text(REASONS)  # the hall's reasons, in its order
    submit = page.locator("#bad-submit")
    expect(submit).to_be_disabled()
    page.locator("#bad-text").fill("排队等了一个多小时，叫号后窗口又临时离开")
    expect(submit).to_be_disabled()  # text alone is not enough: a reason first
    reasons.filter(has_text="等候时间过长").click()
    expect(reasons.filter(has_text="等候时间过长")).to_have_attribute("aria-checked", "true")
    expect(submit).to_be_enabled()
    # More than one thing went wrong: a second reason, a third taken back, never more than three.
    reasons.filter(has_text="服务态度不好").click()
    reasons.filter(has_text="业务不熟练").click()
    reasons.filter(has_text="业务不熟练").click()
    expect(reasons.filter(has_text="业务不熟练")).to_have_attribute("aria-checked", "false")
    for name in ("业务不熟练", "一次告知不清", "其他"):
        reasons.filter(has_text=name).click()
    expect(page.locator('#reasons [aria-checked="true"]')).to_have_count(3)  # the fourth tap did nothing
    expect(reasons.filter(has_text="一次告知不清")).to_have_attribute("aria-checked", "false")
    reasons.filter(has_text="业务不熟练").click()  # taken back: two reasons go
    assert page.evaluate("window.PAD.log.posted") == []
    everything_shown(page, "#bad .pad-title", "#reasons .pad-reason", "#bad-text", "#bad-back", "#bad-submit")
    shot(page, "bad", "pad-bad.png")

    with page.expect_response("**/api/halls/demo/ratings") as answer:
        submit.click()
    assert answer.value.status == 201, answer.value.text()
    sent = answer.value.request.post_data_json
    assert sent == {
        "service": page.evaluate("window.PAD.log.requests.at(-1).service"),
        "level": "very_dissatisfied",
        "reasons": ["等候时间过长", "服务态度不好"],
        "text": "排队等了一个多小时，叫号后窗口又临时离开",
    }
    expect(page.locator("#done-text")).to_have_text("感谢您的评价")
    expect(page.locator("#idle")).to_be_visible(timeout=6_000)

    # A follow-up case, open, due within the hall's working days.
    response = api.get("/api/halls/demo/rating-cases", headers=manager)
    assert response.status_code == 200, response.text
    [case] = response.json()
    assert (case["state"], case["reason"], case["level"], case["number"]) == (
        "open",
        "等候时间过长、服务态度不好",
        "very_dissatisfied",
        ticket["number"],
    )
    assert case["text"] == "排队等了一个多小时，叫号后窗口又临时离开" and not case["overdue"]
    served_day = dt.datetime.fromisoformat(case["served_at"]).astimezone(ZoneInfo(HALL.info.timezone)).date()
    deadline = add_working_days(served_day, HALL.ratings.case_working_days, HALL.rules.hours)
    assert case["deadline"] == deadline.isoformat()
    [one] = stats_by_counter(api, manager)
    assert (one["ratings"], one["score"], one["bad_share"]) == (1, 0.0, 1.0)

    # Portrait: the reasons, the text and the buttons fit as well.
    serve_one(api, clerk, item="QY02")
    page.set_viewport_size(TABLET_PORTRAIT)
    level(page, "不满意").click()
    expect(page.locator("#bad")).to_be_visible()
    everything_shown(page, "#bad .pad-title", "#reasons .pad-reason", "#bad-text", "#bad-back", "#bad-submit")
    shot(page, "bad-portrait")


# ---------------------------------------------------------------- once per service; the ticket's page


def test_a_service_is_rated_once_on_the_pad_or_the_tickets_page(new_page, server, api, manager, clerk, shot) -> None:
    pad = open_pad(new_page(TABLET_LANDSCAPE), server)
    sign_in_and_open(api, clerk)

    # Rated on the pad; again through the API with the pad's token: refused.
    first = serve_one(api, clerk)
    expect(pad.locator("#req-number")).to_have_text(first["number"])
    service = pad.evaluate("window.PAD.log.requests.at(-1).service")
    level(pad, "满意").click()
    expect(pad.locator("#done-text")).to_have_text("感谢您的评价")
    again = api.post("/api/halls/demo/ratings", json={"service": service, "level": "basic"}, headers=PAD_AUTH)
    assert again.status_code == 409 and again.json()["detail_zh"] == "该次服务已评价，感谢您的反馈"

    # Its ticket's page offers no rating: it says it is rated.
    phone = new_page(PHONE, is_mobile=True, has_touch=True)
    phone.goto(f"{server.url}/halls/demo/tickets/{first['id']}")
    expect(phone.locator("#t-state")).to_have_text("已办结")
    expect(phone.locator("#rate")).to_be_hidden()
    expect(phone.locator("#rate-done")).to_be_visible()
    expect(phone.locator("#rate-done")).to_contain_text("已评价")
    shot(phone, "ticket-rated")

    # The next service is left unrated on the pad. Its ticket's page by the id alone (what the
    # clerk saw at his counter) shows the status and says to scan the slip: no form.
    second = serve_one(api, clerk)
    expect(pad.locator("#req-number")).to_have_text(second["number"])
    phone.goto(f"{server.url}/halls/demo/tickets/{second['id']}")
    expect(phone.locator("#t-state")).to_have_text("已办结")
    expect(phone.locator("#rate")).to_be_hidden()
    expect(phone.locator("#rate-slip")).to_be_visible()
    expect(phone.locator("#rate-slip")).to_contain_text("请扫描取号凭条上的二维码")
    shot(phone, "ticket-no-key")
    # The slip's link (its QR code, with the rating key) offers the rating.
    phone.goto(f"{server.url}/halls/demo/tickets/{second['id']}?k={second['rating_key']}")
    expect(phone.locator("#rate-slip")).to_be_hidden()
    form = phone.locator("#rate")
    expect(form).to_be_visible()
    expect(phone.locator("#rate-done")).to_be_hidden()
    expect(form.locator(".rate-level")).to_have_count(5)
    for index, label in enumerate(LEVELS):
        expect(form.locator(".rate-level").nth(index)).to_contain_text(label)
    submit = phone.locator("#rate-submit")
    expect(submit).to_be_disabled()
    # A bad level asks for a reason (submit waits for it); a good one does not.
    form.locator(".rate-level").filter(has_text="不满意").first.click()
    expect(phone.locator("#rate-bad")).to_be_visible()
    expect(phone.locator("#rate-reasons .rate-reason")).to_have_text(REASONS)
    expect(submit).to_be_disabled()
    form.locator(".rate-level").filter(has_text="基本满意").click()
    expect(phone.locator("#rate-bad")).to_be_hidden()
    expect(submit).to_be_enabled()
    # The phone number: optional, 11 digits if given.
    phone.locator("#rate-phone").fill("1381234")
    submit.click()
    expect(phone.locator("#rate-error")).to_have_text("请填写 11 位手机号，或留空")
    phone.locator("#rate-phone").fill("13812345678")
    expect(phone.locator("#rate-error")).to_be_hidden()
    shot(phone, "ticket-form")
    with phone.expect_response("**/api/halls/demo/ratings") as answer:
        submit.click()
    assert answer.value.status == 201, answer.value.text()
    assert answer.value.request.post_data_json == {
        "ticket_id": second["id"],
        "rating_key": second["rating_key"],
        "level": "basic",
        "phone": "13812345678",
    }
    assert (answer.value.json()["channel"], answer.value.json()["score"]) == ("web", 6)
    expect(form).to_be_hidden()
    expect(phone.locator("#rate-done")).to_contain_text("感谢您的评价")
    shot(phone, "ticket-thanks")

    # Meanwhile the pad still asks about it: a tap there is told it is already rated, then idle.
    level(pad, "非常满意").click()
    expect(pad.locator("#done-text")).to_have_text("该次服务已评价，感谢您的反馈")
    expect(pad.locator("#idle")).to_be_visible(timeout=6_000)

    # A page opened before the service ended offers the rating once it reads the ticket completed;
    # a bad rating there names its reason.
    response = api.post("/api/halls/demo/tickets", json={"item": "QY01"}, headers=KIOSK_AUTH)
    third = response.json()
    early = new_page(PHONE, is_mobile=True, has_touch=True)
    pause_clock(early)
    early.goto(f"{server.url}/halls/demo/tickets/{third['id']}?k={third['rating_key']}")
    expect(early.locator("#t-state")).to_have_text("等候中")
    expect(early.locator("#rate")).to_be_hidden()
    act(api, clerk, 1, "call-next")
    act(api, clerk, 1, "complete", ticket=third["id"])
    early.clock.run_for(10_000)
    expect(early.locator("#t-state")).to_have_text("已办结")
    expect(early.locator("#rate")).to_be_visible()
    early.locator(".rate-level").filter(has_text="非常不满意").click()
    early.locator("#rate-reasons .rate-reason").filter(has_text="业务不熟练").click()
    early.locator("#rate-text").fill("材料看了三遍")
    with early.expect_response("**/api/halls/demo/ratings") as answer:
        early.locator("#rate-submit").click()
    assert answer.value.status == 201, answer.value.text()
    expect(early.locator("#rate-done")).to_contain_text("感谢您的评价")
    [case] = api.get("/api/halls/demo/rating-cases", headers=manager).json()
    assert (case["number"], case["reason"], case["text"]) == (third["number"], "业务不熟练", "材料看了三遍")

    [one] = stats_by_counter(api, manager)
    assert one["ratings"] == 3 and one["levels"] == {
        "very_satisfied": 0,
        "satisfied": 1,
        "basic": 1,
        "dissatisfied": 0,
        "very_dissatisfied": 1,
    }


# ---------------------------------------------------------------- timers, replacements, reconnects, errors


def test_pad_times_out_takes_the_newest_request_and_never_replays_one(new_page, server, api, clerk) -> None:
    page = new_page(TABLET_LANDSCAPE)
    pause_clock(page)  # the pad's timers run only when the test says
    open_pad(page, server)
    timeout = page.evaluate("window.PAD.timeout")
    assert timeout == HALL.ratings.pad_timeout_seconds == 60
    sign_in_and_open(api, clerk)
    expect(page.locator("#staff-name")).to_have_text("张伟")

    # A newer completion replaces an unanswered request.
    first, second = serve_one(api, clerk), serve_one(api, clerk)
    expect(page.locator("#req-number")).to_have_text(second["number"])
    assert [r["number"] for r in page.evaluate("window.PAD.log.requests")] == [first["number"], second["number"]]

    # Nobody taps: back to idle after the hall's timeout, not before.
    page.clock.run_for((timeout - 1) * 1000)
    expect(page.locator("#request")).to_be_visible()
    page.clock.run_for(2_000)
    expect(page.locator("#idle")).to_be_visible()

    # A tap gives another full timeout.
    third = serve_one(api, clerk)
    expect(page.locator("#req-number")).to_have_text(third["number"])
    page.clock.run_for(50_000)
    level(page, "不满意").click()
    page.clock.run_for(50_000)
    expect(page.locator("#bad")).to_be_visible()
    page.clock.run_for(11_000)
    expect(page.locator("#idle")).to_be_visible()

    # A lost connection: a completion meanwhile is not shown, nor is one by the snapshot on reconnecting.
    fourth = serve_one(api, clerk)
    expect(page.locator("#req-number")).to_have_text(fourth["number"])
    page.clock.run_for(timeout * 1000 + 1000)
    expect(page.locator("#idle")).to_be_visible()
    page.evaluate("window.PAD.channel.ws.close()")
    expect(page.locator("#conn")).to_be_visible()
    serve_one(api, clerk)
    page.clock.run_for(2_000)  # the first retry, after about a second
    wait_for(page, "window.PAD.log.snapshots === 2")
    expect(page.locator("#conn")).to_be_hidden()
    expect(page.locator("#idle")).to_be_visible()
    assert len(page.evaluate("window.PAD.log.requests")) == 4

    # The network fails on a tap: a message, the request stays to be tapped again.
    fifth = serve_one(api, clerk)
    expect(page.locator("#req-number")).to_have_text(fifth["number"])
    page.route("**/api/halls/demo/ratings", lambda route: route.abort())
    level(page, "满意").click()
    expect(page.locator("#toast")).to_contain_text("网络连接失败")
    expect(page.locator("#request")).to_be_visible()
    expect(level(page, "满意")).to_be_enabled()
    page.unroute("**/api/halls/demo/ratings")
    level(page, "满意").click()
    expect(page.locator("#done-text")).to_have_text("感谢您的评价")
    page.clock.run_for(3_500)
    expect(page.locator("#idle")).to_be_visible()
    assert [p["status"] for p in page.evaluate("window.PAD.log.posted")] == [0, 201]


def test_pad_without_a_token_says_how_to_set_it_up(new_page, server, api, clerk) -> None:
    page = open_pad(new_page(TABLET_LANDSCAPE), server, token=None)
    expect(page.locator("#setup")).to_be_visible()
    expect(page.locator("#setup")).to_contain_text("/halls/demo/counters/1/pad#token=")
    expect(page.locator("#conn")).to_be_hidden()
    sign_in_and_open(api, clerk)
    serve_one(api, clerk)
    page.wait_for_timeout(500)
    expect(page.locator("#idle")).to_be_visible()
    assert page.evaluate("window.PAD.log.requests") == []


def test_the_pad_shows_the_clerks_photo_when_the_hall_file_has_one(new_page, tmp_path: Path) -> None:
    # a picture in the hall file (a data URL here; a hall would serve /static/staff/….jpg)
    svg = "<svg xmlns='http://www.w3.org/2000/svg' width='60' height='80'><rect width='60' height='80'/></svg>"
    picture = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    text = DEMO_HALL.read_text(encoding="utf-8").replace(
        'staff_no = "S001"\n', f'staff_no = "S001"\nphoto = "{picture}"\n', 1
    )
    hall = tmp_path / "demo.toml"
    hall.write_text(text, encoding="utf-8")
    env = {"HALL_DATA_DIR": str(tmp_path / "var"), "HALL_FILES": str(hall), "HALL_LOG_FORMAT": "text"}
    with running(env, log=tmp_path / "server.log") as live, httpx.Client(base_url=live.url, timeout=10) as api:
        zhangwei = login(api, "zhangwei", "demo-staff")
        page = open_pad(new_page({"width": 1280, "height": 800}), live)
        expect(page.locator("#staff-photo")).to_be_hidden()  # nobody signed in yet
        sign_in_and_open(api, zhangwei)
        photo = page.locator("#staff-photo")
        expect(photo).to_be_visible()
        expect(page.locator("#staff-name")).to_have_text("张伟")
        assert page.evaluate("document.getElementById('staff-photo').naturalWidth") == 60
