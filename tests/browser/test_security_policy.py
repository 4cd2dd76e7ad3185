"""Every page under the Content-Security-Policy, in a real browser (安全响应头).

The policy (config/headers.py) runs no inline script: a page whose script were still inline
would show, but do nothing. So each page is opened in Debian's Chromium with a listener for
``securitypolicyviolation`` put in before any of the page's own script, and must (1) raise no
violation, (2) log no error to the console, and (3) show that its script ran: something only the
script fills or does (a clock, a countdown, a websocket's first snapshot, a signed-in view).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from tests.browser.common import DESK, KIOSK_AUTH, LANDSCAPE, PHONE, act, log_in, staff_login, wait_for
from tests.support import Server, booking_request, id_number

# Before any of the page's own script: every violation, and where it came from.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(
  `${e.effectiveDirective} blocked ${e.blockedURI || "(inline)"} at ${e.sourceFile}:${e.lineNumber} ${e.sample}`));
"""


class Watch:
    """The pages' violations and console errors, as the test opens them."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.checked: list[str] = []
        self.error_pages: set[str] = set()  # pages answered with an error status, as meant

    def context(self, browser: Browser, viewport: dict[str, int], **options) -> BrowserContext:
        context = browser.new_context(viewport=viewport, locale="zh-CN", **options)
        context.add_init_script(LISTEN)
        return context

    def page(self, context: BrowserContext) -> Page:
        page = context.new_page()
        page.on("console", lambda m: self.console(page, m))
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        return page

    def console(self, page: Page, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        # A page answered with an error status (the 404 page) is the one network error expected.
        if message.text.startswith("Failed to load resource") and message.location.get("url") in self.error_pages:
            return
        self.errors.append(f"{page.url}: {message.text}")

    def clean(self, page: Page, proof: Callable[[], object]) -> None:
        """Nothing was refused on the page (an inline script: as it loads), and it ran its script
        (``proof``), and nothing was refused meanwhile (a socket, a picture)."""
        self.no_violation(page)
        proof()
        page.wait_for_timeout(200)  # a late violation still counted
        self.no_violation(page)
        self.checked.append(page.url)

    def no_violation(self, page: Page) -> None:
        violations = page.evaluate("window.__violations")
        assert violations == [], f"{page.url}: {violations}"


@pytest.fixture
def watch() -> Watch:
    return Watch()


def test_every_page_runs_its_script_under_the_policy(
    browser: Browser, server: Server, api: httpx.Client, watch: Watch
) -> None:
    url = server.url
    manager = staff_login(api, "manager", "demo-manager")
    ticket = api.post("/api/halls/demo/tickets", json={"item": "SB01"}, headers=KIOSK_AUTH).json()
    slots = [s for s in api.get("/api/halls/demo/appointments/slots", params={"item": "QY01", "days": 8}).json()]
    start = next(s["start"] for s in slots if s["state"] == "open")
    who = {"id_number": id_number(7), "name": "张三丰", "phone": "13812340007"}
    made = api.post("/api/halls/demo/appointments", json=booking_request("QY01", start, who), headers=manager)
    assert made.status_code == 201, made.text
    code = made.json()["code"]

    # ---- a citizen's phone and the hall's public machines
    phone = watch.context(browser, PHONE, is_mobile=True, has_touch=True)
    page = watch.page(phone)

    def large_type() -> None:  # the page's script wired 大字
        page.locator("#large-type").click()
        expect(page.locator("body")).to_have_class(re.compile(r"\blarge-type\b"))
        page.locator("#large-type").click()  # and back, for the next page (remembered on this phone)

    page.goto(url + "/")
    watch.clean(page, lambda: wait_for(page, "typeof Hall === 'object'"))  # hall.js, the index's only script
    page.goto(url + "/halls/demo/queue")
    watch.clean(page, large_type)
    page.goto(f"{url}/halls/demo/tickets/{ticket['id']}")
    watch.clean(page, lambda: (expect(page.locator("#t-issued")).not_to_be_empty(), large_type()))
    page.goto(url + "/halls/demo/book")

    def find_bookings() -> None:  # 查找我的预约, the part that was inline
        large_type()
        page.locator("#find > summary").click()
        page.locator("#find-id").fill(id_number(7))
        page.locator("#find-phone").fill("13812340007")
        page.locator("#find-form").get_by_role("button", name="查找 Find").click()
        expect(page.locator("#found-bookings li")).to_have_count(1)

    watch.clean(page, find_bookings)
    page.goto(f"{url}/halls/demo/appointments/{code}")
    watch.clean(page, lambda: (expect(page.locator("#countdown")).not_to_be_empty(), large_type()))
    missing = f"{url}/halls/demo/tickets/no-such-ticket"
    watch.error_pages.add(missing)
    answer = page.goto(missing)
    assert answer is not None and answer.status == 404
    watch.clean(page, lambda: wait_for(page, "typeof Hall === 'object'"))
    page.goto(url + "/api/docs")
    watch.clean(page, lambda: expect(page.locator(".swagger-ui .info .title")).to_contain_text("Hall queue"))
    phone.close()

    kiosk = watch.context(browser, LANDSCAPE)
    page = watch.page(kiosk)
    page.goto(url + "/halls/demo/kiosk#token=demo-kiosk-token")
    watch.clean(
        page, lambda: (expect(page.locator("#clock")).not_to_be_empty(), expect(page.locator("#setup")).to_be_hidden())
    )
    page.goto(url + "/halls/demo/screen#token=demo-screen-token")
    watch.clean(page, lambda: wait_for(page, "window.SCREEN.log.snapshots >= 1"))  # its websocket
    page.goto(url + "/halls/demo/counters/1/board#token=demo-board-token")
    watch.clean(page, lambda: wait_for(page, "window.BOARD.log.shown.length >= 1"))
    page.goto(url + "/halls/demo/counters/1/pad#token=demo-pad-1-token")
    watch.clean(page, lambda: wait_for(page, "window.PAD.log.snapshots >= 1"))
    kiosk.close()

    # ---- staff: a counter, the service desk, the managers' pages (one sign-in serves them all)
    desk = watch.context(browser, DESK)
    page = watch.page(desk)
    page.goto(url + "/halls/demo/counters")
    watch.clean(page, lambda: wait_for(page, "typeof Hall === 'object'"))

    def signed_in(where: str) -> Callable[[], None]:
        def proof() -> None:
            if page.locator("#login").is_visible():
                log_in(page, "manager", "demo-manager")
            expect(page.locator(where)).to_be_visible()

        return proof

    page.goto(url + "/halls/demo/counters/1")
    expect(page.locator("#login")).to_be_visible()  # shown by the script
    watch.clean(page, signed_in("#desk"))
    page.goto(url + "/halls/demo/desk")
    watch.clean(page, signed_in("#work"))
    for path in ("", "/reports", "/planning", "/posts", "/ratings", "/audit"):
        page.goto(f"{url}/halls/demo/manage{path}")
        watch.clean(page, signed_in("#work"))
        expect(page.locator("#who")).to_have_text("王海（大厅负责人）")
    desk.close()

    assert watch.errors == [], watch.errors
    assert len(watch.checked) == 20


def test_the_screen_speaks_under_the_policy(
    autoplay_browser: Browser, server: Server, api: httpx.Client, watch: Watch
) -> None:
    """The voice (media-src) and the calls over the websocket (connect-src) reach the screen."""
    manager = staff_login(api, "manager", "demo-manager")
    page = watch.page(watch.context(autoplay_browser, LANDSCAPE))
    page.goto(server.url + "/halls/demo/screen#token=demo-screen-token")
    wait_for(page, "window.SCREEN.log.snapshots >= 1")
    number = api.post("/api/halls/demo/tickets", json={"item": "SB01"}, headers=KIOSK_AUTH).json()["number"]
    act(api, manager, 1, "open")
    assert act(api, manager, 1, "call-next")["number"] == number
    watch.clean(page, lambda: wait_for(page, "window.SCREEN.log.played.length >= 1", timeout=30_000))
    assert watch.errors == [], watch.errors
