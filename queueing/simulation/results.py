"""From simulated days to the figures a manager reads, each with its 95 % confidence interval.

Each replication is one independent day. Per day we keep sums, not citizens: for every
set of citizens (the whole day, each hour of arrival, each priority class, each ticket
group) how many were called, their total wait, how many waited at all and how many
waited over each threshold, and the day's p50 and p90 of the wait.

Across days:

- shares and means over citizens (the mean wait, the share that waited, the share
  waiting over 5, 10 … minutes, an hour's wait) are **customer-weighted**: total wait
  of all days ÷ citizens of all days, a ratio estimator, with its interval from the
  delta method (the usual one for ratios in simulation output analysis);
- utilisation likewise: busy counter-minutes ÷ open counter-minutes;
- a day's p50 and p90 and when its last citizen was served are averaged over days, with
  a Student-t interval.

Who counts: the wait is from taking the ticket to the first call, for the citizens who
came when called; no-shows, citizens turned away at the kiosk (a daily cap) and citizens
still waiting when no counter was left for them are counted apart.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence

import msgspec
import numpy as np

from queueing.bounds import Replications, Seed
from queueing.simulation.engine import DayRecord

__all__ = [
    "THRESHOLDS",
    "Estimate",
    "Group",
    "HourResult",
    "SimulationResult",
    "Totals",
    "t_quantile",
    "tally_day",
]

THRESHOLDS = (5, 10, 15, 20, 30)  # minutes: the wait_over shares every result has
_PRIORITY_NAMES = ("green", "appointment", "walk_in")


def t_quantile(p: float, df: int) -> float:
    """Student's t quantile (exact for 1 and 2 degrees of freedom; Cornish–Fisher beyond,
    within 0.002 of the tables from 3 on)."""
    if df < 1:
        return math.nan
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    z = statistics.NormalDist().inv_cdf(p)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


class Estimate(msgspec.Struct, frozen=True):
    """A figure over the replications and its 95 % confidence interval (None: one day only)."""

    mean: float | None
    ci95: tuple[float, float] | None = None


def _round(x: float, digits: int) -> float:
    return round(x, digits) if math.isfinite(x) else x


def _interval(mean: float, half: float, digits: int, high: float) -> Estimate:
    """The interval clipped to what the figure can be (0 up, and at most ``high``)."""
    low, top = max(mean - half, 0.0), min(mean + half, high)
    return Estimate(_round(mean, digits), (_round(low, digits), _round(top, digits)))


def mean_estimate(values: Sequence[float], digits: int = 3, high: float = math.inf) -> Estimate:
    """The mean of per-day values (none below 0), with a Student-t interval."""
    values = [v for v in values if v == v]
    n = len(values)
    if n == 0:
        return Estimate(None)
    mean = math.fsum(values) / n
    if n < 2:
        return Estimate(_round(mean, digits))
    half = t_quantile(0.975, n - 1) * statistics.stdev(values) / math.sqrt(n)
    return _interval(mean, half, digits, high)


def ratio_estimate(
    numerators: Sequence[float], denominators: Sequence[float], digits: int = 3, high: float = math.inf
) -> Estimate:
    """Σ numerators ÷ Σ denominators over the days, with a delta-method interval (the figure
    is 0 or more, and at most ``high``: 1 for a share)."""
    n = len(denominators)
    total = math.fsum(denominators)
    if n == 0 or total <= 0:
        return Estimate(None)
    ratio = math.fsum(numerators) / total
    if n < 2:
        return Estimate(_round(ratio, digits))
    mean_x = total / n
    residuals = [y - ratio * x for y, x in zip(numerators, denominators, strict=True)]
    variance = math.fsum(r * r for r in residuals) / (n - 1) / (n * mean_x * mean_x)
    half = t_quantile(0.975, n - 1) * math.sqrt(variance)
    return _interval(ratio, half, digits, high)


# ---------------------------------------------------------------------- one day


class Totals(msgspec.Struct):
    """One day's figures: what the aggregation over days needs, nothing per citizen."""

    thresholds: tuple[float, ...]
    day: list[float]  # [called, total wait, waited, over…, p50, p90]
    hours: list[list[float]]  # per hour of arrival: [arrivals, called, total wait, waited, over…, unserved]
    classes: dict[str, list[float]]  # [called, total wait, waited, over…, p50, p90]
    groups: dict[str, list[float]]
    busy: list[float]  # counter-minutes per hour (the last: after the last hour)
    open: list[float]
    last_served: float
    arrivals: int
    no_shows: int
    turned_away: int
    unserved: int


def _row(wait: np.ndarray, thresholds: Sequence[float], with_quantiles: bool) -> list[float]:
    """[called, total wait, waited, over each threshold…(, p50, p90)] of these waits."""
    row = [float(wait.size), float(wait.sum()), float(np.count_nonzero(wait > 1e-9))]
    row += [float(np.count_nonzero(wait > limit)) for limit in thresholds]
    if with_quantiles:
        row += [_nearest_rank(wait, 0.5), _nearest_rank(wait, 0.9)]
    return row


def _nearest_rank(wait: np.ndarray, p: float) -> float:
    """The p-quantile by nearest rank, as the statistics pages do."""
    if not wait.size:
        return math.nan
    k = min(wait.size - 1, max(0, math.ceil(p * wait.size) - 1))
    return float(np.partition(wait, k)[k])


def tally_day(
    record: DayRecord, start: float, hours: int, group_of: dict[str, str], thresholds: Sequence[float] = THRESHOLDS
) -> Totals:
    """Sum one simulated day (``start``: the first hour's minute; ``group_of``: item → group)."""
    citizens = record.citizens
    n = len(citizens)
    arrived = np.asarray(record.arrived, dtype=float)
    called = np.asarray(record.called, dtype=float)
    refused = np.asarray(record.refused, dtype=bool)
    no_show = np.asarray(record.no_show, dtype=bool)
    left = np.asarray(record.left, dtype=bool)  # gave up waiting: neither a wait nor unserved
    hour = np.clip((arrived - start) // 60, 0, hours - 1).astype(np.intp)
    came = ~refused
    counted = came & ~no_show & ~left
    unserved = counted & np.isnan(called)
    waited = counted & ~unserved
    wait = (called - arrived)[waited]
    wait_hour = hour[waited]
    # Per hour of arrival, by counting: the same sums without a pass per hour.
    per_hour = [
        np.bincount(hour[came], minlength=hours),
        np.bincount(wait_hour, minlength=hours),
        np.bincount(wait_hour, weights=wait, minlength=hours),
        np.bincount(wait_hour[wait > 1e-9], minlength=hours),
        *(np.bincount(wait_hour[wait > limit], minlength=hours) for limit in thresholds),
        np.bincount(hour[unserved], minlength=hours),  # left waiting with no counter for them
    ]
    hour_rows = np.stack(per_hour, axis=1).astype(float).tolist() if hours else []
    rank = np.fromiter((c.rank for c in citizens), dtype=np.int8, count=n)[waited]
    classes = {}
    for r, name in enumerate(_PRIORITY_NAMES):
        mine = rank == r
        if mine.any():
            classes[name] = _row(wait[mine], thresholds, True)
    names = sorted({group_of.get(c.item, "") for c in citizens})
    code = {name: k for k, name in enumerate(names)}
    group = np.fromiter((code[group_of.get(c.item, "")] for c in citizens), dtype=np.int32, count=n)[waited]
    groups = {}
    for g, name in enumerate(names):
        mine = group == g
        if mine.any():
            groups[name] = _row(wait[mine], thresholds, True)
    return Totals(
        thresholds=tuple(thresholds),
        day=_row(wait, thresholds, True),
        hours=hour_rows,
        classes=classes,
        groups=groups,
        busy=list(record.busy),
        open=list(record.open),
        last_served=record.last_served,
        arrivals=int(np.count_nonzero(came)),
        no_shows=int(np.count_nonzero(came & no_show)),
        turned_away=int(np.count_nonzero(refused)),
        unserved=int(np.count_nonzero(unserved)),
    )


# ---------------------------------------------------------------------- over days


class Group(msgspec.Struct, frozen=True):
    """The waits of one priority class or one ticket group."""

    name: str
    called: float  # citizens called per day
    wait_minutes: Estimate
    p50: Estimate
    p90: Estimate
    waited_share: Estimate
    wait_over: dict[str, Estimate]


class HourResult(msgspec.Struct, frozen=True):
    """The citizens who arrived in one hour, and the counters in that hour."""

    start: str  # "09:00"
    arrivals: float  # per day
    wait_minutes: Estimate  # customer-weighted: their total wait ÷ their number
    waited_share: Estimate
    wait_over: dict[str, Estimate]
    utilisation: Estimate
    open: float  # counters open (counter-hours in this hour), per day
    load: float | None = None  # the offered work ÷ what the open counters can do (≥ 1: overloaded)
    overloaded: bool = False
    unserved: float = 0.0  # per day: arrivals of this hour still waiting when no counter was left for them


class WaitFigures(msgspec.Struct, frozen=True):
    mean: float | None
    ci95: tuple[float, float] | None
    p50: Estimate
    p90: Estimate


class SimulationResult(msgspec.Struct, frozen=True, kw_only=True):
    """What ``hall simulate --json`` prints (a contract: see the README)."""

    replications: Replications
    seed: Seed
    wait_minutes: WaitFigures
    waited_share: Estimate
    wait_over: dict[str, Estimate]
    utilisation: Estimate
    last_served: str | None  # "HH:MM", the mean over days
    last_served_minutes: Estimate  # minutes after midnight
    hours: list[HourResult]
    classes: list[Group]
    groups: list[Group]
    arrivals: float  # per day
    no_shows: float
    turned_away: float  # refused at the kiosk (a daily cap)
    unserved: float  # still waiting when no counter was left to call them
    overloaded: list[str] = msgspec.field(default_factory=list)  # hours ("10:00") whose load is ≥ 1
    notes: list[str] = msgspec.field(default_factory=list)


def clock(minute: float) -> str:
    minute = round(minute)
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _shares(rows: list[list[float]], column: int, called: int = 0) -> Estimate:
    return ratio_estimate([r[column] for r in rows], [r[called] for r in rows], 4, high=1.0)


def _over(rows: list[list[float]], thresholds: Sequence[float], first: int, called: int = 0) -> dict[str, Estimate]:
    shown = {f"{t:g}": first + k for k, t in enumerate(thresholds)}
    return {name: _shares(rows, column, called) for name, column in shown.items()}


def _group(name: str, rows: list[list[float]], days: int, thresholds: Sequence[float]) -> Group:
    k = len(thresholds)
    return Group(
        name=name,
        called=round(math.fsum(r[0] for r in rows) / days, 2),
        wait_minutes=ratio_estimate([r[1] for r in rows], [r[0] for r in rows]),
        p50=mean_estimate([r[3 + k] for r in rows]),
        p90=mean_estimate([r[4 + k] for r in rows]),
        waited_share=_shares(rows, 2),
        wait_over=_over(rows, thresholds, 3),
    )


def combine(
    days: Sequence[Totals],
    *,
    seed: int,
    start: float,
    loads: Sequence[float | None] = (),
    notes: Iterable[str] = (),
) -> SimulationResult:
    """The result over ``days`` (one ``Totals`` per replication)."""
    n = len(days)
    if n == 0:
        raise ValueError("no simulated day to combine")
    thresholds = days[0].thresholds
    k = len(thresholds)
    day_rows = [d.day for d in days]
    hours = len(days[0].hours)
    hour_results = []
    overloaded = []
    for h in range(hours):
        rows = [d.hours[h] for d in days]
        load = loads[h] if h < len(loads) else None
        label = clock(start + 60 * h)
        if load is not None and load >= 1:
            overloaded.append(label)
        hour_results.append(
            HourResult(
                start=label,
                arrivals=round(math.fsum(r[0] for r in rows) / n, 2),
                wait_minutes=ratio_estimate([r[2] for r in rows], [r[1] for r in rows]),
                waited_share=_shares(rows, 3, 1),
                wait_over=_over(rows, thresholds, 4, 1),
                utilisation=ratio_estimate([d.busy[h] for d in days], [d.open[h] for d in days], 4, high=1.0),
                open=round(math.fsum(d.open[h] for d in days) / n / 60, 2),
                load=None if load is None else round(load, 3),
                overloaded=load is not None and load >= 1,
                unserved=round(math.fsum(r[-1] for r in rows) / n, 2),
            )
        )
    last = mean_estimate([d.last_served for d in days], 1)
    mean_wait = ratio_estimate([r[1] for r in day_rows], [r[0] for r in day_rows])
    class_names = sorted({name for d in days for name in d.classes}, key=_PRIORITY_NAMES.index)
    group_names = sorted({name for d in days for name in d.groups})
    empty = [0.0, 0.0, 0.0, *([0.0] * k), math.nan, math.nan]
    return SimulationResult(
        replications=n,
        seed=seed,
        wait_minutes=WaitFigures(
            mean=mean_wait.mean,
            ci95=mean_wait.ci95,
            p50=mean_estimate([r[3 + k] for r in day_rows]),
            p90=mean_estimate([r[4 + k] for r in day_rows]),
        ),
        waited_share=_shares(day_rows, 2),
        wait_over=_over(day_rows, thresholds, 3),
        utilisation=ratio_estimate([sum(d.busy) for d in days], [sum(d.open) for d in days], 4, high=1.0),
        last_served=None if last.mean is None else clock(last.mean),
        last_served_minutes=last,
        hours=hour_results,
        classes=[_group(c, [d.classes.get(c, empty) for d in days], n, thresholds) for c in class_names],
        groups=[_group(g, [d.groups.get(g, empty) for d in days], n, thresholds) for g in group_names],
        arrivals=round(sum(d.arrivals for d in days) / n, 2),
        no_shows=round(sum(d.no_shows for d in days) / n, 2),
        turned_away=round(sum(d.turned_away for d in days) / n, 2),
        unserved=round(sum(d.unserved for d in days) / n, 2),
        overloaded=overloaded,
        notes=list(notes),
    )
