"""A second opinion: ciw (an independent, well-kept discrete-event simulator) on the same model.

A day no closed form covers: the issue's own example demand (rates that change every hour),
lognormal service (M/G/c), a day that starts empty and serves everyone after closing. Both
simulators run it many times; each hour's customer-weighted mean wait must agree within the
two intervals combined (99 %, Bonferroni over the hours).
"""

from __future__ import annotations

import math
from pathlib import Path

import ciw

from tests.simulation.common import model_of, raw_days, record
from tests.simulation.theory import ratio_ci, z_for

RATES = [60, 110, 85, 50, 55, 100, 80, 60]  # per hour, 09:00–17:00
MEAN, SIGMA, COUNTERS = 7.0, 0.5, 13
REPLICATIONS = 150


def ciw_day(seed: int) -> list[tuple[float, float]]:
    """(arrival, wait) of each citizen of one ciw day, minutes from the opening."""
    network = ciw.create_network(
        arrival_distributions=[
            ciw.dists.PoissonIntervals(
                rates=[r / 60 for r in RATES] + [0.0],
                endpoints=[60.0 * (h + 1) for h in range(len(RATES))] + [10_000.0],
                max_sample_date=10_000.0,
            )
        ],
        service_distributions=[ciw.dists.Lognormal(mean=math.log(MEAN) - SIGMA**2 / 2, sd=SIGMA)],
        number_of_servers=[COUNTERS],
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(10_000.0)
    return [(r.arrival_date, r.waiting_time) for r in simulation.get_all_records()]


def per_hour(days: list[list[tuple[float, float]]], hour: int) -> tuple[list[float], list[float]]:
    ys, xs = [], []
    for day in days:
        waits = [w for at, w in day if 60 * hour <= at < 60 * (hour + 1)]
        ys.append(sum(waits))
        xs.append(len(waits))
    return ys, xs


def test_hour_by_hour_waits_agree_with_ciw(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        f"""start = "09:00"
end = "17:00"
seed = 17

[[demand]]
item = "I1"
per_hour = {RATES}
service = {{ distribution = "lognormal", mean_minutes = {MEAN}, sigma_log = {SIGMA} }}

[plan]
no_difference = [{COUNTERS}]
""",
    )
    days = raw_days(model, model.plan(), 17, REPLICATIONS)
    ours = [[(at - 9 * 60, called - at) for at, called, _, _ in day] for day in days]
    theirs = [ciw_day(1000 + r) for r in range(REPLICATIONS)]
    z = z_for(0.99, len(RATES))
    compared, rows = [], []
    for hour in range(len(RATES)):
        a, half_a = ratio_ci(*per_hour(ours, hour), z)
        b, half_b = ratio_ci(*per_hour(theirs, hour), z)
        compared.append((hour, round(a, 2), round(b, 2)))
        rows.append([hour, a, half_a, b, half_b])
    record("hour by hour mean wait, ours vs ciw (hour, ours, ±, ciw, ±)", rows)
    for hour, a, half_a, b, half_b in rows:
        assert abs(a - b) <= math.hypot(half_a, half_b), (hour, a, half_a, b, half_b)
    # the day is not trivial: the peaks make people wait, and the two agree that they do
    assert max(b for _, _, b in compared) > 1.0, compared
