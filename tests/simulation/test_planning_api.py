"""The planning API (managers): the forecast, simulate, advise, what-if from now and the chart,
on SQLite and PostgreSQL, through the statistics worker process as in the live service; and
the refusals a manager can act on."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from litestar.testing import TestClient

from tests.support import Clock, login

KIOSK = {"Authorization": "Bearer demo-kiosk-token"}
MONDAY = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _scenario(replications: int = 40, **extra: object) -> dict:
    """Two hours of social-insurance walk-ins at the demo hall's no-difference counters."""
    return {
        "scenario": {"start": "09:00", "end": "11:00", "replications": replications, "seed": 3},
        "demand": [{"item": "SB01", "per_hour": [40], "service": {"distribution": "exponential", "mean_minutes": 6}}],
        "plan": {"no_difference": [3, 4]},
        **extra,
    }


def test_simulate_advise_and_the_chart_over_the_api(client: TestClient, clock: Clock) -> None:
    clock.now = MONDAY
    manager = login(client, "manager", "demo-manager")
    answer = client.post("/api/halls/demo/planning/simulate", json=_scenario(), headers=manager)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["replications"] == 40
    assert [h["start"] for h in result["hours"]] == ["09:00", "10:00"]
    assert [h["open"] for h in result["hours"]] == [3, 4]
    low, high = result["wait_minutes"]["ci95"]
    assert 0 <= low < result["wait_minutes"]["mean"] < high  # a real interval, around the mean
    assert result["hours"][0]["arrivals"] > 30  # 40 an hour
    # the same scenario again: the same days
    again = client.post("/api/halls/demo/planning/simulate", json=_scenario(), headers=manager).json()
    assert again["wait_minutes"] == result["wait_minutes"]

    target = {"hourly_mean_wait_minutes": 3}
    advice = client.post("/api/halls/demo/planning/advise", json=_scenario(target=target), headers=manager)
    assert advice.status_code == 200, advice.text
    advised = advice.json()
    assert advised["result"]["replications"] >= 1000
    for hour in advised["result"]["hours"]:
        assert hour["wait_minutes"]["mean"] <= 3, hour
    assert len(advised["hours"]) == 2 and all(change["why"] for change in advised["hours"])

    chart = client.post(
        "/api/halls/demo/planning/chart.svg",
        json={"results": [{"label": "现有", "result": result}, {"label": "建议", "result": advised["result"]}],
              "target_minutes": 3},
        headers=manager,
    )  # fmt: skip
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in chart.content and "建议".encode() in chart.content


def test_what_if_from_now_and_the_forecast(client: TestClient, clock: Clock) -> None:
    clock.now = MONDAY
    manager = login(client, "manager", "demo-manager")
    for number in (1, 2):
        assert client.post(f"/api/halls/demo/counters/{number}/open", headers=manager).status_code == 200
    for k in range(24):
        clock.now = MONDAY + dt.timedelta(minutes=k)
        issued = client.post("/api/halls/demo/tickets", json={"item": "SB01"}, headers=KIOSK)
        assert issued.status_code == 201, issued.text
    for number in (1, 2):
        assert client.post(f"/api/halls/demo/counters/{number}/call-next", headers=manager).status_code == 200
    answer = client.post(
        "/api/halls/demo/planning/what-if",
        json={"changes": [{"counter": 3, "action": "open"}], "replications": 60, "target_minutes": 12},
        headers=manager,
    )
    assert answer.status_code == 200, answer.text
    what = answer.json()
    assert what["replications"] == 60
    baseline, changed = what["baseline"], what["changed"]
    assert baseline["wait_minutes"]["mean"] > 0
    assert changed["wait_minutes"]["mean"] < baseline["wait_minutes"]["mean"]  # a third counter helps
    # the share over the asked target is among the results (the live view's what-if shows it)
    for result in (baseline, changed):
        over = {minutes: share["mean"] for minutes, share in result["wait_over"].items()}
        assert over["15"] <= over["12"] <= over["10"]
    assert changed["wait_over"]["12"]["mean"] <= baseline["wait_over"]["12"]["mean"]
    # the hall itself is as it was: the what-if ran on a copy
    queue = client.get("/api/halls/demo/queue", headers=manager).json()
    assert queue["waiting"] == 22

    # a week on, the next Monday's forecast is that Monday: its 24 social-insurance tickets, 09:30–10:00
    clock.now = MONDAY + dt.timedelta(days=7)
    manager = login(client, "manager", "demo-manager")  # a token lasts 12 hours
    forecast = client.get("/api/halls/demo/planning/forecast?day=2026-11-30", headers=manager)
    assert forecast.status_code == 200, forecast.text
    body = forecast.json()
    assert body["forecast"]["basis"] == ["2026-11-23"]
    social = next(i for i in body["forecast"]["items"] if i["item"] == "SB01")
    assert social["total"] == pytest.approx(24) and social["walk_in"][19] == pytest.approx(24)
    assert body["scenario"]["scenario"]["start"] < body["scenario"]["scenario"]["end"]


def test_refusals_say_what_to_change(client: TestClient, clock: Clock) -> None:
    clock.now = MONDAY
    manager = login(client, "manager", "demo-manager")
    too_many = client.post("/api/halls/demo/planning/simulate", json=_scenario(replications=6000), headers=manager)
    assert too_many.status_code == 422 and "scenario.replications" in too_many.json()["detail"]
    no_target = client.post("/api/halls/demo/planning/advise", json=_scenario(), headers=manager)
    assert no_target.status_code == 422 and "target" in no_target.json()["detail"]
    unknown = _scenario()
    unknown["demand"][0]["item"] = "NOPE"
    wrong = client.post("/api/halls/demo/planning/simulate", json=unknown, headers=manager)
    assert wrong.status_code == 422 and "NOPE" in wrong.json()["detail"], wrong.text
    typo = _scenario()
    typo["plan"] = {"no_diference": [3]}
    wrong = client.post("/api/halls/demo/planning/simulate", json=typo, headers=manager)
    assert wrong.status_code == 422 and "no_diference" in wrong.json()["detail"], wrong.text
    # the kiosk and the clerks have no planning
    assert client.post("/api/halls/demo/planning/simulate", json=_scenario(), headers=KIOSK).status_code in (401, 403)
    clerk = login(client, "zhangwei", "demo-staff")
    assert client.post("/api/halls/demo/planning/simulate", json=_scenario(), headers=clerk).status_code == 403


@pytest.mark.parametrize("app_settings", ["sqlite"], indirect=True)  # the remedy reads no record: one database
def test_an_alert_carries_its_simulated_remedy(client: TestClient, clock: Clock) -> None:
    """Two waiting for social insurance and no counter open: the live view's alert names the
    closed counter that would serve them (8号, the social-insurance domain counter, before a
    no-difference one) and says, from the simulator, when their p90 wait is back within the
    alert's 30 minutes with it, and that it never is without it: the what-if's own answer."""
    clock.now = MONDAY
    manager = login(client, "manager", "demo-manager")
    for k in range(2):
        clock.now = MONDAY + dt.timedelta(minutes=k)
        assert client.post("/api/halls/demo/tickets", json={"item": "SB01"}, headers=KIOSK).status_code == 201

    def alert() -> dict:
        view = client.get("/api/halls/demo/live", headers=manager)
        assert view.status_code == 200, view.text
        return next(a for a in view.json()["alerts"] if a["about"] == "group:B" and a["kind"] == "queue")

    assert alert()["remedy"] == ""  # the first look only starts the simulation, in the background
    deadline = time.monotonic() + 60
    while not (found := alert())["remedy"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert found["remedy"], "no remedy within a minute"

    # the same question to the what-if, at the same instant of the same hall: the same figures
    asked = {"changes": [{"counter": 8, "action": "open"}], "replications": 100, "target_minutes": 30}
    what = client.post("/api/halls/demo/planning/what-if", json=asked, headers=manager).json()
    assert what["baseline_recovers_at"] is None  # no counter open: no one is called today
    assert what["changed_recovers_at"] is not None
    assert what["changed"]["wait_minutes"]["p90"]["mean"] <= 30
    by = what["changed_recovers_at"]
    assert found["remedy"] == f"加开8号 社保医保窗口 → p90等候在{by}前回到30分钟内（模拟100次；不加开：今日回不到）"
    english = f"open 8号 社保医保窗口 → p90 wait back under 30 min by {by} (simulated 100×; as it is: not today)"
    assert found["remedy_en"] == english
    # the simulation changed nothing: every counter is still closed, both still wait
    queue = client.get("/api/halls/demo/queue", headers=manager).json()
    assert queue["waiting"] == 2
    assert client.get("/api/halls/demo/counters/8", headers=manager).json()["state"] == "closed"
