"""The simulator against queueing theory: long simulated days of a hall with one item and
no-difference counters, run through the live rules, against Erlang C (M/M/c) and Cobham's
priority formula; pooled against split counters; a stable and an overloaded hall.

Each check uses the hours after a warm-up (the day starts empty; the formulas are for a
hall long open), pools those hours' citizens per replication, and asks the formula's value
to lie inside the simulation's own 99 % interval (Bonferroni-corrected over the checks of a
test), the interval coming from the replications (a ratio estimator, delta method).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from config.cli import main
from queueing.simulation.model import Pool
from queueing.simulation.results import Totals
from tests.simulation.common import model_of, raw_days, record, scenario_file
from tests.simulation.theory import cobham, erlang_c, mmc_mean_wait, mmc_wait_over, ratio_ci, z_for

HOURS = 16  # 06:00–22:00 at one rate
WARM_UP = 3  # hours left out at the start

LONG_DAY = """start = "06:00"
end = "22:00"
seed = {seed}
"""


def pooled(days: list[Totals], column: int, over: int = 1, first: int = WARM_UP) -> tuple[list[float], list[float]]:
    """Per replication: Σ of an hour column over the hours after the warm-up, and Σ of ``over``
    (the hour rows: arrivals, called, total wait, waited, over 5, 10, 15, 20, 30)."""
    ys = [sum(day.hours[h][column] for h in range(first, len(day.hours))) for day in days]
    xs = [sum(day.hours[h][over] for h in range(first, len(day.hours))) for day in days]
    return ys, xs


def steady(days: list[list[tuple[float, float, int, str]]], test, start: float = 6 * 60) -> tuple[list, list]:
    """Per replication, over the citizens who came after the warm-up: Σ test(wait) and how many."""
    ys, xs = [], []
    for day in days:
        kept = [called - at for at, called, _, _ in day if at >= start + 60 * WARM_UP]
        ys.append(sum(test(w) for w in kept))
        xs.append(len(kept))
    return ys, xs


def inside(value: float, estimate: tuple[float, float]) -> bool:
    mean, half = estimate
    return abs(value - mean) <= half


def test_mmc_waits_match_erlang_c(tmp_path: Path) -> None:
    """M/M/10, λ = 102/h, E[S] = 5 min (ρ = 0.85): the mean wait, P(wait), P(W > 5), P(W > 10)."""
    model = model_of(
        tmp_path,
        LONG_DAY.format(seed=11)
        + """
[[demand]]
item = "I1"
per_hour = [102]
service = { distribution = "exponential", mean_minutes = 5.0 }

[plan]
no_difference = [10]
""",
    )
    days = raw_days(model, model.plan(), 11, 120)
    lam, s, c = 102 / 60, 5.0, 10
    z = z_for(0.99, 4)
    got = (
        ratio_ci(*steady(days, lambda w: w), z),
        ratio_ci(*steady(days, lambda w: w > 1e-9), z),
        ratio_ci(*steady(days, lambda w: w > 5), z),
        ratio_ci(*steady(days, lambda w: w > 10), z),
    )
    theory = (mmc_mean_wait(c, lam, s), erlang_c(c, lam * s), mmc_wait_over(c, lam, s, 5), mmc_wait_over(c, lam, s, 10))
    names = ("mean wait", "P(wait)", "P(W>5)", "P(W>10)")
    record("M/M/10 rho=0.85 vs Erlang C", [[n, t, *g] for n, t, g in zip(names, theory, got, strict=True)])
    assert all(inside(t, g) for t, g in zip(theory, got, strict=True)), list(zip(theory, got, strict=True))
    assert got[0][1] < 0.15 * theory[0]  # and the interval is narrow enough to mean something
    # The product's own figures (results.py) say the same of the same days' steady hours.
    with Pool(model, 2) as pool:
        totals = pool.totals(model.plan(), 11, range(120))
    product = ratio_ci(*pooled(totals, 2), z)
    assert product[0] == pytest.approx(got[0][0], rel=1e-9)


def test_priority_classes_match_cobham(tmp_path: Path) -> None:
    """Green channel, checked-in appointments and walk-ins on M/M/10 (ρ = 0.88), fairness off:
    each class's mean wait against Cobham's non-preemptive priority formula."""
    model = model_of(
        tmp_path,
        LONG_DAY.format(seed=5)
        + """
[[demand]]
item = "I1"
per_hour = [106]
green = 0.2
appointments = 0.3
service = { distribution = "exponential", mean_minutes = 5.0 }

[plan]
no_difference = [10]
""",
    )
    days = raw_days(model, model.plan(), 5, 120)
    lam = 106 / 60
    expected = cobham(10, [0.2 * lam, 0.3 * lam, 0.5 * lam], 5.0)
    z = z_for(0.99, 3)
    means, rows = [], []
    for rank, theory in enumerate(expected):
        only = [[c for c in day if c[2] == rank] for day in days]
        estimate = ratio_ci(*steady(only, lambda w: w), z)
        means.append(estimate[0])
        rows.append([("green", "appointment", "walk-in")[rank], theory, *estimate])
    record("3 classes on M/M/10 rho=0.88 vs Cobham", rows)
    for _, theory, *estimate in rows:
        assert inside(theory, tuple(estimate)), (theory, estimate)
    assert means[0] < means[1] < means[2] and means[2] > 3 * means[0]  # the order, by far


def test_pooled_counters_beat_split_counters_as_theory_says(tmp_path: Path) -> None:
    """Two items, λ = 8/h each, E[S] = 6 min: one domain counter each (two M/M/1, ρ = 0.8)
    against the same two counters pooled as no-difference counters (M/M/2)."""
    body = (
        LONG_DAY.format(seed=3)
        + """
[[demand]]
item = "IA"
per_hour = [8]
service = { distribution = "exponential", mean_minutes = 6.0 }

[[demand]]
item = "IB"
per_hour = [8]
service = { distribution = "exponential", mean_minutes = 6.0 }
"""
    )
    model = model_of(tmp_path, body, hall="two_items.toml")
    split = {"domain:a": [1], "domain:b": [1], "no_difference": [0]}
    pooled_plan = {"domain:a": [0], "domain:b": [0], "no_difference": [2]}
    with Pool(model, 2) as pool:
        split_days, pooled_days = pool.many([split, pooled_plan], 3, range(200))
    z = z_for(0.99, 2)
    split_mean = ratio_ci(*pooled(split_days, 2, first=4), z)
    pooled_mean = ratio_ci(*pooled(pooled_days, 2, first=4), z)
    lam = 8 / 60
    record(
        "split 2xM/M/1 vs pooled M/M/2, rho=0.8",
        [["split", mmc_mean_wait(1, lam, 6.0), *split_mean], ["pooled", mmc_mean_wait(2, 2 * lam, 6.0), *pooled_mean]],
    )
    assert inside(mmc_mean_wait(1, lam, 6.0), split_mean), (mmc_mean_wait(1, lam, 6.0), split_mean)
    assert inside(mmc_mean_wait(2, 2 * lam, 6.0), pooled_mean), (mmc_mean_wait(2, 2 * lam, 6.0), pooled_mean)
    assert pooled_mean[0] + pooled_mean[1] < split_mean[0] - split_mean[1]  # pooling wins, beyond doubt


def test_an_overloaded_hall_is_said_to_be_overloaded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """λ = 130/h on M/M/10 with E[S] = 5 min: ρ = 1.08. No steady wait exists: the result says
    overloaded in every hour, the waits grow hour after hour, and the text gives no wait."""
    body = (
        LONG_DAY.format(seed=2)
        + """replications = 20

[[demand]]
item = "I1"
per_hour = [130]
service = { distribution = "exponential", mean_minutes = 5.0 }

[plan]
no_difference = [10]
"""
    )
    model = model_of(tmp_path, body)
    result = model.simulate()
    assert result.overloaded == [h.start for h in result.hours]
    assert all(h.load is not None and h.load == pytest.approx(130 * 5 / 60 / 10, abs=1e-3) for h in result.hours)
    waits = [h.wait_minutes.mean for h in result.hours]
    assert all(b > a for a, b in itertools.pairwise(waits[2:]))  # growing all day
    path = scenario_file(tmp_path, body)
    assert main(["simulate", str(path), "--workers", "1"]) == 0
    text = capsys.readouterr().out
    assert "OVERLOADED in every hour" in text and "no steady wait" in text
    assert "mean wait" not in text.split("\n")[1] and "wait (minutes" not in text
    # a stable hall of the same counters says nothing of the kind
    stable = model_of(tmp_path, body.replace("per_hour = [130]", "per_hour = [102]")).simulate(replications=5)
    assert stable.overloaded == [] and all(h.load is not None and h.load < 1 for h in stable.hours)
