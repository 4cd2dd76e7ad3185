"""The simulator as a manager uses it: the scenario file and its mistakes, seeds and common
random numbers, the JSON contract of ``hall simulate`` and ``hall advise``, the advice meeting
its target, the forecast, and the what-if from a live hall."""

from __future__ import annotations

import datetime as dt
import json
import statistics
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from config.cli import main
from config.halls import load_hall
from queueing.commands import DefineCounter, IssueTicket, OpenCounter
from queueing.hall import HallQueue
from queueing.kinds import CounterKind
from queueing.policy import OpeningHours
from queueing.simulation.forecast import DayCounts, accuracy, forecast
from queueing.simulation.model import Model, Pool
from queueing.simulation.results import tally_day
from queueing.simulation.sampling import Citizen
from queueing.simulation.scenario import ScenarioError, load_scenario
from queueing.simulation.whatif import Change, WhatIf
from tests.simulation.common import HALLS, model_of, scenario_file
from tests.simulation.theory import mmc_mean_wait
from tests.support import DEMO_HALL, ROOT

DAY = """start = "09:00"
end = "17:00"
replications = 40
seed = 3

[[demand]]
item = "I1"
per_hour = [60, 110, 85, 50, 55, 100, 80, 60]
service = { distribution = "lognormal", mean_minutes = 7.0, sigma_log = 0.5 }
"""


def test_a_citizen_who_gives_up_is_neither_a_wait_nor_unserved(tmp_path: Path) -> None:
    """A recorded day's cancellation: the citizen leaves the line before a counter calls; the
    day counts them as an arrival, not as a wait and not as left for want of a counter."""
    model = model_of(tmp_path, DAY)
    first = model.start
    citizens = [
        Citizen(first + 1, "I1", 2, False, 30.0),
        Citizen(first + 2, "I1", 2, False, 5.0, leaves=first + 10),  # gives up after 8 minutes
        Citizen(first + 3, "I1", 2, False, 5.0),
    ]
    record = model.engine.run(citizens, model.controls({"no_difference": [1]}))
    assert record.left == [False, True, False]
    totals = tally_day(record, model.start, model.hours, model.group_of)
    assert totals.arrivals == 3 and totals.unserved == 0
    assert totals.day[0] == 2 and totals.day[1] == pytest.approx(0 + 28)  # two called: waited 0 and 28 min


# ---------------------------------------------------------------- the scenario file


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (('item = "I1"', 'item = "NOPE"'), "demand[0].item"),
        (("per_hour = [60, 110, 85, 50, 55, 100, 80, 60]", "per_hour = [60, 110]"), "demand[0].per_hour"),
        (('distribution = "lognormal"', 'distribution = "gamma"'), "demand[0].service.distribution"),
        (("seed = 3", "seed = 3\nreplications = 0"), "scenario"),
        (("seed = 3", "seed = 3\n[plan]\nno_difference = [40]"), "plan.no_difference"),
        (("seed = 3", 'seed = 3\n[plan]\n"domain:x" = [1]'), "plan.domain:x"),
        (("seed = 3", "seed = 3\n[plan]\nsomething = [1]"), "plan.something"),
    ],
)
def test_a_mistake_names_the_file_and_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: tuple[str, str], field: str
) -> None:
    path = scenario_file(tmp_path, DAY.replace(*change))
    assert main(["simulate", str(path), "--workers", "1"]) == 2
    error = capsys.readouterr().err
    assert str(path) in error and field in error, error


def test_a_scenario_naming_a_hall_file_that_is_not_there(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[scenario]\nhall = "missing.toml"\n' + DAY, encoding="utf-8")
    assert main(["simulate", str(path)]) == 2
    error = capsys.readouterr().err
    assert "scenario.hall" in error and "missing.toml" in error


# ---------------------------------------------------------------- seeds


def test_the_same_seed_gives_the_same_days_and_plans_compare_on_the_same_citizens(tmp_path: Path) -> None:
    model = model_of(tmp_path, DAY)
    twelve, fifteen = {"no_difference": [13]}, {"no_difference": [14]}
    first = model.simulate(twelve, replications=30, seed=9)
    again = model.simulate(twelve, replications=30, seed=9)
    other = model.simulate(twelve, replications=30, seed=10)
    assert msgspec.json.encode(first) == msgspec.json.encode(again)
    assert first.wait_minutes.mean != other.wait_minutes.mean
    # common random numbers: the same replication of two plans has the same citizens, so
    # the difference between plans varies far less than the plans' own results do
    a = [model.run_day(twelve, 9, r) for r in range(30)]
    b = [model.run_day(fifteen, 9, r) for r in range(30)]
    c = [model.run_day(fifteen, 1009, r) for r in range(30)]
    assert [x.arrivals for x in a] == [x.arrivals for x in b]
    mean = [d.day[1] / d.day[0] for d in a]
    paired = [x - y.day[1] / y.day[0] for x, y in zip(mean, b, strict=True)]
    independent = [x - y.day[1] / y.day[0] for x, y in zip(mean, c, strict=True)]
    assert all(p >= 0 for p in paired)  # one more counter never made a day worse
    assert statistics.variance(paired) < 0.5 * statistics.variance(independent)


# ---------------------------------------------------------------- the command line's JSON


def _run(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "config.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_simulate_json_keeps_the_contract(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, DAY + "\n[plan]\nno_difference = [8, 14, 11, 7, 7, 12, 10, 8]\n")
    result = _run("simulate", str(path), "--replications", "50", "--seed", "5", "--json")
    assert result["replications"] == 50 and result["seed"] == 5
    assert set(result["wait_minutes"]) >= {"mean", "ci95", "p50", "p90"}
    assert set(result["waited_share"]) == {"mean", "ci95"}
    assert set(result["wait_over"]) >= {"5", "10", "15", "20", "30"}
    assert all(set(v) == {"mean", "ci95"} for v in result["wait_over"].values())
    assert set(result["utilisation"]) == {"mean", "ci95"}
    assert len(result["last_served"]) == 5 and result["last_served"][2] == ":"
    assert [h["start"] for h in result["hours"]] == [f"{h:02d}:00" for h in range(9, 17)]
    for hour in result["hours"]:
        assert {"start", "arrivals", "wait_minutes", "wait_over", "utilisation", "open"} <= set(hour)
        low, high = hour["wait_minutes"]["ci95"]
        assert low < hour["wait_minutes"]["mean"] < high  # a real interval, around the mean
    # counter-hours open in each hour: the plan's, and a closing counter finishing its citizen
    for hour, planned in zip(result["hours"], [8, 14, 11, 7, 7, 12, 10, 8], strict=True):
        assert planned <= hour["open"] < planned + 1
    assert result["classes"] and result["groups"]
    for group in result["classes"] + result["groups"]:
        assert {"wait_minutes", "wait_over", "p90"} <= set(group)


def test_advise_meets_its_target_with_fewer_counter_hours(tmp_path: Path) -> None:
    path = scenario_file(
        tmp_path,
        DAY.replace("replications = 40", "replications = 1000")
        + "\n[plan]\nno_difference = [20]\n\n[target]\nhourly_mean_wait_minutes = 5\n",
    )
    advice = _run("advise", str(path), "--json")
    plan, result = advice["plan"], advice["result"]
    assert set(plan) == {"no_difference"} and len(plan["no_difference"]) == 8
    assert advice["counter_hours"] == sum(plan["no_difference"]) < 20 * 8
    assert result["replications"] >= 1000
    for hour, open_now in zip(result["hours"], plan["no_difference"], strict=True):
        assert hour["wait_minutes"]["mean"] <= 5.0  # every hour meets it, on 1,000 days
        assert open_now <= hour["open"] < open_now + 1
    # busier hours get more counters than quiet ones (110 an hour against 50)
    assert plan["no_difference"][1] > plan["no_difference"][3]
    # and the closed form agrees it is about right: each hour within two of Erlang C's minimum
    # (the tests' own M/M/c mean wait, not the advice's starting point)
    for counts, rate in zip(plan["no_difference"], [60, 110, 85, 50, 55, 100, 80, 60], strict=True):
        load = rate * 7.0 / 60
        least = next(c for c in range(1, 40) if c > load and mmc_mean_wait(c, rate / 60, 7.0) <= 5)
        assert abs(counts - least) <= 2, (counts, least)
    assert advice["hours"][0]["why"]


# ---------------------------------------------------------------- forecast


def test_the_forecast_is_the_same_weekday_and_knows_its_error() -> None:
    hours = OpeningHours(closed_dates=[dt.date(2026, 11, 2)])
    monday = dt.date(2026, 11, 23)

    def counts(day: dt.date, per_slot: int) -> DayCounts:
        slots = [0] * 48
        for s in range(18, 34):  # 09:00–17:00
            slots[s] = per_slot
        return DayCounts(day=day, walk_in={"SB01": slots}, checked_in={"SB01": [0] * 18 + [1] * 16 + [0] * 14},
                         booked=20)  # fmt: skip

    # Mondays of 5, 6 and 7 an half hour; the third one, 2 November, the hall was closed
    history = [counts(monday - dt.timedelta(days=7 * k), 4 + k) for k in (1, 2, 3)]
    history += [counts(monday - dt.timedelta(days=7 * k - 1), 50) for k in (1, 2)]  # Tuesdays: not used
    booked = {"SB01": [0] * 20 + [2] * 4 + [0] * 24}
    predicted = forecast(monday, hours, history, booked)
    [item] = predicted.items
    assert item.walk_in[20] == pytest.approx(5.5)  # the mean of the two Mondays it was open
    assert predicted.check_in_share == pytest.approx(16 / 20)
    assert item.appointments[20] == pytest.approx(2 * 0.8)
    assert predicted.basis == sorted(d.day for d in history[:2])
    assert forecast(dt.date(2026, 11, 2), hours, history).open is False  # a closed date
    checked = accuracy(hours, [*history, counts(monday, 8)], last=1)
    assert checked.days[-1].day == monday and checked.days[-1].actual == 8 * 16 + 16
    assert checked.wape is not None and checked.wape > 0


# ---------------------------------------------------------------- what if, from now


def test_what_if_from_now_on_a_cloned_hall(tmp_path: Path) -> None:
    hall = load_hall(HALLS / "one_item.toml").queue_part()
    now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=hall.rules.zone)
    queue = HallQueue(hall.rules)
    for spec in hall.counters:
        queue.handle(DefineCounter(at=now - dt.timedelta(hours=2), spec=spec))
    for number in (1, 2):
        queue.handle(OpenCounter(at=now - dt.timedelta(hours=1), counter=number))
    for k in range(30):  # a long line has built up since 09:30
        queue.handle(IssueTicket(at=now - dt.timedelta(minutes=30 - k), ticket_id=f"t{k}", item="I1"))
    rest = DAY.replace('start = "09:00"', 'start = "10:00"')
    rest = rest.replace("per_hour = [60, 110, 85, 50, 55, 100, 80, 60]", "per_hour = [20]")
    scenario = load_scenario(scenario_file(tmp_path, rest))
    model = Model(hall, scenario)
    what = WhatIf(model, queue.export(), now)
    with Pool(what, 2) as pool:
        answer = what.compare(pool, [Change(counter=3, action="open"), Change(counter=4, action="open")], 100, 1, 15)
    assert answer.baseline.wait_minutes.mean > answer.changed.wait_minutes.mean  # type: ignore[union-attr]
    # those already waiting count from their real arrival: the first waited half an hour at least
    assert answer.baseline.wait_minutes.p90.mean > 30
    assert answer.changed_recovers_at is not None
    assert answer.baseline_recovers_at is None or answer.baseline_recovers_at > answer.changed_recovers_at
    # A change the hall would refuse now (a cross-province counter in a hall with no such item):
    # the core's own message to act on, not a failed simulation.
    fine = Change(counter=3, action="open")
    away = Change(counter=1, action="reconfigure", kind=CounterKind.CROSS_PROVINCE)
    with pytest.raises(ScenarioError, match=r"changes\[1\]: .*counter 1 would serve no item"):
        what.check([fine, away])


def test_the_demo_hall_runs_as_is(tmp_path: Path) -> None:
    """A scenario on the demo hall: its kinds, groups, caps and classes, a transfer and no-shows."""
    path = tmp_path / "demo.toml"
    path.write_text(
        f'[scenario]\nhall = "{DEMO_HALL.as_posix()}"\nreplications = 20\n'
        + """
[[demand]]
item = "SB01"
per_hour = [30, 50, 40, 20, 25, 45, 35, 25]
green = 0.05
appointments = 0.1
no_show = 0.05
service = { distribution = "lognormal", mean_minutes = 7.0, sigma_log = 0.5 }
transfers = [{ item = "GJ01", share = 0.1 }]

[[demand]]
item = "GJ01"
per_hour = [10]
service = { distribution = "exponential", mean_minutes = 8.0 }
""",
        encoding="utf-8",
    )
    scenario = load_scenario(path)
    model = Model(load_hall(scenario.hall_path()).queue_part(), scenario)
    result = model.simulate()
    assert {c.name for c in result.classes} == {"green", "appointment", "walk_in"}
    assert {g.name for g in result.groups} == {"B", "C"}
    assert result.no_shows > 0 and result.unserved == 0
    green = next(c for c in result.classes if c.name == "green")
    walk_in = next(c for c in result.classes if c.name == "walk_in")
    assert green.wait_minutes.mean < walk_in.wait_minutes.mean


def test_the_pool_ends_even_if_the_parent_ignores_sigterm(tmp_path: Path) -> None:
    """A server's event loop installs its own SIGTERM handler; the forked workers must not keep
    it, or ending the pool (SIGTERM to each) waits for ever (it once hung CI)."""
    import signal
    import threading

    model = model_of(tmp_path, DAY)
    before = signal.signal(signal.SIGTERM, lambda *_: None)  # as an event loop's handler: no exit
    try:
        pool = Pool(model, 2)
        days = pool.totals(model.plan(), 3, range(8))
        ended = threading.Thread(target=pool.close, daemon=True)
        ended.start()
        ended.join(30)
        assert not ended.is_alive(), "the pool's workers outlived it"
    finally:
        signal.signal(signal.SIGTERM, before)
    assert len(days) == 8
