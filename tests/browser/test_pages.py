"""The pages in a real browser: the ticket machine, the counter's virtual caller and the ticket status page.

Each test starts ``hall serve`` as a child process on a fresh data directory (as an operator
would) and drives Debian's Chromium headless through Playwright. The tests look at what a
person sees (texts, what is shown or hidden, which buttons can be pressed) and check the
outcome through the public API. Screenshots go to ``test-artifacts/pages/``.

The counter page and the status page poll the server on timers; those tests pause the page's
clock (Playwright's fake timers) and move it on by hand, so that every update on the screen is
the one the test caused and nothing races a click.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.common import (
    DESK,
    KIOSK_AUTH,
    LANDSCAPE,
    PHONE,
    PORTRAIT,
    Shots,
    contrast_of,
    inside_viewport,
    item_button,
    log_in,
    no_sideways_scroll,
    overlay,
    pause_clock,
    slip_ticket_id,
    staff_login,
)
from tests.support import Server

# What an item's button and a ticket say while no counter for it is staffed (by the hour the
# test runs: the next opening time today, or that none is open)
UNSTAFFED = r"(\d\d:\d\d 开始办理|暂无法估计等候时间，请咨询服务台)"
SMALL_DESK = {"width": 1024, "height": 768}  # an older counter PC
COUNTER_PC = {"width": 1366, "height": 768}  # a counter PC as halls buy them (issue 13's device sizes)


DEMO_TABS = ["企业服务", "社保医保", "不动产登记", "住房公积金", "公安户政", "税务服务", "跨省通办", "出件领证"]


@pytest.fixture
def shots() -> Shots:
    return Shots("pages")


# ---------------------------------------------------------------- helpers


def issue(api: httpx.Client, item: str, **body) -> dict:
    response = api.post("/api/halls/demo/tickets", json={"item": item, **body}, headers=KIOSK_AUTH)
    assert response.status_code == 201, response.text
    return response.json()


def ticket(api: httpx.Client, ticket_id: str) -> dict:
    response = api.get(f"/api/halls/demo/tickets/{ticket_id}")
    assert response.status_code == 200, response.text
    return response.json()


def waiting(api: httpx.Client) -> int:
    return api.get("/api/halls/demo/queue").json()["waiting"]


# ---- the ticket machine


def kiosk(
    new_page: Callable[..., Page],
    server: Server,
    viewport: dict[str, int],
    token: str | None,
    paused: bool = False,
    touch: bool = False,
) -> Page:
    """The kiosk page; ``paused``: its timers run only when the test moves its clock on; ``touch``:
    on a touch screen (the browser takes taps, as the kiosk's own does)."""
    page = new_page(viewport, has_touch=touch)
    if paused:
        pause_clock(page)
    page.goto(f"{server.url}/halls/demo/kiosk" + (f"#token={token}" if token else ""))
    expect(page.locator("[data-tab]")).to_have_count(len(DEMO_TABS))
    return page


def close_slip(page: Page) -> None:
    page.get_by_role("button", name="完成 Done").click()
    expect(overlay(page)).to_be_hidden()


# ---- the counter page


def do(page: Page, action: str) -> Locator:
    return page.locator(f'[data-do="{action}"]')


def counter_desk(new_page: Callable[..., Page], server: Server, counter: int = 1) -> Page:
    """Counter ``counter``'s page, logged in as zhangwei, signed in there and open."""
    page = new_page(DESK)
    pause_clock(page)
    page.goto(f"{server.url}/halls/demo/counters/{counter}")
    log_in(page, "zhangwei", "demo-staff")
    expect(page.locator("#desk")).to_be_visible()
    do(page, "sign-in").click()
    expect(page.locator("#who")).to_have_text("签到：张伟")
    do(page, "open").click()
    expect(page.locator("#state-badge")).to_have_text("服务中")
    expect(do(page, "open")).to_be_disabled()
    return page


def enabled_actions(page: Page) -> set[str]:
    return set(
        page.eval_on_selector_all("[data-do]", "buttons => buttons.filter(b => !b.disabled).map(b => b.dataset.do)")
    )


def call_next(page: Page, number: str) -> None:
    do(page, "call-next").click()
    expect(page.locator("#cur-number")).to_have_text(number)


# ---------------------------------------------------------------- the ticket machine


@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
def test_kiosk_tabs_and_two_tickets_of_one_group(new_page, server, api, shot, viewport) -> None:
    page = kiosk(new_page, server, viewport, token="demo-kiosk-token")
    assert "token" not in page.url, "the device token stays in the address bar"
    expect(page.locator("#setup")).to_be_hidden()
    expect(page).to_have_title("取号 · 示范区政务服务中心")

    # Domain tabs, in Chinese, all on screen; the first one is chosen.
    tabs = page.get_by_role("tab")
    expect(tabs).to_have_text(DEMO_TABS)
    for index in range(len(DEMO_TABS)):
        inside_viewport(page, tabs.nth(index))
    expect(tabs.first).to_have_attribute("aria-selected", "true")
    expect(item_button(page, "QY01")).to_be_visible()
    expect(item_button(page, "SB01")).to_be_hidden()
    # An item shows its Chinese name first, the English one under it.
    expect(item_button(page, "QY01")).to_have_text(
        re.compile(rf"^\s*企业设立登记\s*Company registration\s*等候 0 人\s*{UNSTAFFED}\s*$")
    )
    chinese_bottom, english_top = item_button(page, "QY01").evaluate(
        """button => {
          const range = document.createRange();
          range.selectNodeContents(button.firstElementChild.firstChild);  // the Chinese name's text
          return [range.getBoundingClientRect().bottom, button.querySelector(".en").getBoundingClientRect().top];
        }"""
    )
    assert english_top >= chinese_bottom - 1, "the English name is not under the Chinese one"
    inside_viewport(page, page.locator(".kiosk-foot"))
    inside_viewport(page, page.get_by_role("button", name=re.compile("绿色通道")))
    no_sideways_scroll(page)

    # Switching to 社保医保 shows its four items, and only those.
    page.get_by_role("tab", name="社保医保").click()
    expect(page.get_by_role("tab", name="社保医保")).to_have_attribute("aria-selected", "true")
    expect(tabs.first).to_have_attribute("aria-selected", "false")
    panel = page.locator('[role="tabpanel"]:visible')
    expect(panel).to_have_count(1)
    expect(panel.locator(".item-btn")).to_have_count(4)
    for name in ("社会保险参保登记", "社会保障卡申领", "退休待遇申领", "医疗保险参保登记"):
        expect(panel.get_by_role("button", name=re.compile(name))).to_be_visible()
    expect(item_button(page, "QY01")).to_be_hidden()
    for code in ("SB01", "SB02", "SB03", "SB04"):
        inside_viewport(page, item_button(page, code))
    shot(page, "social-tab")

    # The first ticket of group B.
    item_button(page, "SB01").click()
    expect(overlay(page)).to_be_visible()
    expect(page.locator("#result-number")).to_have_text("B001")
    expect(page.locator("#result-item")).to_have_text("社会保险参保登记")
    expect(page.locator("#result-ahead")).to_have_text("0")
    # No counter staffed: no "0 minutes", but when service begins (or that none is open yet)
    expect(page.locator("#result-wait-box")).to_be_hidden()
    expect(page.locator("#result-note")).to_have_text(re.compile(UNSTAFFED))
    expect(page.locator("#result-where")).to_contain_text("办理窗口：1-5、8号")
    expect(page.locator("#result-green")).to_be_hidden()
    expect(page.locator("#result-time")).to_contain_text("取号时间")
    inside_viewport(page, page.locator(".slip"))
    first = ticket(api, slip_ticket_id(page))
    assert (first["number"], first["item"], first["state"], first["priority"]) == ("B001", "SB01", "waiting", "walk_in")
    shot(page, "first-ticket")
    close_slip(page)
    expect(item_button(page, "SB01")).to_contain_text("等候 1 人")

    # A second ticket of the same group: the next number, one person ahead.
    page.get_by_role("button", name=re.compile("社会保障卡申领")).click()
    expect(page.locator("#result-number")).to_have_text("B002")
    expect(page.locator("#result-item")).to_have_text("社会保障卡申领")
    expect(page.locator("#result-ahead")).to_have_text("1")
    second = ticket(api, slip_ticket_id(page))
    assert (second["number"], second["people_ahead"]) == ("B002", 1)
    assert second["estimated_wait_minutes"] is None, "no counter open: no minutes made up"
    expect(page.locator("#result-note")).to_have_text(re.compile(UNSTAFFED))
    inside_viewport(page, page.locator(".slip"))
    shot(page, "second-ticket")
    close_slip(page)
    expect(item_button(page, "SB01")).to_contain_text("等候 1 人")
    expect(item_button(page, "SB02")).to_contain_text("等候 1 人")
    assert waiting(api) == 2


def test_kiosk_green_channel_ticket(new_page, server, api, shot) -> None:
    walk_in = issue(api, "SB01")  # someone already waits in group B
    page = kiosk(new_page, server, PORTRAIT, token="demo-kiosk-token")
    green = page.get_by_role("button", name=re.compile("绿色通道"))
    expect(green).to_have_attribute("aria-pressed", "false")
    green.click()
    expect(green).to_have_attribute("aria-pressed", "true")
    shot(page, "green-pressed")

    page.get_by_role("tab", name="社保医保").click()
    item_button(page, "SB03").click()
    expect(page.locator("#result-number")).to_have_text("B002")
    expect(page.locator("#result-green")).to_be_visible()
    expect(page.locator("#result-green")).to_have_text("绿色通道 Green channel")
    expect(page.locator("#result-ahead")).to_have_text("0")  # served before the walk-in who came first
    issued = ticket(api, slip_ticket_id(page))
    assert (issued["priority"], issued["number"], issued["people_ahead"]) == ("green", "B002", 0)
    assert ticket(api, walk_in["id"])["people_ahead"] == 1
    shot(page, "green-ticket")

    # The toggle is for one ticket only: the next person gets an ordinary one.
    close_slip(page)
    expect(green).to_have_attribute("aria-pressed", "false")
    item_button(page, "SB03").click()
    expect(page.locator("#result-number")).to_have_text("B003")
    expect(page.locator("#result-green")).to_be_hidden()
    assert ticket(api, slip_ticket_id(page))["priority"] == "walk_in"


def test_kiosk_double_tap_issues_one_ticket(new_page, server, api) -> None:
    page = kiosk(new_page, server, LANDSCAPE, token="demo-kiosk-token")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" and r.url.endswith("/tickets") else None)
    item_button(page, "QY02").dblclick()
    expect(page.locator("#result-number")).to_have_text("A001")
    page.wait_for_timeout(300)  # a second request, if any, would have been answered by now
    assert len(sent) == 1
    assert waiting(api) == 1
    close_slip(page)

    # Two taps in the same instant, before the first request has left.
    item_button(page, "QY02").evaluate("button => { button.click(); button.click(); }")
    expect(page.locator("#result-number")).to_have_text("A002")
    page.wait_for_timeout(300)
    assert len(sent) == 2
    assert waiting(api) == 2
    close_slip(page)
    expect(item_button(page, "QY02")).to_contain_text("等候 2 人")


def test_kiosk_without_device_token_issues_nothing(new_page, server, api, shot) -> None:
    page = kiosk(new_page, server, PORTRAIT, token=None)  # a new machine: nothing in its storage
    setup = page.locator("#setup")
    expect(setup).to_be_visible()
    expect(setup).to_contain_text("本机尚未配置设备令牌")
    expect(setup).to_contain_text("/halls/demo/kiosk#token=")

    item_button(page, "QY01").click()
    problem = page.locator("#problem")
    expect(problem).to_be_visible()
    expect(page.locator("#problem-text")).to_have_text("本机尚未配置，请到服务台取号")
    expect(overlay(page)).to_be_hidden()
    shot(page, "no-token")
    assert waiting(api) == 0


def test_kiosk_with_a_wrong_token_shows_the_refusal(new_page, server, api) -> None:
    page = kiosk(new_page, server, PORTRAIT, token="not-a-device-token")
    expect(page.locator("#setup")).to_be_hidden()  # it has a token, just not a valid one
    item_button(page, "QY01").click()
    expect(page.locator("#problem")).to_be_visible()
    expect(page.locator("#problem-text")).to_have_text("本机设备令牌无效，请到服务台取号")
    expect(overlay(page)).to_be_hidden()
    page.get_by_role("button", name="知道了 OK").click()
    expect(page.locator("#problem")).to_be_hidden()
    expect(item_button(page, "QY01")).to_be_enabled()  # the machine is usable again
    assert waiting(api) == 0


def test_kiosk_waiting_counts_follow_the_queue(new_page, server, api) -> None:
    issue(api, "HZ01")
    page = new_page(PORTRAIT)
    pause_clock(page)
    page.goto(f"{server.url}/halls/demo/kiosk#token=demo-kiosk-token")
    page.get_by_role("tab", name="公安户政").click()
    expect(item_button(page, "HZ01")).to_contain_text("等候 1 人")  # read when the page loads
    expect(item_button(page, "HZ03")).to_contain_text("等候 0 人")

    # Tickets from another machine show on the buttons at the next refresh (every 5 s).
    issue(api, "HZ01")
    issue(api, "HZ03")
    page.clock.run_for(5_000)
    expect(item_button(page, "HZ01")).to_contain_text("等候 2 人")
    expect(item_button(page, "HZ03")).to_contain_text("等候 1 人")


def test_kiosk_cannot_be_left_by_any_tap(new_page, server, api, shot) -> None:
    """Tapped as a kiosk is, with fingers on its touch screen (touch events, no mouse)."""
    page = kiosk(new_page, server, PORTRAIT, token="demo-kiosk-token", touch=True)
    home = page.url
    # every press the page gets, and of what kind: the taps below must reach it as touches
    page.evaluate(
        """() => { window.presses = [];
          document.addEventListener('pointerdown', (e) => window.presses.push(e.pointerType), true);
          window.menus = [];
          window.addEventListener('contextmenu', (e) => window.menus.push(e.defaultPrevented)); }"""
    )
    touch = page.context.new_cdp_session(page)

    def tap_everything(scope: str) -> int:
        """Tap the middle of every visible element under ``scope`` (links, texts, images, buttons
        but those that end the scene); the kiosk must still be on its page after each."""
        handles = page.locator(", ".join(f"{part.strip()} *:visible" for part in scope.split(","))).element_handles()
        tapped = 0
        for handle in handles:
            if handle.evaluate("e => !!e.closest('#result-close, #checkin-close, .item-btn, #problem-close')"):
                continue
            box = handle.bounding_box()
            if not box or box["width"] < 1 or box["height"] < 1 or not handle.is_visible():
                continue
            page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            tapped += 1
            assert page.url == home, f"a tap on {handle.evaluate('e => e.outerHTML.slice(0, 80)')} left the kiosk"
        return tapped

    assert tap_everything("header, nav, .kiosk-foot") >= 10
    if page.locator("#checkin").is_visible():  # the footer's 预约签到 opened its panel
        assert tap_everything("#checkin") >= 10  # the keypad, the field, the labels
        page.get_by_role("button", name="返回 Back").tap()
    page.get_by_role("tab", name="企业服务").tap()
    item_button(page, "QY01").tap()
    expect(overlay(page)).to_be_visible()
    link = page.locator("#result-link")
    assert "/tickets/" in link.inner_text() and link.locator("a").count() == 0  # the address is text
    assert tap_everything("#result") >= 8  # the number, the address, the QR code, print again …
    box = link.bounding_box()
    assert box is not None
    point = {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}
    for _ in range(3):  # a triple tap
        page.touchscreen.tap(point["x"], point["y"])
    # A long press on the address (a finger held down 0.9 s).
    touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [point]})
    page.wait_for_timeout(900)
    touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    assert page.url == home and len(page.context.pages) == 1
    presses = page.evaluate("window.presses")
    assert len(presses) >= 30 and set(presses) == {"touch"}, presses  # all of them taps, none a mouse's click
    # Headless Chromium neither selects text nor opens a menu on a long touch (a real touch screen
    # does both), so the selection and the menu are tried the way it does make them: a triple click
    # (selects the paragraph where text may be selected) and the menu's own button.
    assert page.evaluate("String(getSelection())") == ""
    page.mouse.click(point["x"], point["y"], click_count=3)
    assert page.evaluate("String(getSelection())") == "", "the address can be selected (and dragged away)"
    page.mouse.click(point["x"], point["y"], button="right")
    assert page.evaluate("window.menus") == [True], "the browser's menu (open in a new window, …) is offered"
    assert page.url == home and len(page.context.pages) == 1
    page.get_by_role("button", name="完成 Done").tap()
    # The browser's back (a swipe on a touch screen), again and again, lands on the kiosk each time
    # (without the page's guard, the second would leave it for the blank page it was opened from).
    for _ in range(3):
        page.evaluate("history.back()")
        page.wait_for_timeout(200)
        assert page.url == home
    expect(page.locator("[data-tab]")).to_have_count(len(DEMO_TABS))
    shot(page, "still-here")


@pytest.mark.parametrize("server_env", ["all_day"], indirect=True)  # the minutes, at any hour
def test_kiosk_estimates_with_no_one_and_all_counters_open(new_page, server, api, shot) -> None:
    manager = staff_login(api, "manager", "demo-manager")
    page = kiosk(new_page, server, PORTRAIT, token="demo-kiosk-token", paused=True)
    page.get_by_role("tab", name="社保医保").click()
    sb01 = page.locator('[data-expect="SB01"]')

    # No counter open: the button says when service begins (or that none is open), not "0 min".
    expect(sb01).to_have_text(re.compile(UNSTAFFED))
    shot(page, "none-open")

    # One counter staffed: its minutes, on the button before choosing and on the slip after.
    assert api.post("/api/halls/demo/counters/1/open", headers=manager).status_code == 200
    for _ in range(3):
        issue(api, "SB01")
    page.clock.run_for(5_000)
    told = {i["code"]: i for i in api.get("/api/halls/demo/queue").json()["items"]}["SB01"]
    assert told["wait_minutes"] == 30  # three ahead of 10 minutes each, at one counter
    assert told["wait_range"] == [20, 40]  # four services may spread: said as the middle half
    expect(sb01).to_have_text("预计等候约 20–40 分钟")
    item_button(page, "SB01").click()
    expect(page.locator("#result-ahead")).to_have_text("3")
    expect(page.locator("#result-wait")).to_have_text("20–40")
    expect(page.locator("#result-note")).to_be_hidden()
    expect(page.locator("#result-where")).to_contain_text("办理窗口：1号")
    shot(page, "one-open")
    close_slip(page)

    # Every counter that serves it staffed: the same people, shared by six counters.
    for counter in (2, 3, 4, 5, 8):
        assert api.post(f"/api/halls/demo/counters/{counter}/open", headers=manager).status_code == 200
    page.clock.run_for(5_000)
    # Six counters, five of them idle: the four ahead and the next are called as soon as the
    # clerks press call (said as a minute, not "0 minutes" with people ahead).
    expect(sb01).to_have_text("预计等候约 1 分钟")
    item_button(page, "SB01").click()
    expect(page.locator("#result-ahead")).to_have_text("4")
    expect(page.locator("#result-wait")).to_have_text("1")
    expect(page.locator("#result-where")).to_contain_text("办理窗口：1-5、8号")
    shot(page, "all-open")


def test_kiosk_out_of_reach_sends_people_to_the_desk(new_page, server, api, shot) -> None:
    page = kiosk(new_page, server, PORTRAIT, token="demo-kiosk-token", paused=True)
    offline = page.locator("#offline")
    expect(offline).to_be_hidden()
    page.route("**/api/**", lambda route: route.abort("connectionrefused"))  # the network is gone
    page.clock.run_for(10_000)  # two refreshes fail
    expect(offline).to_be_visible()
    expect(offline).to_contain_text("本机暂时无法取号，请到服务台取号")
    assert offline.evaluate("e => parseFloat(getComputedStyle(e.querySelector('strong')).fontSize)") >= 48
    shot(page, "offline")
    page.unroute("**/api/**")
    page.clock.run_for(5_000)
    expect(offline).to_be_hidden()  # back as soon as the server answers

    # A tap while the network fails: a large message in the middle, saying where to go.
    page.route("**/api/halls/demo/tickets", lambda route: route.abort("connectionrefused"))
    item_button(page, "QY01").click()
    for _ in range(6):  # the retries, each after its failed request has come back
        page.wait_for_timeout(100)
        page.clock.run_for(1_000)
    expect(page.locator("#problem")).to_be_visible()
    expect(page.locator("#problem-text")).to_have_text("网络连接失败，请到服务台取号")
    box = page.locator(".problem-card").bounding_box()
    assert box["y"] < 960 < box["y"] + box["height"], "the message is in the middle of the screen"
    shot(page, "tap-offline")
    assert waiting(api) == 0


def test_kiosk_large_type_for_one_citizen(new_page, server, api, shot) -> None:
    page = kiosk(new_page, server, PORTRAIT, token="demo-kiosk-token")
    button = page.get_by_role("button", name="大字 Large type")
    # One line of the item's button (its people waiting): the whole button's height also depends on
    # how its estimate's words wrap, which changes with the hour (before opening, no counter open…).
    line = item_button(page, "QY01").locator(".waiting")
    before = line.bounding_box()
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    after = line.bounding_box()
    assert after["height"] > before["height"] * 1.2
    no_sideways_scroll(page)
    shot(page, "large")
    item_button(page, "QY01").click()
    expect(page.locator("#result-number")).to_have_text("A001")
    inside_viewport(page, page.locator(".slip"))
    close_slip(page)
    expect(button).to_have_attribute("aria-pressed", "false")  # the next citizen starts as usual
    assert line.bounding_box()["height"] == pytest.approx(before["height"], abs=1)


# ---------------------------------------------------------------- the counter page


def test_counter_wrong_password_shows_an_error(new_page, server, shot) -> None:
    page = new_page(DESK)
    page.goto(f"{server.url}/halls/demo/counters/1")
    expect(page.locator("#desk")).to_be_hidden()  # nothing of the desk before signing in
    log_in(page, "zhangwei", "wrong-password")
    toast = page.locator("#toast")
    expect(toast).to_be_visible()
    expect(toast).to_have_class(re.compile(r"\berror\b"))
    expect(toast).to_contain_text("用户名或密码错误")
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#desk")).to_be_hidden()
    shot(page, "wrong-password")

    # The right password then opens the desk.
    log_in(page, "zhangwei", "demo-staff")
    expect(page.locator("#desk")).to_be_visible()
    expect(page.locator("#login")).to_be_hidden()


def test_counter_call_recall_start_complete(new_page, server, api, shot) -> None:
    b1, b2, a1 = issue(api, "SB01"), issue(api, "SB02"), issue(api, "QY01")
    page = new_page(DESK)
    pause_clock(page)
    page.goto(f"{server.url}/halls/demo/counters/1")
    expect(page.locator("h1")).to_contain_text("1号 无差别综合窗口")
    log_in(page, "zhangwei", "demo-staff")

    # Closed and nobody signed in: only 签到 can be pressed.
    expect(page.locator("#state-badge")).to_have_text("已关闭")
    expect(page.locator("#who")).to_have_text("未签到")
    expect(page.locator("#waiting")).to_have_text("3")
    assert enabled_actions(page) == {"sign-in"}
    do(page, "sign-in").click()
    expect(page.locator("#who")).to_have_text("签到：张伟")
    expect(do(page, "sign-in")).to_be_disabled()
    expect(do(page, "call-next")).to_be_disabled()  # not open yet
    do(page, "open").click()
    expect(page.locator("#state-badge")).to_have_text("服务中")
    expect(page.locator("#cur-number")).to_have_text("—")
    expect(do(page, "complete")).to_be_disabled()  # nothing to complete
    assert {"recall", "start", "complete", "no-show", "suspend", "transfer"}.isdisjoint(enabled_actions(page))
    expect(do(page, "call-next")).to_be_enabled()
    shot(page, "open")

    # 叫号: the first ticket, in large type; one fewer waiting.
    expect(do(page, "call-next")).to_have_text("叫号 Call next")
    call_next(page, "B001")
    number_size = float(page.locator("#cur-number").evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert number_size >= 96, f"the current number is {number_size}px"
    assert page.locator("#cur-number").bounding_box()["height"] >= 96
    expect(page.locator("#cur-item")).to_have_text("社会保险参保登记")
    expect(page.locator("#cur-meta")).to_contain_text("已叫号")
    expect(page.locator("#cur-meta")).to_contain_text("重呼 0/2")
    expect(page.locator("#toast")).to_have_text("请 B001 号到 1 号窗口")
    expect(page.locator("#waiting")).to_have_text("2")
    expect(do(page, "call-next")).to_be_disabled()  # one ticket at a time
    expect(do(page, "close")).to_be_disabled()
    for action in ("recall", "start", "complete", "no-show", "suspend", "transfer"):
        expect(do(page, action)).to_be_enabled()
    assert ticket(api, b1["id"])["state"] == "called"
    shot(page, "called")

    # 重呼 counts up to the hall's limit of two, then is refused on screen.
    do(page, "recall").click()
    expect(page.locator("#cur-meta")).to_contain_text("重呼 1/2")
    do(page, "recall").click()
    expect(page.locator("#cur-meta")).to_contain_text("重呼 2/2")
    expect(do(page, "recall")).to_be_disabled()
    assert ticket(api, b1["id"])["recalls"] == 2

    # 开始办理, then 办结.
    do(page, "start").click()
    expect(page.locator("#cur-meta")).to_contain_text("办理中")
    for action in ("start", "recall", "no-show"):
        expect(do(page, action)).to_be_disabled()
    assert ticket(api, b1["id"])["state"] == "serving"
    do(page, "complete").click()
    expect(page.locator("#cur-number")).to_have_text("—")
    expect(page.locator("#cur-item")).to_have_text("")
    expect(do(page, "complete")).to_be_disabled()
    expect(do(page, "call-next")).to_be_enabled()
    assert ticket(api, b1["id"])["state"] == "completed"

    # 办结并叫号: with nobody at the desk it just calls; with someone, it completes them and calls the next.
    do(page, "complete-next").click()
    expect(page.locator("#cur-number")).to_have_text("B002")
    expect(page.locator("#waiting")).to_have_text("1")
    do(page, "complete-next").click()
    expect(page.locator("#cur-number")).to_have_text("A001")
    expect(page.locator("#cur-item")).to_have_text("企业设立登记")
    expect(page.locator("#waiting")).to_have_text("0")
    assert ticket(api, b2["id"])["state"] == "completed"
    assert ticket(api, a1["id"])["state"] == "called"
    shot(page, "done-and-next")

    # Finished with nobody waiting: 叫号 says so.
    do(page, "complete").click()
    expect(page.locator("#cur-number")).to_have_text("—")
    do(page, "call-next").click()
    expect(page.locator("#toast")).to_have_text("暂无等候的号 No one is waiting")
    expect(page.locator("#cur-number")).to_have_text("—")


def test_counter_waiting_count_follows_new_tickets(new_page, server, api) -> None:
    page = counter_desk(new_page, server)
    expect(page.locator("#waiting")).to_have_text("0")
    issue(api, "SW01")
    issue(api, "GJ01")
    page.clock.run_for(2_000)  # the page reads its counter every 2 s
    expect(page.locator("#waiting")).to_have_text("2")
    call_next(page, "E001")
    expect(page.locator("#waiting")).to_have_text("1")


def test_counter_no_show_and_reinstate(new_page, server, api, shot) -> None:
    b1, b2 = issue(api, "SB01"), issue(api, "SB04")
    page = counter_desk(new_page, server)
    missed = page.locator("#missed-box")
    expect(missed).to_be_hidden()
    call_next(page, "B001")
    expect(page.locator("#waiting")).to_have_text("1")

    # 过号 sits next to 办结: it asks once more, and 取消 changes nothing.
    do(page, "no-show").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#confirm-text")).to_contain_text("确认 B001 号过号")
    dialog.get_by_role("button", name="取消 Cancel").click()
    expect(dialog).to_be_hidden()
    assert ticket(api, b1["id"])["state"] == "called"
    do(page, "no-show").click()
    dialog.get_by_role("button", name="确定 Confirm").click()
    expect(page.locator("#cur-number")).to_have_text("—")
    expect(missed).to_be_visible()
    row = page.locator("#missed li")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("B001 · 社会保险参保登记")
    assert ticket(api, b1["id"])["state"] == "no_show"
    expect(do(page, "no-show")).to_be_disabled()
    shot(page, "no-show")

    row.get_by_role("button", name="恢复 Reinstate").click()
    expect(page.locator("#toast")).to_have_text("B001 已恢复排队")
    expect(missed).to_be_hidden()
    assert ticket(api, b1["id"])["state"] == "waiting"
    expect(page.locator("#waiting")).to_have_text("2")
    # Reinstated behind the others who wait: B002 comes first.
    call_next(page, "B002")
    assert ticket(api, b2["id"])["state"] == "called"


def test_counter_suspend_and_resume(new_page, server, api, shot) -> None:
    b1 = issue(api, "SB02")
    issue(api, "SB02")
    page = counter_desk(new_page, server)
    call_next(page, "B001")
    do(page, "start").click()
    expect(page.locator("#cur-meta")).to_contain_text("办理中")

    do(page, "suspend").click()
    expect(page.locator("#cur-number")).to_have_text("—")
    box = page.locator("#suspended-box")
    expect(box).to_be_visible()
    expect(box).to_contain_text("挂起")
    expect(page.locator("#suspended li")).to_have_text(re.compile(r"B001 · 社会保障卡申领\s*恢复办理"))
    assert ticket(api, b1["id"])["state"] == "suspended"
    shot(page, "suspended")

    # The counter serves the next person meanwhile, then takes B001 back.
    call_next(page, "B002")
    do(page, "complete").click()
    expect(page.locator("#cur-number")).to_have_text("—")
    page.locator("#suspended").get_by_role("button", name="恢复办理").click()
    expect(page.locator("#cur-number")).to_have_text("B001")
    expect(page.locator("#cur-meta")).to_contain_text("办理中")
    expect(box).to_be_hidden()
    assert ticket(api, b1["id"])["state"] == "serving"


def test_counter_transfer_keeps_the_number(new_page, server, api, shot) -> None:
    b1 = issue(api, "SB01")
    page = counter_desk(new_page, server)
    call_next(page, "B001")

    # Cancel first: nothing changes.
    do(page, "transfer").click()
    dialog = page.locator("#transfer-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#transfer-number")).to_have_text("B001")
    dialog.get_by_role("button", name="取消 Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#cur-number")).to_have_text("B001")
    assert ticket(api, b1["id"])["state"] == "called"

    do(page, "transfer").click()
    expect(dialog).to_be_visible()
    dialog.locator('select[name="item"]').select_option(label="企业设立登记 · QY01")
    shot(page, "transfer-dialog")
    dialog.get_by_role("button", name="转移 Transfer").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#toast")).to_have_text("已转移 Transferred")
    expect(page.locator("#cur-number")).to_have_text("—")
    moved = ticket(api, b1["id"])
    assert (moved["number"], moved["item"], moved["item_name"], moved["state"]) == (
        "B001",
        "QY01",
        "企业设立登记",
        "waiting",
    )
    # Counter 1 serves every item: it can call the transferred ticket again, under its old number.
    expect(page.locator("#waiting")).to_have_text("1")
    call_next(page, "B001")
    expect(page.locator("#cur-item")).to_have_text("企业设立登记")


@pytest.mark.parametrize("viewport", [COUNTER_PC, SMALL_DESK], ids=["1366", "1024"])
def test_the_clerk_sees_whom_he_serves_and_who_is_next(new_page, server, api, shot, viewport) -> None:
    manager = staff_login(api, "manager", "demo-manager")
    walk_in = issue(api, "SB01")
    green = api.post("/api/halls/demo/tickets", json={"item": "SB04", "priority": "green"}, headers=manager).json()
    later = issue(api, "SB02")
    page = new_page(viewport)
    pause_clock(page)
    page.goto(f"{server.url}/halls/demo/counters/1")
    log_in(page, "zhangwei", "demo-staff")
    do(page, "sign-in").click()
    expect(page.locator("#who")).to_have_text("签到：张伟")  # the clerk's name, once signed in
    do(page, "open").click()
    expect(page.locator("#state-badge")).to_have_text("服务中")

    # Whom the counter would call next, in that order, with their class and how long they waited.
    rows = page.locator("#next-up tr")
    expect(rows).to_have_count(3)
    expect(rows.locator(".nu-number")).to_have_text([green["number"], walk_in["number"], later["number"]])
    expect(rows.nth(0).locator(".mark.green")).to_have_text("绿色通道")
    expect(rows.nth(1).locator("td").nth(2)).to_have_text(re.compile(r"^\d+ 分$"))
    # The clerk's buttons on the counter PC's screen, without scrolling, with people waiting.
    assert page.evaluate("scrollY") == 0
    for button in page.locator("#desk .actions .btn").all():
        inside_viewport(page, button)

    # 指定叫号: the last one, out of order.
    rows.nth(2).get_by_role("button", name=f"叫此号 {later['number']}").click()
    expect(page.locator("#cur-number")).to_have_text(later["number"])
    expect(page.locator("#toast")).to_have_text(f"请 {later['number']} 号到 1 号窗口")
    expect(page.locator("#cur-times")).to_be_visible()
    expect(page.locator("#cur-waited")).to_have_text(re.compile(r"^\d+ 分钟$"))

    def timer() -> int:
        minutes, seconds = page.locator("#cur-timer").inner_text().split(":")
        return int(minutes) * 60 + int(seconds)

    # The page's clock was paused when it opened, the server's ran on: the timer starts at 0:00 until
    # the page's clock passes the call's time (a few seconds on a busy machine); then it counts.
    page.clock.run_for(10_000)
    expect(page.locator("#cur-timer")).not_to_have_text("0:00")
    before = timer()
    page.clock.run_for(65_000)  # the service timer counts on, every second
    expect(page.locator("#cur-timer")).not_to_have_text(f"{before // 60}:{before % 60:02d}")
    assert 64 <= timer() - before <= 66
    expect(rows).to_have_count(2)
    for button in page.locator("#next-up button").all():  # nobody else while someone is at the counter
        expect(button).to_be_disabled()

    # Disabled buttons look disabled: grey, dashed, their label still readable.
    for action in ("call-next", "close"):  # a blue and a red one
        disabled = do(page, action)
        expect(disabled).to_be_disabled()
        style = disabled.evaluate(
            "b => { const s = getComputedStyle(b); return [s.opacity, s.borderStyle, s.color, s.backgroundColor]; }"
        )
        assert style[0] == "1" and style[1] == "dashed" and contrast_of(style[2], style[3]) >= 4.5, (action, style)

    # The transfer dialog offers only open counters, and takes a note for the next clerk.
    dialog = page.locator("#transfer-dialog")
    do(page, "transfer").click()
    expect(dialog).to_be_visible()
    options = dialog.locator("#transfer-counter option")
    expect(options.filter(has_text="9号")).to_have_attribute("disabled", "")  # closed: listed, not offered
    act_api = {"Authorization": manager["Authorization"]}
    assert api.post("/api/halls/demo/counters/9/open", headers=act_api).status_code == 200
    dialog.get_by_role("button", name="取消 Cancel").click()
    do(page, "transfer").click()  # the dialog reads the counters afresh
    expect(options.filter(has_text="9号")).not_to_have_attribute("disabled", "")
    dialog.locator("#transfer-counter").select_option(value="9")
    dialog.locator('select[name="item"]').select_option(value="GJ01")
    dialog.locator('textarea[name="note"]').fill("社保已办，需公积金提取")
    shot(page, "transfer-dialog")
    dialog.get_by_role("button", name="转移 Transfer").click()
    expect(page.locator("#cur-number")).to_have_text("—")
    there = api.get("/api/halls/demo/counters/9/desk", headers=act_api).json()["next_up"]
    assert [(t["number"], t["transferred_from"], t["transfer_note"]) for t in there] == [
        (later["number"], 1, "社保已办，需公积金提取")
    ]

    # A pause with its reason and when the clerk is back: on the board and the hall screen.
    do(page, "pause").click()
    pause = page.locator("#pause-dialog")
    pause.get_by_label("培训").check()
    pause.locator('select[name="back"]').select_option(value="30")
    pause.get_by_role("button", name="暂停 Pause").click()
    expect(page.locator("#state-badge")).to_have_text("暂停服务")
    paused = api.get("/api/halls/demo/counters/1").json()
    assert paused["pause_reason"] == "培训" and paused["pause_back_at"]  # the reason alone: statistics count by it
    board = new_page(SMALL_DESK)
    board.goto(f"{server.url}/halls/demo/counters/1/board#token=demo-board-token")
    expect(board.locator("#board-state")).to_have_text(re.compile(r"^暂停服务（培训，约\d\d:\d\d回来）$"))

    # Esc on the pause dialog pauses nothing (the counter is open again first).
    do(page, "open").click()
    expect(page.locator("#state-badge")).to_have_text("服务中")
    do(page, "pause").click()
    page.keyboard.press("Escape")
    expect(page.locator("#pause-dialog")).to_be_hidden()
    page.clock.run_for(2_000)
    expect(page.locator("#state-badge")).to_have_text("服务中")

    # 关闭 asks first.
    do(page, "close").click()
    expect(page.locator("#confirm-text")).to_contain_text("确认关闭1号窗口")
    page.locator("#confirm-dialog").get_by_role("button", name="确定 Confirm").click()
    expect(page.locator("#state-badge")).to_have_text("已关闭")

    # Everything on the page fits the screen: no sideways scrolling, the buttons on one grid.
    no_sideways_scroll(page)
    tops = (
        page.locator(".actions")
        .first.locator(".btn")
        .evaluate_all("bs => bs.map(b => Math.round(b.getBoundingClientRect().top))")
    )
    assert len(set(tops)) <= 4, f"the buttons break into a staircase: {tops}"
    shot(page, "desk")


def test_a_slow_server_neither_swallows_a_press_nor_piles_up_reads(new_page, server, api) -> None:
    """While the server is slow to answer (or the PC wakes with its timers due at once), the
    counter page reads its desk one read at a time, and 转移 opens its dialog at once."""
    manager = staff_login(api, "manager", "demo-manager")
    walk_in = issue(api, "SB01")
    page = counter_desk(new_page, server)
    call_next(page, walk_in["number"])
    held: list = []  # reads of the desk the server has not answered yet, while it is slow
    slow = [True]
    page.route("**/api/halls/demo/counters/1/desk", lambda route: held.append(route) if slow[0] else route.continue_())
    page.clock.run_for(65_000)  # 32 of the page's 2-second reads come due at once
    page.wait_for_timeout(1_000)  # (real time) for any read the page sent to reach the route
    assert len(held) == 1, f"{len(held)} reads of the desk at once"

    do(page, "transfer").click()  # while that read still hangs
    dialog = page.locator("#transfer-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#transfer-number")).to_have_text(walk_in["number"])
    expect(dialog.locator("#transfer-counter option").filter(has_text="9号")).to_have_attribute("disabled", "")

    slow[0] = False
    for route in held:
        route.continue_()
    dialog.get_by_role("button", name="取消 Cancel").click()
    expect(dialog).to_be_hidden()
    assert api.post("/api/halls/demo/counters/1/start", json={"ticket": walk_in["number"]}, headers=manager).is_success
    page.clock.run_for(2_000)  # the reads go on as before
    expect(page.locator("#cur-meta")).to_contain_text("办理中")


def test_one_sign_in_serves_a_manager_on_every_page(new_page, server) -> None:
    page = new_page(DESK)
    page.goto(f"{server.url}/halls/demo/manage")
    log_in(page, "manager", "demo-manager")
    expect(page.locator("#work")).to_be_visible()
    page.goto(f"{server.url}/halls/demo/counters/3")
    expect(page.locator("#desk")).to_be_visible()  # no second sign-in
    expect(page.locator("#login")).to_be_hidden()
    # and back: a manager who signed in on a counter page is signed in on the manager's pages
    page.evaluate("localStorage.clear()")
    page.reload(wait_until="domcontentloaded")
    log_in(page, "manager", "demo-manager")
    expect(page.locator("#desk")).to_be_visible()
    page.goto(f"{server.url}/halls/demo/manage")
    expect(page.locator("#work")).to_be_visible()
    expect(page.locator("#login")).to_be_hidden()

    # Signing out signs out on every page of this PC.
    page.locator("#logout").click()
    page.goto(f"{server.url}/halls/demo/counters/3")
    expect(page.locator("#login")).to_be_visible()

    # A manager who signed in on a counter PC is gone from it once a clerk signs in there,
    # and does not come back when the clerk signs out.
    log_in(page, "manager", "demo-manager")
    expect(page.locator("#desk")).to_be_visible()
    page.locator("#logout").click()
    log_in(page, "zhangwei", "demo-staff")
    expect(page.locator("#desk")).to_be_visible()
    page.locator("#logout").click()
    page.reload(wait_until="domcontentloaded")
    expect(page.locator("#login")).to_be_visible()
    page.goto(f"{server.url}/halls/demo/manage")
    expect(page.locator("#login")).to_be_visible()


def test_sign_out_ends_the_token_and_the_counters_sign_out_offers_it(new_page, server, api) -> None:
    """退出登录 ends the token on the server (a copy of it is refused); 签退 at the counter asks the
    clerk whether he leaves the PC too, and if so ends his token as well."""

    def refused(token: str) -> bool:
        for _ in range(50):  # the page's request is on its way
            if api.get("/api/halls/demo/tickets", headers={"Authorization": f"Bearer {token}"}).status_code == 401:
                return True
            time.sleep(0.1)
        return False

    token_of = "() => JSON.parse(localStorage.getItem('staff-token:demo')).token"
    page = new_page(DESK)
    page.goto(f"{server.url}/halls/demo/counters/3")
    log_in(page, "zhangwei", "demo-staff")
    expect(page.locator("#desk")).to_be_visible()
    token = page.evaluate(token_of)
    do(page, "sign-in").click()
    expect(do(page, "sign-out")).to_be_enabled()
    do(page, "sign-out").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("是否同时退出登录", timeout=15_000)  # after the server's answer: a busy CI machine
    dialog.get_by_role("button", name="确定 Confirm").click()
    expect(page.locator("#login")).to_be_visible()
    assert refused(token)

    page.goto(f"{server.url}/halls/demo/manage")
    log_in(page, "inspector", "demo-inspector")  # an inspector reads the manager's pages
    expect(page.locator("#who")).to_contain_text("巡查员")
    token = page.evaluate("() => JSON.parse(localStorage.getItem('manager-token:demo')).token")
    page.locator("#logout").click()
    expect(page.locator("#login")).to_be_visible()
    assert refused(token)


# ---------------------------------------------------------------- the ticket status page


@pytest.mark.parametrize("server_env", ["all_day"], indirect=True)  # the minutes, at any hour
def test_ticket_status_page_on_a_phone(new_page, server, api, shot) -> None:
    first, mine = issue(api, "SB01"), issue(api, "SB01")
    page = new_page(PHONE, device_scale_factor=3, is_mobile=True, has_touch=True)
    pause_clock(page)
    page.goto(f"{server.url}/halls/demo/tickets/{mine['id']}")
    expect(page.locator("#t-number")).to_have_text("B002")
    expect(page.locator("#t-item")).to_have_text("社会保险参保登记")
    expect(page.locator("#t-state")).to_have_text("等候中")
    expect(page.locator("#t-ahead")).to_have_text("1 人")
    assert mine["estimated_wait_minutes"] is None  # no counter open yet
    expect(page.locator("#t-wait")).to_have_text(re.compile(UNSTAFFED))
    expect(page.locator("#t-where")).to_have_text("1-5、8号")
    expect(page.locator("#t-issued")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    expect(page.locator("#t-callout")).to_be_hidden()
    inside_viewport(page, page.locator("#t-number"))
    inside_viewport(page, page.locator("#t-state"))
    no_sideways_scroll(page)
    shot(page, "waiting")

    manager = staff_login(api, "manager", "demo-manager")
    assert api.post("/api/halls/demo/counters/1/open", headers=manager).status_code == 200
    called = api.post("/api/halls/demo/counters/1/call-next", headers=manager)
    assert called.status_code == 200 and called.json()["number"] == first["number"] == "B001"

    # The page reads the ticket every 10 s: nobody ahead now.
    page.clock.run_for(10_000)
    expect(page.locator("#t-ahead")).to_have_text("0 人")
    expect(page.locator("#t-state")).to_have_text("等候中")
    now = ticket(api, mine["id"])
    said = now["estimated_wait_range"] and "–".join(map(str, now["estimated_wait_range"]))
    expect(page.locator("#t-wait")).to_have_text(
        f"约 {said or now['estimated_wait_minutes']} 分钟"
    )  # counter 1 is staffed now
    expect(page.locator("#t-where")).to_have_text("1号")

    # 适老化: large type, kept for this phone's next visit
    before = page.locator("#t-number").bounding_box()["height"]
    page.get_by_role("button", name="大字 Large type").click()
    assert page.locator("#t-number").bounding_box()["height"] > before * 1.2
    page.reload()
    expect(page.get_by_role("button", name="大字 Large type")).to_have_attribute("aria-pressed", "true")
    assert page.locator("#t-number").bounding_box()["height"] > before * 1.2
    no_sideways_scroll(page)
    shot(page, "large-type")

    assert api.post("/api/halls/demo/counters/1/complete", headers=manager).status_code == 200
    called = api.post("/api/halls/demo/counters/1/call-next", headers=manager)
    assert called.status_code == 200 and called.json()["number"] == "B002"
    page.clock.run_for(10_000)
    expect(page.locator("#t-state")).to_have_text("已叫号")
    callout = page.locator("#t-callout")
    expect(callout).to_be_visible()
    expect(callout).to_have_text(re.compile(r"^\s*请到\s*1号 无差别综合窗口\s*办理\s*$"))
    inside_viewport(page, callout)
    expect(page.locator("#t-ahead")).to_be_hidden()  # no "— 人" once it is called
    expect(page.locator("#t-wait")).to_be_hidden()
    no_sideways_scroll(page)
    shot(page, "called-by-poll")

    # A reload (the server's own rendering) says the same.
    page.reload()
    expect(page.locator("#t-state")).to_have_text("已叫号")
    expect(page.locator("#t-callout")).to_be_visible()
    expect(page.locator("#t-counter")).to_have_text("1号 无差别综合窗口")
    expect(page.locator("#t-number")).to_have_text("B002")
    expect(page.locator("#t-ahead")).to_be_hidden()
    shot(page, "called-after-reload")


# ---------------------------------------------------------------- errors, the start page, the API docs


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/halls/demo/tickets/not-a-ticket", "没有找到该号"),
        ("/halls/demo/appointments/ABCDEFGH", "预约"),
        ("/halls/demo/counters/99", "99"),
        ("/halls/nowhere/kiosk", "没有大厅"),
        ("/no/such/page", "没有找到"),
    ],
    ids=["ticket", "booking", "counter", "hall", "path"],
)
def test_a_person_meets_errors_as_pages_not_json(new_page, server, shot, path, says) -> None:
    page = new_page(PHONE, is_mobile=True, has_touch=True)
    response = page.goto(server.url + path)
    assert response.status == 404 and response.headers["content-type"].startswith("text/html")
    expect(page.locator("h2")).to_have_text("没有找到")
    expect(page.locator(".error-zh")).to_contain_text(says)
    expect(page.locator(".error-next")).to_contain_text("请")  # what to do next
    expect(page.get_by_role("link", name="首页 Start page")).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "error")
    assert "{" not in page.locator("body").inner_text()  # no JSON on the screen


def test_the_start_page_links_every_page_a_newcomer_can_try(new_page, server, api) -> None:
    page = new_page(DESK)
    page.goto(server.url + "/")
    links = page.locator("main a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    for path in ("/halls/demo/kiosk", "/halls/demo/book", "/halls/demo/queue", "/halls/demo/counters",
                 "/halls/demo/desk", "/halls/demo/screen", "/halls/demo/counters/1/board", "/halls/demo/counters/1/pad",
                 "/halls/demo/manage", "/halls/demo/manage/reports", "/halls/demo/manage/planning",
                 "/halls/demo/manage/posts", "/halls/demo/manage/ratings", "/api/docs"):  # fmt: skip
        assert path in links, path
    for link in links:  # every one opens a page (none of them is JSON)
        answer = api.get(link, headers={"Accept": "text/html"})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html"), link

    # 排队情况 is a page: each item's line and what a ticket taken now would be told
    issue(api, "SB01")
    page.goto(server.url + "/halls/demo/queue")
    row = page.locator('[data-item="SB01"]')
    expect(row.locator(".q-waiting")).to_have_text("1 人")
    expect(row.locator(".q-wait")).to_have_text(re.compile(UNSTAFFED))


def test_the_api_docs_work_offline_and_declare_the_bearer_scheme(new_page, server, api, shot) -> None:
    page = new_page(DESK)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((server.url, "data:")) else None)
    page.goto(server.url + "/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Hall queue")
    expect(page.get_by_role("button", name=re.compile("Authorize"))).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    shot(page, "api-docs")
    assert outside == [], f"the docs page reached outside the hall's network: {outside}"

    document = api.get("/api/docs/openapi.json").json()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer",
        "description": "A staff token from POST /api/auth/login, or a device's token from the hall file",
    }  # fmt: skip
    operations = [(path, method, op) for path, item in document["paths"].items() for method, op in item.items()]
    assert len(operations) > 50
    for path, method, op in operations:
        assert op.get("description"), f"{method.upper()} {path} has no description"
    call_next = document["paths"]["/api/halls/{hall}/counters/{counter}/call-next"]["post"]
    assert call_next["security"] == [{"bearer": []}] and "staff token" in call_next["description"]
    assert "security" not in document["paths"]["/api/halls/{hall}/queue"]["get"]  # public
    rating = document["paths"]["/api/halls/{hall}/ratings"]["post"]
    assert rating["security"] == [{"bearer": []}, {}]  # a pad's token, or none (a citizen's phone)


# ---------------------------------------------------------------- the service desk


def test_the_service_desk_finds_a_ticket_and_acts_for_citizens(new_page, server, api, shot) -> None:
    manager = staff_login(api, "manager", "demo-manager")
    missed, waiting = issue(api, "SB01"), issue(api, "SB01")
    act_auth = {"Authorization": manager["Authorization"]}
    assert api.post("/api/halls/demo/counters/1/open", headers=act_auth).status_code == 200
    assert api.post("/api/halls/demo/counters/1/call-next", headers=act_auth).json()["number"] == missed["number"]
    assert api.post("/api/halls/demo/counters/1/no-show", headers=act_auth).status_code == 200

    page = new_page(DESK)
    page.goto(f"{server.url}/halls/demo/desk")
    log_in(page, "lina", "demo-staff")
    expect(page.locator("#work")).to_be_visible()

    # A citizen whose number was passed (过号): found by number, with what happened, put back in line.
    page.locator("#find-number").fill(missed["number"].lower())
    page.get_by_role("button", name="查找 Find").click()
    expect(page.locator("#f-number")).to_have_text(missed["number"])
    expect(page.locator("#f-state")).to_have_text("已过号")
    expect(page.locator("#f-history li")).to_have_count(3)
    expect(page.locator("#f-history li").nth(1)).to_contain_text("叫号 · 1号窗口 · manager")
    expect(page.locator("#f-history li").nth(2)).to_contain_text("过号")
    expect(page.locator("[data-act=cancel]")).to_be_enabled()
    page.locator("[data-act=reinstate]").click()
    page.locator("#confirm-dialog").get_by_role("button", name="确定 Confirm").click()
    expect(page.locator("#f-state")).to_have_text("等候中")
    expect(page.locator("#f-history li").last).to_contain_text("恢复排队 · lina")
    expect(page.locator("#f-facts")).to_contain_text("前面")
    assert ticket(api, missed["id"])["state"] == "waiting"
    shot(page, "reinstated")

    # 改派: he came for his social security card (SB02), to counter 1: same number, same place.
    move = page.locator("#move-form")
    expect(move).to_be_visible()
    move.get_by_label("改为事项 To item").select_option(value="SB02")
    move.get_by_label("指定窗口 To counter").select_option(value="1")
    move.get_by_label("留言 Note for the clerk").fill("补办社保卡")
    move.get_by_role("button", name="改派 Move").click()
    expect(page.locator("#f-history li").last).to_contain_text(
        "改派 · lina · 转为社会保障卡申领，转到1号窗口；补办社保卡"
    )
    expect(page.locator("#f-item")).to_contain_text("社会保障卡申领")
    moved = ticket(api, missed["id"])
    assert (moved["number"], moved["item"], moved["transferred_to_counter"]) == (missed["number"], "SB02", 1)
    # to a closed counter: refused, said why, next to the ticket
    move.get_by_label("指定窗口 To counter").select_option(value="9")
    move.get_by_role("button", name="改派 Move").click()
    expect(page.locator("#find-error")).to_contain_text("9号窗口已关闭")
    shot(page, "moved")

    # Someone who has to leave: cancelled, after a second question.
    page.locator("#find-number").fill(waiting["number"])
    page.get_by_role("button", name="查找 Find").click()
    expect(page.locator("#f-number")).to_have_text(waiting["number"])
    page.locator("[data-act=cancel]").click()
    page.locator("#confirm-dialog").get_by_role("button", name="取消 Cancel").click()
    assert ticket(api, waiting["id"])["state"] == "waiting"  # asked, and not done
    page.locator("[data-act=cancel]").click()
    page.locator("#confirm-dialog").get_by_role("button", name="确定 Confirm").click()
    expect(page.locator("#f-state")).to_have_text("已取消")
    expect(page.locator("[data-act=reinstate]")).to_be_disabled()

    # A number that does not exist today: said so, large, next to the field.
    page.locator("#find-number").fill("Z999")
    page.get_by_role("button", name="查找 Find").click()
    expect(page.locator("#find-error")).to_contain_text("今日没有 Z999 号")

    # A green-channel ticket for an elderly citizen, printed at the desk's machine.
    form = page.locator("#issue-form")
    expect(page.locator("#printer")).to_have_value("reception")  # the desk's own machine, by default
    form.locator("select[name=item]").select_option(value="SB03")
    form.get_by_label("绿色通道").check()
    form.get_by_role("button", name="取号并打印 Issue and print").click()
    expect(page.locator("#issued")).to_contain_text("未能打印（该取号机没有打印机）")  # the demo's has none: said so
    page.locator("#printer").select_option(value="kiosk-1")  # remembered on this PC
    page.reload()
    expect(page.locator("#work")).to_be_visible()  # still signed in
    expect(page.locator("#printer")).to_have_value("kiosk-1")
    form.locator("select[name=item]").select_option(value="SB01")
    form.get_by_role("button", name="取号并打印 Issue and print").click()
    expect(page.locator("#issued")).to_contain_text("凭条已发送打印")
    expect(page.locator("#printer")).to_have_value("kiosk-1")  # issuing does not reset where slips print
    form.locator("select[name=item]").select_option(value="SB03")
    form.get_by_label("绿色通道").check()
    form.get_by_role("button", name="取号并打印 Issue and print").click()
    expect(page.locator("#issued")).to_contain_text("绿色通道")
    expect(page.locator("#issued")).to_contain_text("凭条已发送打印")
    green = api.get("/api/halls/demo/tickets", headers=manager).json()
    assert [t["priority"] for t in green if t["item"] == "SB03"] == ["green", "green"]
    expect(form.locator("select[name=item]")).to_have_value("QY01")  # the form starts afresh for the next citizen
    expect(form.get_by_label("绿色通道")).not_to_be_checked()
    form.locator("select[name=item]").select_option(value="SB02")
    form.get_by_role("button", name="取号并打印 Issue and print").dblclick()  # one ticket for a double click
    expect(page.locator("#issued")).to_contain_text(re.compile(r"^B00\d · 社会保障卡申领 · 前面"))
    page.wait_for_timeout(300)
    assert len(api.get("/api/halls/demo/tickets", headers=manager).json()) == len(green) + 1

    # A booking checked in for someone: the refusal says why.
    page.locator("#checkin-form input").fill("110101199001011237")
    page.get_by_role("button", name="签到 Check in").click()
    expect(page.locator("#checkin-error")).to_contain_text("没有预约")
    no_sideways_scroll(page)
    shot(page, "desk")

    # 代预约: the booking page opens with 代办 ticked, asking for the agent's name and phone.
    with page.context.expect_page() as opened:
        page.get_by_role("link", name=re.compile("^代预约（代办）")).click()
    booking_page = opened.value
    expect(booking_page.locator("#on-behalf")).to_be_checked()
    # (in the last step, shown once a slot is chosen: the agent's fields will be there)
    expect(booking_page.locator("#agent:not([hidden])").get_by_label(re.compile("^代办人手机号"))).to_be_attached()
    booking_page.close()
