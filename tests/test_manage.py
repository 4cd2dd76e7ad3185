"""The manager's hall over HTTP, on SQLite and PostgreSQL: the report of a morning driven through
the API, checked figure by figure; exports read back (XLSX with openpyxl, CSV with its BOM, the
PDF with poppler); the live view and its alerts; the preview of a re-purposed counter; the
report over several halls; every bad input answered with a 4xx naming the field."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
from pathlib import Path

import openpyxl
import pytest
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient

from config.app import create_app
from config.settings import Settings, load_settings
from tests.support import DEMO_HALL, REAL_HALL, SMALL_HALL, Clock, login

KIOSK = {"Authorization": "Bearer demo-kiosk-token"}


@pytest.fixture
def manager(client: TestClient) -> dict[str, str]:
    return login(client, "manager", "demo-manager")


def act(client: TestClient, headers: dict[str, str], counter: int, *actions: str) -> None:
    for action in actions:
        response = client.post(f"/api/halls/demo/counters/{counter}/{action}", headers=headers)
        assert response.status_code in (200, 204), response.text


def morning(client: TestClient, clock: Clock) -> list[dict]:
    """09:00 Monday: counter 1 (no-difference) opens; six tickets; three served in turn, 5 minutes
    each, called at 09:05, 09:10, 09:15; then one is a no-show and one cancelled at the desk."""
    clerk = login(client, "zhangwei", "demo-staff")
    act(client, clerk, 1, "sign-in", "open")
    tickets = [client.post("/api/halls/demo/tickets", json={"item": "SB01"}, headers=KIOSK).json() for _ in range(6)]
    for _ in range(3):
        clock.advance(minutes=5)
        act(client, clerk, 1, "call-next", "start")
        clock.advance(minutes=5)  # the next call comes with the next loop's 5 minutes: 10 apart
        act(client, clerk, 1, "complete")
        clock.advance(minutes=-5)
    clock.advance(minutes=5)
    act(client, clerk, 1, "call-next", "no-show")
    desk = login(client, "manager", "demo-manager")
    assert client.post(f"/api/halls/demo/tickets/{tickets[5]['id']}/cancel", headers=desk).status_code == 200
    return tickets


def test_an_empty_range_gives_zeros_and_empty_charts(client: TestClient, manager: dict) -> None:
    report = client.get("/api/halls/demo/stats?from=2026-10-01&to=2026-10-07", headers=manager)
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["days"] == 0 and body["total"]["arrivals"] == 0 and body["total"]["wait_mean"] is None
    assert all(rows == [] for rows in body["tickets"].values())
    svg = client.get("/api/halls/demo/stats/charts/hourly.svg?from=2026-10-01&to=2026-10-07", headers=manager)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
    exported = client.get(
        "/api/halls/demo/stats/export?table=tickets&format=csv&from=2026-10-01&to=2026-10-07", headers=manager
    )
    assert exported.status_code == 200
    assert exported.content.startswith(b"\xef\xbb\xbf") and len(exported.content.decode("utf-8-sig").splitlines()) == 1


def test_a_morning_figure_by_figure(client: TestClient, clock: Clock, manager: dict) -> None:
    morning(client, clock)
    body = client.get("/api/halls/demo/stats?by=item,counter,kind,clerk,hour", headers=manager).json()
    total = body["total"]
    assert (total["arrivals"], total["served"], total["no_show"], total["cancelled"], total["waiting"]) == (
        6,
        3,
        1,
        1,
        1,
    )
    # waits: called at 5, 10, 15, 20 minutes after issue (all issued at 09:00)
    assert (total["called"], total["wait_mean"], total["wait_p50"], total["wait_max"]) == (4, 12.5, 10.0, 20.0)
    assert total["service_mean"] == 5.0 and total["service_p90"] == 5.0
    # the target is the demo hall's 15 minutes: called within it 3 of 6 (the one still waiting
    # has waited 20 minutes: decided, not within); served within it 3 of 3
    assert (total["within_target"], total["decided"]) == (3, 6)
    assert total["service_level"] == 0.5 and total["service_level_served"] == 1.0
    [item] = body["tickets"]["item"]
    assert item["key"] == "SB01" and item["label"] == "社会保险参保登记" and item["arrivals"] == 6
    [clerk] = [row for row in body["tickets"]["clerk"] if row["key"] == "zhangwei"]
    assert clerk["served"] == 3 and clerk["label"] == "张伟"
    counters = body["counters"]["counter"]
    assert [c["key"] for c in counters] == [f"demo/{n}" for n in range(1, 15)]  # every counter, in number order
    counter = counters[0]
    assert counter["served"] == 3 and counter["idle_waiting_hours"] == pytest.approx(5 / 60, abs=1e-3)
    assert counter["open_hours"] == pytest.approx(20 / 60, abs=1e-3)  # 09:00 to the last event, 09:20
    assert counter["busy_hours"] == pytest.approx(15 / 60, abs=1e-3)  # three services back to back, 09:05–09:20
    assert counter["utilisation"] == pytest.approx(counter["busy_hours"] / counter["open_hours"], abs=1e-3)
    # the estimates each ticket was told at issue (B001: 0 ahead, 0 min; B002: 1 ahead …)
    [everyone] = body["estimates"]["all"]
    assert everyone["tickets"] == 4 and everyone["quoted_mean"] is not None
    [staff] = [c for c in body["clerks"] if c["username"] == "zhangwei"]
    assert staff["served"] == 3 and staff["service_mean"] == 5.0 and staff["name"] == "张伟"
    assert body["previous"]["arrivals"] == 0  # the Sunday before


def test_exports_read_back(client: TestClient, clock: Clock, manager: dict, tmp_path: Path) -> None:
    morning(client, clock)
    xlsx = client.get("/api/halls/demo/stats/export?table=tickets&format=xlsx", headers=manager)
    assert xlsx.status_code == 200
    assert "attachment" in xlsx.headers["content-disposition"] and ".xlsx" in xlsx.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 7 and rows[0][1] == "号码 number"
    assert sorted(r[1] for r in rows[1:]) == ["B001", "B002", "B003", "B004", "B005", "B006"]
    outcomes = {r[1]: r[19] for r in rows[1:]}
    assert outcomes["B001"] == "办结" and outcomes["B004"] == "过号" and outcomes["B006"] == "取消"
    # times are Excel dates in the hall's wall-clock time (sortable, filterable by day)
    arrived = {r[1]: r[7] for r in rows[1:]}
    assert arrived["B001"] == dt.datetime(2026, 11, 23, 9, 0)
    tickets_csv = client.get("/api/halls/demo/stats/export?table=tickets&format=csv", headers=manager)
    first = list(csv.reader(io.StringIO(tickets_csv.content.decode("utf-8-sig"))))[1]
    assert first[7] == "2026-11-23 09:00:00"
    for table in ("figures:hour", "counters:counter", "clerks", "estimates:ahead", "mix", "appointments"):
        exported = client.get(f"/api/halls/demo/stats/export?table={table}&format=csv", headers=manager)
        assert exported.status_code == 200, (table, exported.text)
        lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert len(lines) >= 2, table
    pdf = client.get("/api/halls/demo/stats/report.pdf?period=day", headers=manager)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "示范区政务服务中心" in text and "日报" in text and "社保医保" in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "yes" in fonts.splitlines()[-1]  # the CJK font is embedded


def test_bad_input_names_the_field(client: TestClient, manager: dict) -> None:
    cases = [
        ("/api/halls/demo/stats?from=2026-11-25&to=2026-11-20", 422, "from"),
        ("/api/halls/demo/stats?from=11/25", 422, "from"),
        ("/api/halls/demo/stats?to=2026-13-40", 422, "to"),
        ("/api/halls/demo/stats?by=hour,colour", 422, "by"),
        ("/api/halls/nowhere/stats", 404, "hall"),
        ("/api/halls/demo/stats/export?table=secrets", 422, "table"),
        ("/api/halls/demo/stats/export?format=doc", 400, "format"),
        ("/api/halls/demo/stats/charts/pie.svg", 404, "chart"),
        ("/api/halls/demo/stats?target=0", 400, "target"),
    ]
    for path, status, field in cases:
        response = client.get(path, headers=manager)
        assert response.status_code == status, (path, response.text)
        assert field in response.text, (path, response.text)
    assert client.get("/api/halls/demo/stats").status_code == 401
    clerk = login(client, "zhangwei", "demo-staff")
    assert client.get("/api/halls/demo/stats", headers=clerk).status_code == 403


def test_the_live_view_warns_and_clears(client: TestClient, clock: Clock, manager: dict) -> None:
    clerk = login(client, "zhangwei", "demo-staff")
    act(client, clerk, 1, "sign-in", "open")
    for _ in range(12):  # 12 waiting for social insurance, one open counter serving it: over 10 each
        client.post("/api/halls/demo/tickets", json={"item": "SB01"}, headers=KIOSK)
    live = client.get("/api/halls/demo/live", headers=manager).json()
    assert live["type"] == "live" and live["waiting"] == 12
    about = {(a["kind"], a["about"]) for a in live["alerts"]}
    assert ("queue", "group:B") in about
    [tile] = [c for c in live["counters"] if c["number"] == 1]
    assert tile["clerk_name"] == "张伟" and tile["state"] == "open" and tile["waiting"] == 12
    # a second no-difference counter opens: 12 waiting at 2 counters is 6 each, no longer a warning
    act(client, manager, 2, "open")
    live = client.get("/api/halls/demo/live", headers=manager).json()
    assert ("queue", "group:B") not in {(a["kind"], a["about"]) for a in live["alerts"]}
    clock.advance(minutes=31)  # now they have waited too long
    live = client.get("/api/halls/demo/live", headers=manager).json()
    assert ("wait", "group:B") in {(a["kind"], a["about"]) for a in live["alerts"]}
    # the channel: a view on connecting, a fresh one after a call
    token = manager["Authorization"].removeprefix("Bearer ")
    with client.websocket_connect(f"/ws/halls/demo/manage?token={token}") as socket:
        first = socket.receive_json()
        assert first["type"] == "live" and first["served_today"] == 0
        act(client, clerk, 1, "call-next")
        for _ in range(20):
            view = socket.receive_json()
            if any(c["current"] for c in view["counters"] if c["number"] == 1):
                break
        else:
            pytest.fail("the call never showed on the live view")
        assert view["counters"][0]["current"] == "B001"
    clerk_token = clerk["Authorization"].removeprefix("Bearer ")
    with (
        pytest.raises(WebSocketDisconnect),
        client.websocket_connect(f"/ws/halls/demo/manage?token={clerk_token}") as socket,
    ):
        socket.receive_json()


def test_the_preview_of_a_re_purposed_counter(client: TestClient, manager: dict) -> None:
    for item in ("SB01", "QY01", "SB02"):
        client.post("/api/halls/demo/tickets", json={"item": item}, headers=KIOSK)
    preview = client.post(
        "/api/halls/demo/counters/6/preview", json={"kind": "domain", "domains": ["social"]}, headers=manager
    ).json()
    assert preview["allowed"] and preview["changed"] and preview["could_call"] == ["B001", "B002"]
    assert "SB01" in preview["gains"] and "QY01" in preview["loses"]
    # nothing changed yet: counter 6 still serves enterprise items
    assert "QY01" in client.get("/api/halls/demo/counters/6").json()["items"]
    refused = client.post(
        "/api/halls/demo/counters/6/preview", json={"kind": "domain", "domains": ["nowhere"]}, headers=manager
    ).json()
    assert refused["allowed"] is False and refused["refusal"]


def test_a_report_over_several_halls_for_who_manages_them_all(tmp_path: Path, clock: Clock) -> None:
    demo = DEMO_HALL.read_text(encoding="utf-8")
    manager_hash = demo.split('username = "manager"', 1)[1].split('password_hash = "', 1)[1].split('"', 1)[0]
    small = tmp_path / "small.toml"
    small.write_text(
        SMALL_HALL.read_text(encoding="utf-8")
        + f'\n[[staff]]\nusername = "manager"\nname = "经理"\nrole = "manager"\npassword_hash = "{manager_hash}"\n',
        encoding="utf-8",
    )
    settings: Settings = load_settings(
        env={}, halls=[str(DEMO_HALL), str(small)], data_dir=str(tmp_path / "var"), log_format="text", **REAL_HALL
    )
    with TestClient(create_app(settings, clock=clock, configure_logs=False)) as client:
        manager = login(client, "manager", "demo-manager")
        client.post("/api/halls/demo/tickets", json={"item": "SB01"}, headers=KIOSK)
        client.post(
            "/api/halls/small/tickets", json={"item": "MZ01"}, headers={"Authorization": "Bearer small-kiosk-token"}
        )
        both = client.get("/api/stats?halls=demo,small&by=hall", headers=manager)
        assert both.status_code == 200, both.text
        body = both.json()
        assert body["total"]["arrivals"] == 2 and {r["key"] for r in body["tickets"]["hall"]} == {"demo", "small"}
        refused = client.get("/api/stats?halls=demo,nowhere", headers=manager)
        assert refused.status_code == 404 and "nowhere" in refused.text
