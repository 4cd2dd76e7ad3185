"""Every page a person can reach passes axe-core's WCAG 2.1 A and AA rules, in the states that matter.

Each test starts ``hall serve`` on a fresh data directory (as the other browser tests do), opens
the pages at the size of the device they are made for (a phone, the kiosk's portrait and
landscape screens, a counter PC, a tablet pad, the hall screen), brings them into their states
(a ticket at the counter, the kiosk's slip and its error, calls on the screen, the forms'
refusals…) and runs axe-core in the page. axe-core is the npm package ``make test`` installs
into ``tests/browser/vendor/`` (pinned by version and sha512, see the Makefile); the product
never serves it: the test injects it.

A rule axe reports is a failure unless ``WAIVED`` lists it for that page with the reason; a
waiver no check needs any more fails too, so the list stays honest. Screenshots of every state
checked go to ``test-artifacts/accessibility/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.common import (
    DESK,
    KIOSK_AUTH,
    LANDSCAPE,
    PAD_AUTH,
    PAD_TOKEN,
    PHONE,
    PORTRAIT,
    Shots,
    act,
    item_button,
    log_in,
    overlay,
    staff_login,
    wait_for,
)
from tests.browser.test_appointments import fill_person, get_code
from tests.browser.test_manage_hall import _book_for
from tests.support import Server
from tests.test_appointments import id_number
from tests.test_posts_alerts import open_all_day_hall

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TABLET = {"width": 1280, "height": 800}  # the evaluation pad
MANAGER_DESK = {"width": 1366, "height": 768}
PHONE_OPTIONS = {"is_mobile": True, "has_touch": True, "device_scale_factor": 2}

# page -> {axe rule id: why it is waived there}. Few, and each with its reason.
_SWAGGER = "inside Swagger UI (third-party, vendored unchanged for integrators, not citizens or staff): "
WAIVED: dict[str, dict[str, str]] = {
    "api-docs": {
        "color-contrast": _SWAGGER + "its light method badges (GET, POST…), version stamps and code colours",
        "nested-interactive": _SWAGGER + "each operation's summary is a button holding the copy and lock buttons",
        "select-name": _SWAGGER + "its unlabelled servers drop-down",
    },
}


@pytest.fixture
def server_env(server_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The demo hall open round the clock (an empty post is alerted only in opening hours, and the
    tests run whenever CI does), its posts watched every 0.2 s."""
    return {**server_env, "HALL_FILES": str(open_all_day_hall(tmp_path)), "HALL_POST_WATCH": "0.2"}


@pytest.fixture
def shots() -> Shots:
    return Shots("accessibility", {"full_page": True, "animations": "disabled"})


# ---------------------------------------------------------------- the check


@dataclass
class Audit:
    """axe-core's verdicts on the states of the pages one test visits: ``with audit:`` around the
    visits, each state checked with ``audit.check(page, name, state)``; on leaving the block
    (without an error of its own) every violation found, and every unneeded waiver, fails the test."""

    shot: Callable[..., None]
    problems: list[str] = field(default_factory=list)
    waivers_used: dict[str, set[str]] = field(default_factory=dict)  # page -> waived rules it broke
    inside: bool = False

    def __enter__(self) -> Audit:
        self.inside = True
        return self

    def __exit__(self, error: type[BaseException] | None, *_: object) -> None:
        self.inside = False
        if error is None:
            self.verdict()

    def check(self, page: Page, name: str, state: str) -> None:
        """Run axe on ``page`` (``name``: its key in ``WAIVED``) as it is now; keep a screenshot."""
        assert self.inside, "checks are made inside `with audit:`, which judges them"
        self.shot(page, f"{name}--{state}")
        if not page.evaluate("typeof window.axe === 'object'"):
            # Run by the driver, not as a <script> tag: the pages' CSP runs no inline script.
            page.evaluate(AXE.read_text(encoding="utf-8"))
        violations = page.evaluate(
            """async (tags) => {
                 const r = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
                 return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
                   nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary}))}));
               }""",
            WCAG_21_AA,
        )
        waived = WAIVED.get(name, {})
        self.waivers_used.setdefault(name, set()).update(v["id"] for v in violations if v["id"] in waived)
        for v in violations:
            if v["id"] not in waived:
                where = f"{name} ({state}) {page.url}"
                self.problems.append(f"{where}\n  {v['id']} [{v['impact']}] {v['help']}\n  {v['url']}")
                for node in v["nodes"][:8]:
                    summary = (node["summary"] or "").replace("\n", "\n        ")
                    self.problems.append(f"      {node['target']}\n        {summary}")
                if len(v["nodes"]) > 8:
                    self.problems.append(f"      … and {len(v['nodes']) - 8} more")

    def verdict(self) -> None:
        assert self.waivers_used, "no page was checked"
        stale = [
            f"{name}: {rule} is waived but not reported any more: remove the waiver"
            for name, rules in WAIVED.items()
            if name in self.waivers_used
            for rule in sorted(set(rules) - self.waivers_used[name])
        ]
        report = "\n".join(self.problems + stale)
        assert not report, f"accessibility (WCAG 2.1 AA, axe-core):\n{report}"


@pytest.fixture
def audit(shot: Callable[..., None]) -> Audit:
    assert AXE.is_file(), f"{AXE} is missing: `make vendor` installs axe-core (make test does)"
    return Audit(shot)


# ---------------------------------------------------------------- helpers


def issue(api: httpx.Client, item: str, **body: object) -> dict:
    response = api.post("/api/halls/demo/tickets", json={"item": item, **body}, headers=KIOSK_AUTH)
    assert response.status_code == 201, response.text
    return response.json()


def signed_in(page: Page, server: Server, path: str, username: str, password: str, work: str) -> Page:
    page.goto(server.url + path)
    log_in(page, username, password)
    expect(page.locator(work)).to_be_visible()
    return page


# ---------------------------------------------------------------- citizens


def test_start_queue_ticket_and_error_pages(new_page, server, api, manager, clerk, audit) -> None:
    with audit:
        page = new_page(DESK)
        page.goto(server.url + "/")
        expect(page.locator("main a").first).to_be_visible()
        audit.check(page, "start", "halls")

        issue(api, "QY01", priority="green")
        mine = issue(api, "SB01")
        phone = new_page(PHONE, **PHONE_OPTIONS)
        phone.goto(f"{server.url}/halls/demo/queue")
        expect(phone.locator('[data-item="SB01"] .q-waiting')).to_have_text("1 人")
        audit.check(phone, "queue", "waiting")

        phone.goto(f"{server.url}/halls/demo/tickets/{mine['id']}?k={mine['rating_key']}")  # the slip's link
        expect(phone.locator("#t-state")).to_have_text("等候中")
        audit.check(phone, "ticket", "waiting")

        act(api, clerk, 1, "sign-in")
        act(api, clerk, 1, "open")
        act(api, clerk, 1, "call-next")  # the green ticket
        act(api, clerk, 1, "complete")
        assert act(api, clerk, 1, "call-next")["id"] == mine["id"]
        phone.reload()
        expect(phone.locator("#t-callout")).to_be_visible()
        audit.check(phone, "ticket", "called")

        # Served, and not rated at the pad: the phone's rating, a bad one with its reasons.
        act(api, clerk, 1, "complete", ticket=mine["id"])
        phone.reload()
        expect(phone.locator("#rate")).to_be_visible()
        audit.check(phone, "ticket", "rating")
        phone.locator(".rate-level[data-bad=true]").last.click()
        expect(phone.locator("#rate-bad")).to_be_visible()
        phone.locator(".rate-reason").first.click()
        audit.check(phone, "ticket", "bad-rating")

        for path in ("/halls/demo/tickets/no-such-ticket", "/halls/nowhere/kiosk"):
            assert phone.goto(server.url + path).status == 404
            expect(phone.locator("h2")).to_have_text("没有找到")
            audit.check(phone, "error", path.split("/")[2])


@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
def test_kiosk(new_page, server, api, audit, viewport) -> None:
    with audit:
        page = new_page(viewport)
        page.goto(f"{server.url}/halls/demo/kiosk#token=demo-kiosk-token")
        expect(item_button(page, "QY01")).to_be_visible()
        wait_for(page, "document.querySelector('[data-waiting=QY01]').textContent.trim() !== ''")
        audit.check(page, "kiosk", "items")

        page.get_by_role("tab").nth(1).click()
        page.get_by_role("button", name=re.compile("绿色通道")).click()
        page.locator(".kiosk-items:not([hidden]) .item-btn").first.click()
        expect(overlay(page)).to_be_visible()
        expect(page.locator("#result-qr")).to_be_visible()
        audit.check(page, "kiosk", "slip")
        page.get_by_role("button", name="完成 Done").click()
        expect(overlay(page)).to_be_hidden()

        page.locator("#checkin-open").click()
        expect(page.locator("#checkin")).to_be_visible()
        page.locator("#checkin-input").fill("ZZZZZZZZ")
        page.locator("#checkin-submit").click()
        expect(page.locator("#checkin-error")).to_be_visible()
        audit.check(page, "kiosk", "check-in-refused")
        page.locator("#checkin-close").click()

        page.get_by_role("button", name="大字 Large type").click()
        audit.check(page, "kiosk", "large-type")

        # A new machine without its token: the set-up note, and a tap says where to go instead.
        bare = new_page(viewport)
        bare.goto(f"{server.url}/halls/demo/kiosk")
        expect(bare.locator("#setup")).to_be_visible()
        item_button(bare, "QY01").click()
        expect(bare.locator("#problem")).to_be_visible()
        audit.check(bare, "kiosk", "no-token")


def test_booking_pages(new_page, server, api, audit) -> None:
    with audit:
        page = new_page(PHONE, **PHONE_OPTIONS)
        page.goto(f"{server.url}/halls/demo/book")
        expect(page.locator("h3.domain").first).to_be_visible()
        audit.check(page, "book", "items")

        page.locator('[data-item="QY01"]').click()
        page.locator("#days .choice:enabled").first.click()
        page.locator("#slots .choice:enabled").first.click()
        expect(page.locator("#step-person")).to_be_visible()
        fill_person(page, id_number(1)[:-1] + ("0" if id_number(1)[-1] != "0" else "1"), phone="13812340001")
        get_code(page, server, "13812340001")
        page.get_by_role("button", name="提交预约 Book").click()
        expect(page.get_by_role("alert")).to_be_visible()
        audit.check(page, "book", "refused")

        page.locator("#person").get_by_label(re.compile("^证件号码")).fill(id_number(1))
        page.get_by_role("button", name="提交预约 Book").click()
        expect(page.locator("#done")).to_be_visible()
        wait_for(page, "document.getElementById('done-qr').naturalWidth > 0")
        audit.check(page, "book", "booked")
        status = page.locator("#done-link").get_attribute("href")

        page.goto(f"{server.url}/halls/demo/book")
        page.locator("#find summary").click()
        page.locator("#find-id").fill(id_number(1))
        page.locator("#find-phone").fill("13812340001")
        page.get_by_role("button", name="查找 Find").click()
        expect(page.locator("#found-bookings a")).to_have_count(1)
        audit.check(page, "book", "found")

        page.goto(f"{server.url}{status}")
        expect(page.locator("#b-state")).to_have_text("已预约")
        audit.check(page, "booking", "booked")
        page.locator("#cancel-proof").fill("13812340001")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="取消预约 Cancel booking").click()
        expect(page.locator("#b-state")).to_have_text("已取消")
        audit.check(page, "booking", "cancelled")


# ---------------------------------------------------------------- staff


def test_counter_pages_and_the_service_desk(new_page, server, api, manager, audit) -> None:
    with audit:
        page = new_page(DESK)
        page.goto(f"{server.url}/halls/demo/counters")
        expect(page.locator("[data-counter]").first).to_be_visible()
        audit.check(page, "counters", "list")

        suspended, serving = issue(api, "SB01"), issue(api, "SB02")
        for item in ("SB01", "QY01", "SB03"):
            issue(api, item)
        missed = issue(api, "SB01", priority="green")  # called first

        page.goto(f"{server.url}/halls/demo/counters/1")
        log_in(page, "zhangwei", "wrong-password")
        expect(page.locator("#toast")).to_be_visible()
        audit.check(page, "counter", "signed-out")

        log_in(page, "zhangwei", "demo-staff")
        expect(page.locator("#desk")).to_be_visible()
        page.locator('[data-do="sign-in"]').click()
        expect(page.locator("#who")).to_have_text("签到：张伟")
        page.locator('[data-do="open"]').click()
        expect(page.locator("#state-badge")).to_have_text("服务中")
        page.locator('[data-do="call-next"]').click()  # the green ticket first, then passed over
        expect(page.locator("#cur-number")).to_have_text(missed["number"])
        page.locator('[data-do="no-show"]').click()
        expect(page.locator("#confirm-dialog")).to_be_visible()
        audit.check(page, "counter", "confirm")
        page.locator("#confirm-dialog").get_by_role("button", name="确定 Confirm").click()
        page.locator('[data-do="call-next"]').click()
        expect(page.locator("#cur-number")).to_have_text(suspended["number"])
        page.locator('[data-do="suspend"]').click()
        expect(page.locator("#suspended-box")).to_be_visible()
        page.locator('[data-do="call-next"]').click()
        expect(page.locator("#cur-number")).to_have_text(serving["number"])
        page.locator('[data-do="start"]').click()
        expect(page.locator("#cur-meta")).to_contain_text("办理中")
        expect(page.locator("#missed-box")).to_be_visible()
        audit.check(page, "counter", "serving")

        page.locator('[data-do="transfer"]').click()
        expect(page.locator("#transfer-dialog")).to_be_visible()
        audit.check(page, "counter", "transfer")
        page.locator("#transfer-dialog").get_by_role("button", name="取消 Cancel").click()
        page.locator('[data-do="complete"]').click()
        page.locator('[data-do="pause"]').click()
        expect(page.locator("#pause-dialog")).to_be_visible()
        audit.check(page, "counter", "pause")
        page.locator("#pause-dialog").get_by_role("button", name="取消 Cancel").click()

        desk = new_page(DESK)
        desk.goto(f"{server.url}/halls/demo/desk")
        expect(desk.locator("#login")).to_be_visible()
        audit.check(desk, "desk", "signed-out")
        log_in(desk, "lina", "demo-staff")
        expect(desk.locator("#work")).to_be_visible()
        desk.locator("#find-number").fill(missed["number"])
        desk.get_by_role("button", name="查找 Find").click()
        expect(desk.locator("#f-history li").first).to_be_visible()
        desk.locator("#issue-form").get_by_role("button", name="取号并打印 Issue and print").click()
        expect(desk.locator("#issued")).to_be_visible()
        desk.locator("#checkin-form input").fill("110101199001011237")
        desk.get_by_role("button", name="签到 Check in").click()
        expect(desk.locator("#checkin-error")).to_be_visible()
        audit.check(desk, "desk", "found-issued-refused")


# ---------------------------------------------------------------- the hall's devices


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
def test_hall_screen_and_counter_board(new_page, server, api, manager, audit, viewport) -> None:
    with audit:
        screen = new_page(viewport)
        screen.goto(f"{server.url}/halls/demo/screen#token=demo-screen-token")
        expect(screen.locator("#idle")).to_be_visible()
        audit.check(screen, "screen", "idle")

        for item in ("SB01", "SB02", "QY01", "BD01", "SB01"):
            issue(api, item)
        for counter in (1, 2, 3):
            act(api, manager, counter, "open")
            act(api, manager, counter, "call-next")
        act(api, manager, 4, "open")
        act(api, manager, 4, "pause", reason="午休")
        expect(screen.locator("#recent li")).to_have_count(2)  # and the latest, large
        expect(screen.locator("#counters .tile")).to_have_count(4)
        audit.check(screen, "screen", "calls")

        bare = new_page(viewport)  # a screen set up without its token says how to set it up
        bare.goto(f"{server.url}/halls/demo/screen")
        expect(bare.locator("#setup")).to_be_visible()
        audit.check(bare, "screen", "no-token")

        board = new_page(viewport)
        board.goto(f"{server.url}/halls/demo/counters/1/board#token=demo-board-token")
        expect(board.locator("#board-number")).to_have_text("B001")
        audit.check(board, "board", "calling")
        board.goto(f"{server.url}/halls/demo/counters/4/board#token=demo-board-token")
        expect(board.locator("#board-state")).to_contain_text("暂停")
        audit.check(board, "board", "paused")


def test_evaluation_pad(new_page, server, api, clerk, audit) -> None:
    with audit:
        pad = new_page(TABLET)
        pad.goto(f"{server.url}/halls/demo/counters/1/pad#token={PAD_TOKEN}")
        wait_for(pad, "window.PAD.log.snapshots >= 1")
        act(api, clerk, 1, "sign-in")
        act(api, clerk, 1, "open")
        expect(pad.locator("#staff-name")).to_have_text("张伟")
        audit.check(pad, "pad", "idle")

        ticket = issue(api, "QY01")
        act(api, clerk, 1, "call-next")
        act(api, clerk, 1, "complete", ticket=ticket["id"])
        expect(pad.locator("#req-number")).to_have_text(ticket["number"])
        audit.check(pad, "pad", "request")
        pad.locator('.pad-level[data-bad="true"]').last.click()
        expect(pad.locator("#bad")).to_be_visible()
        pad.locator(".pad-reason").first.click()
        audit.check(pad, "pad", "bad")
        pad.locator("#bad-submit").click()
        expect(pad.locator("#done")).to_be_visible()
        audit.check(pad, "pad", "thanks")


# ---------------------------------------------------------------- managers and integrators


def test_manager_pages(new_page, server, api, manager, clerk, audit) -> None:
    with audit:
        # Something to show: a served and badly rated ticket, people waiting, an empty post
        # (counter 6: its A person paused with someone waiting, its B person 李娜 asked to cover).
        act(api, clerk, 1, "sign-in")
        act(api, clerk, 1, "open")
        served = issue(api, "SB01")
        act(api, clerk, 1, "call-next")
        act(api, clerk, 1, "complete", ticket=served["id"])
        service = api.get("/api/halls/demo/queue").json()["seq"]  # the completion's
        rating = {"service": service, "level": "dissatisfied", "reason": "服务态度不好", "phone": "13812345678"}
        answer = api.post("/api/halls/demo/ratings", json=rating, headers=PAD_AUTH)
        assert answer.status_code == 201, answer.text
        for item in ("SB01", "QY01", "BD01"):
            issue(api, item)
        today = api.get("/api/halls/demo/queue").json()["day"]
        roster = [{"counter": 6, "a": "chenjing", "b": "lina"}]
        assert api.put(f"/api/halls/demo/roster/{today}", json=roster, headers=manager).status_code == 200
        chenjing = staff_login(api, "chenjing", "demo-staff")
        act(api, chenjing, 6, "sign-in")
        act(api, chenjing, 6, "open")
        act(api, chenjing, 6, "pause", reason="开会")

        lina = signed_in(new_page(DESK), server, "/halls/demo/counters/7", "lina", "demo-staff", "#desk")
        expect(lina.get_by_role("alert")).to_contain_text("【空岗提醒】6号")
        audit.check(lina, "counter", "empty-post-alert")

        page = new_page(MANAGER_DESK)
        page.goto(f"{server.url}/halls/demo/manage")
        expect(page.locator("#login")).to_be_visible()
        audit.check(page, "manage", "signed-out")
        log_in(page, "manager", "demo-manager")
        expect(page.locator("#work")).to_be_visible()
        expect(page.get_by_role("alert")).to_contain_text("【空岗提醒】6号")
        audit.check(page, "manage", "live-with-alert")
        # 假如现在…: counter 8 made a domain counter of two domains, simulated (its domains shown)
        what_if = page.locator("#what-if")
        what_if.get_by_label("窗口 counter").select_option("8")
        what_if.get_by_label("操作 action").select_option("reconfigure")
        what_if.get_by_label("类型 kind").select_option("domain")
        for domain in ("social", "enterprise"):
            what_if.locator(f"input[name=domains][value={domain}]").check()
        what_if.get_by_label(re.compile("模拟次数")).fill("20")
        what_if.get_by_role("button", name="模拟 Simulate").click()
        expect(what_if.locator("#what-if-status")).to_contain_text("已模拟 20 次", timeout=60_000)
        audit.check(page, "manage", "what-if")

        page.goto(f"{server.url}/halls/demo/manage/reports")
        expect(page.locator("#overview tbody tr").first).to_be_visible(timeout=30_000)
        audit.check(page, "reports", "today")

        page.goto(f"{server.url}/halls/demo/manage/planning")
        day = page.locator("#day-form input[name=day]").input_value()
        assert _book_for(api, day, "QY01", 4) == 4  # a new hall's forecast: its bookings
        page.locator("#day-form button[type=submit]").click()
        expect(page.locator("#forecast-status")).to_contain_text("预计 4 人")
        page.locator("#run-form input[name=replications]").fill("10")
        page.locator("#simulate").click()
        expect(page.locator("#run-status")).to_contain_text("已模拟 10 天", timeout=60_000)
        audit.check(page, "planning", "simulated")

        page.goto(f"{server.url}/halls/demo/manage/posts")
        expect(page.locator("#roster .post").first).to_be_visible()
        audit.check(page, "posts", "roster")

        page.goto(f"{server.url}/halls/demo/manage/ratings")
        expect(page.locator("#cases tbody tr")).to_have_count(1)
        audit.check(page, "ratings", "a-case")


def test_api_docs(new_page, server, audit) -> None:
    with audit:
        page = new_page(DESK)
        page.goto(server.url + "/api/docs")
        expect(page.locator(".opblock").first).to_be_visible()
        audit.check(page, "api-docs", "operations")
        page.locator(".opblock-summary").first.click()
        expect(page.locator(".opblock-body").first).to_be_visible()
        audit.check(page, "api-docs", "an-operation")


def test_audit_page(new_page, server, api, manager, audit) -> None:
    with audit:
        wrong = {"hall": "demo", "username": "lina", "password": "wrong"}
        assert api.post("/api/auth/login", json=wrong).status_code == 401
        assert api.put("/api/halls/demo/roster/2026-12-31", json=[], headers=manager).status_code == 200
        page = signed_in(new_page(DESK), server, "/halls/demo/manage/audit", "manager", "demo-manager", "#work")
        expect(page.locator("#audit tbody tr")).to_have_count(4)  # with the page's own sign-in
        audit.check(page, "audit", "entries")
