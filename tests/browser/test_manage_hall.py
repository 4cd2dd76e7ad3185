"""The manager's hall in a real browser: 大厅实况 (the live view, its alerts, acting on a counter)
and 统计报表 (the report, its charts, every download read back).

``hall serve`` in a child process on a fresh data directory, Debian's Chromium headless through
Playwright; what the page shows is checked against what the API did; downloads are opened with
openpyxl and poppler. Screenshots go to ``test-artifacts/manage/``.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import time
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import httpx
import openpyxl
import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.common import KIOSK_AUTH, Shots, act, log_in, staff_login, wait_for
from tests.support import Server, booking_request, person

MANAGER_DESK = {"width": 1366, "height": 768}


@pytest.fixture
def shots() -> Shots:
    return Shots("manage", {"full_page": True})


def signed_in(new_page: Callable[..., Page], server: Server, path: str) -> Page:
    page = new_page(MANAGER_DESK, accept_downloads=True)
    page.goto(f"{server.url}/halls/demo/manage{path}")
    log_in(page, "manager", "demo-manager")
    expect(page.locator("#work")).to_be_visible()
    return page


def issue(api: httpx.Client, item: str = "SB01") -> dict:
    response = api.post("/api/halls/demo/tickets", json={"item": item}, headers=KIOSK_AUTH)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_live_view_follows_the_hall_and_its_alerts(
    new_page: Callable[..., Page], server: Server, api: httpx.Client, manager: dict, clerk: dict, shot
) -> None:
    act(api, clerk, 1, "sign-in")
    act(api, clerk, 1, "open")
    page = signed_in(new_page, server, "")
    tile = page.locator("#counter-1")
    expect(tile).to_contain_text("张伟")
    expect(page.locator("#live-state")).to_contain_text("已更新")
    # a call made through the API shows on the tile within a second
    issue(api)
    called = api.post("/api/halls/demo/counters/1/call-next", headers=clerk).json()
    started = time.monotonic()
    expect(tile.locator(".tile-now")).to_contain_text(called["number"], timeout=1_000)
    assert time.monotonic() - started < 1.0
    act(api, clerk, 1, "complete")
    expect(tile).to_contain_text("今日办结 1")
    # twelve waiting for social insurance at one open counter: the alert appears, says why, links to the counters
    for _ in range(12):
        issue(api)
    alert = page.locator('#alerts li[data-about="group:B"][data-kind="queue"]')
    expect(alert).to_be_visible(timeout=3_000)
    expect(alert).to_contain_text("请增开窗口")
    expect(alert.locator("a")).to_have_attribute("href", "#counters")
    expect(page.locator("#group-table")).to_contain_text("社保医保")
    expect(page.locator("#sum-waiting")).to_have_text("12")
    shot(page, "alert")
    # the manager opens counter 2 from the page: 12 waiting at two counters, the alert clears
    page.locator("#counter-2").get_by_role("button", name="开始服务").click()
    expect(alert).to_have_count(0, timeout=3_000)
    assert api.get("/api/halls/demo/counters/2").json()["state"] == "open"
    # and pauses it with a reason, which the tile shows; the record has who did it
    page.once("dialog", lambda dialog: dialog.accept("培训"))
    page.locator("#counter-2").get_by_role("button", name="暂停").click()
    expect(page.locator("#counter-2 .tile-state")).to_contain_text("培训")
    shot(page, "live", top="manage-live.png")


def test_re_purposing_a_counter_from_the_page(
    new_page: Callable[..., Page], server: Server, api: httpx.Client, manager: dict
) -> None:
    numbers = [issue(api, item)["number"] for item in ("SB01", "QY01", "SB02")]
    page = signed_in(new_page, server, "")
    page.locator("#counter-6").get_by_role("button", name="调整").click()
    dialog = page.locator("#repurpose")
    expect(dialog).to_be_visible()
    dialog.locator("select[name=kind]").select_option("no_difference")
    dialog.get_by_role("button", name="预览 Preview").click()
    preview = dialog.locator("#preview")
    expect(preview.locator(".could-call")).to_contain_text("可叫号 3 人")
    for number in numbers:
        expect(preview).to_contain_text(number)
    assert api.get("/api/halls/demo/counters/6").json()["kind"] == "domain"  # a preview changes nothing
    dialog.get_by_role("button", name="确认调整 Apply").click()
    expect(dialog).to_be_hidden()
    changed = api.get("/api/halls/demo/counters/6").json()
    assert changed["kind"] == "no_difference" and "SB01" in changed["items"]
    expect(page.locator("#counter-6")).to_contain_text("无差别综合窗口")


def _shown(estimate: dict | None, scale: float = 1) -> str:
    """A simulated figure as the pages show it (``Manage.pm``): "4.2 [3.9, 4.6]", to one decimal
    rounded half up as JavaScript's toFixed does."""

    def one(x: float) -> str:
        return str(Decimal(x * scale).quantize(Decimal("0.1"), ROUND_HALF_UP))

    if not estimate or estimate["mean"] is None:
        return "–"
    interval = estimate.get("ci95")
    return f"{one(estimate['mean'])} [{one(interval[0])}, {one(interval[1])}]" if interval else one(estimate["mean"])


def test_what_if_now_from_the_live_view(
    new_page: Callable[..., Page], server: Server, api: httpx.Client, manager: dict, clerk: dict, shot
) -> None:
    """Twelve wait for social insurance at one open counter; the manager asks "what if I open
    counter 8 as a no-difference counter now": the panel, busy while the simulator runs, shows
    the rest of today as it is and with the change, the figures the API answered; a change the
    hall cannot take is refused in Chinese and English."""
    act(api, clerk, 1, "sign-in")
    act(api, clerk, 1, "open")
    for _ in range(12):
        issue(api)
    page = signed_in(new_page, server, "")
    panel = page.locator("#what-if")
    row = panel.locator("#what-if-changes > li").first
    expect(row.get_by_label("类型 kind")).to_be_disabled()  # a kind only for a change of kind
    row.get_by_label("窗口 counter").select_option("8")
    row.get_by_label("操作 action").select_option("reconfigure")
    row.get_by_label("类型 kind").select_option("no_difference")
    expect(row.locator("fieldset.domains")).to_be_hidden()
    panel.get_by_label(re.compile("模拟次数")).fill("100")
    # the request held on its way: the panel says it is busy, and cannot be pressed again
    held: list[Route] = []
    page.route("**/planning/what-if", lambda route: held.append(route))
    run = panel.get_by_role("button", name="模拟 Simulate")
    run.click()
    expect(run).to_be_disabled()
    expect(panel.locator("#what-if-result")).to_have_attribute("aria-busy", "true")
    expect(panel.locator("#what-if-status")).to_contain_text("模拟中")
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    with page.expect_response("**/planning/what-if", timeout=60_000) as answered:
        held[0].continue_()
    page.unroute("**/planning/what-if")
    asked = answered.value.request.post_data_json
    assert asked == {
        "changes": [{"counter": 8, "action": "reconfigure", "kind": "no_difference"}],
        "target_minutes": 15,  # the hall's service-level minutes, to begin with
        "replications": 100,
    }
    what = answered.value.json()
    expect(panel.locator("#what-if-status")).to_contain_text("已模拟 100 次", timeout=30_000)
    expect(run).to_be_enabled()
    expect(panel.locator("#what-if-result")).to_have_attribute("aria-busy", "false")
    baseline, changed = what["baseline"], what["changed"]
    assert changed["wait_minutes"]["mean"] < baseline["wait_minutes"]["mean"]  # a second counter for twelve helps

    def column(result: dict, recovers_at: str | None) -> list[str]:
        mean = {"mean": result["wait_minutes"]["mean"], "ci95": result["wait_minutes"]["ci95"]}
        return [
            _shown(mean),
            _shown(result["wait_minutes"]["p90"]),
            _shown(result["wait_over"]["15"], 100) + "%",
            result["last_served"] or "–",
            recovers_at or "今日回不到\nnot today",
        ]

    table = panel.locator("#what-if-result")
    expect(table).to_be_visible()
    shown = [[cell.inner_text() for cell in tr.locator("th, td").all()] for tr in table.locator("tbody tr").all()]
    assert [r[0].split("\n") for r in shown] == [
        ["平均等候（分钟）", "mean wait (min)"],
        ["p90 等候（分钟）", "p90 wait (min)"],
        ["等候超过15分钟的比例", "share waiting over 15 min"],
        ["最后一位办结", "last citizen served"],
        ["p90 等候回到15分钟内", "p90 wait back under 15 min"],
    ]
    assert [r[1] for r in shown] == column(baseline, what["baseline_recovers_at"])
    assert [r[2] for r in shown] == column(changed, what["changed_recovers_at"])
    # the same question to the API a moment later: the same seed, so all but the moment's seconds alike
    again = api.post("/api/halls/demo/planning/what-if", json=asked, headers=manager)
    assert again.status_code == 200, again.text
    later = again.json()
    if later["at"][:13] == what["at"][:13]:  # the same hour: the same window simulated
        for key in ("baseline", "changed"):
            assert later[key]["wait_minutes"]["mean"] == pytest.approx(what[key]["wait_minutes"]["mean"], abs=1.0)
    shot(page, "what-if")
    # the hall itself is as it was: the what-if ran on a copy
    counter = api.get("/api/halls/demo/counters/8").json()
    assert (counter["state"], counter["kind"]) == ("closed", "domain")

    # a domain counter with no domain: the simulator refuses it, and the panel says so in both languages
    row.get_by_label("类型 kind").select_option("domain")
    expect(row.locator("fieldset.domains")).to_be_visible()
    run.click()
    status = panel.locator("#what-if-status")
    expect(status).to_have_class(re.compile("error"), timeout=30_000)
    expect(status).to_contain_text("未能模拟")
    expect(status).to_contain_text("could not simulate")
    expect(status).to_contain_text("lists its domains")  # the API's own words: what to change
    expect(table).to_be_hidden()


def test_the_report_its_charts_and_every_download(
    new_page: Callable[..., Page], server: Server, api: httpx.Client, manager: dict, clerk: dict, shot, tmp_path: Path
) -> None:
    act(api, clerk, 1, "sign-in")
    act(api, clerk, 1, "open")
    for _ in range(3):
        issue(api)
    for _ in range(2):
        api.post("/api/halls/demo/counters/1/call-next", headers=clerk)
        act(api, clerk, 1, "complete")
    page = signed_in(new_page, server, "/reports")
    overview = page.locator("#overview")
    expect(overview.locator("tr", has_text="到达 arrivals")).to_contain_text("3")
    expect(overview.locator("tr", has_text="办结 served")).to_contain_text("2")
    for chart in ("hourly", "groups", "utilisation", "heatmap", "mix"):
        image = page.locator(f"#chart-{chart}")
        expect(image).to_have_attribute("src", re.compile("^blob:"), timeout=15_000)
        wait_for(page, f"document.getElementById('chart-{chart}').naturalWidth > 100")
    page.locator("#dimension").select_option("group")
    expect(page.locator("#figures")).to_contain_text("社保医保")
    expect(page.locator("#clerks")).to_contain_text("张伟")
    shot(page, "report", top="manage-reports.png")

    def download(button) -> Path:  # type: ignore[no-untyped-def]
        with page.expect_download(timeout=30_000) as info:
            button.click()
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        return path

    tickets = download(page.locator('#downloads [data-table="tickets"][data-format="xlsx"]'))
    rows = list(openpyxl.load_workbook(tickets, read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 4 and {r[1] for r in rows[1:]} == {"B001", "B002", "B003"}
    buttons = page.locator("#downloads button")
    for index in range(buttons.count()):
        if index and index % 8 == 0:  # Chromium holds back a tab's downloads after ten or so: a fresh page
            page.reload()
            expect(page.locator("#chart-hourly")).to_have_attribute("src", re.compile("^blob:"), timeout=15_000)
        path = download(buttons.nth(index))
        if path.suffix == ".csv":
            text = path.read_bytes()
            assert text.startswith(b"\xef\xbb\xbf"), path.name
            assert list(csv.reader(io.StringIO(text.decode("utf-8-sig")))), path.name
        else:
            assert openpyxl.load_workbook(path, read_only=True).active.max_row >= 1, path.name
    page.reload()
    expect(page.locator("#chart-hourly")).to_have_attribute("src", re.compile("^blob:"), timeout=15_000)
    for period, name in (("day", "日报"), ("week", "周报"), ("month", "月报"), ("year", "年报")):
        pdf = download(page.locator(f'[data-pdf="{period}"]'))
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert name in text and "示范区政务服务中心" in text, period


def _book_for(api: httpx.Client, day: str, item: str, count: int) -> int:
    """Book ``count`` appointments on ``day`` (open slots in turn), at the service desk (no
    phones' codes: the planning is the point here); returns how many were made."""
    desk = staff_login(api, "manager", "demo-manager")
    slots = api.get("/api/halls/demo/appointments/slots", params={"item": item, "from": day, "days": 1}).json()
    free = [s["start"] for s in slots if s["state"] == "open" and s["left"] > 0]
    made = 0
    for k in range(count):
        if not free:
            break
        booking = booking_request(item, free[k % len(free)], person(100 + k))
        answer = api.post("/api/halls/demo/appointments", json=booking, headers=desk)
        assert answer.status_code == 201, answer.text
        made += 1
    return made


def test_planning_forecast_simulate_and_advise(new_page: Callable[..., Page], server: Server, api: httpx.Client,
                                               shot) -> None:  # fmt: skip
    page = signed_in(new_page, server, "/planning")
    day = page.locator("#day-form input[name=day]").input_value()
    # the forecast of a new hall is its booked appointments: book some for that day
    assert _book_for(api, day, "QY01", 8) == 8
    page.locator("#day-form button[type=submit]").click()
    expect(page.locator("#forecast-status")).to_contain_text("预计 8 人")
    expect(page.locator("#forecast-items")).to_contain_text("8.0")
    # the plan grid: every kind × every hour of the day, all open to begin with
    grid = page.locator("#plan input")
    expect(grid.first).to_be_visible()
    assert grid.count() >= 8
    for k in range(grid.count()):  # every counter of its kind
        assert grid.nth(k).input_value() == grid.nth(k).get_attribute("max")
    page.locator("#run-form input[name=replications]").fill("50")
    page.locator("#simulate").click()
    expect(page.locator("#run-status")).to_contain_text("已模拟 50 天", timeout=60_000)
    expect(page.locator("#summary")).to_contain_text("平均等候")
    wait_for(page, "document.getElementById('planning-chart').naturalWidth > 100", timeout=15_000)
    # the advice: fewer counter-hours for so few people, each hour explained
    page.locator("#advise").click()
    expect(page.locator("#run-status")).to_contain_text("窗口·小时", timeout=90_000)
    status = page.locator("#run-status").inner_text()
    advised, current = (int(n) for n in re.findall(r"(\d+) 窗口·小时（原 (\d+)）", status)[0])
    assert advised < current, status
    expect(page.locator("#why li").first).to_be_visible()
    assert page.locator("#why li").count() >= 8
    shot(page, "planning", top="manage-planning.png")
    # a mistake the manager can act on: a plan with more counters than the hall has
    page.locator("#plan input").first.fill("99")
    page.locator("#simulate").click()
    expect(page.locator("#run-status")).to_have_class(re.compile("error"), timeout=30_000)
    expect(page.locator("#run-status")).to_contain_text("99")
