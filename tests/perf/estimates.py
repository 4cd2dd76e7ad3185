"""Figure 9: do the waits quoted at issue hold?

Busy demo-hall days simulated through the core (``rebuild.py``'s ``Simulation``: clerks who
open at about 8:50, lunches, recalls, no-shows, reinstated no-shows, transfers, suspends,
green-channel and appointment tickets, a counter's profile changed twice a day, citizens who
give up), at 300 and at 420 tickets a day. Each ticket's quote at issue (``TicketIssued``:
people ahead and minutes, what the kiosk and the slip say) is set against the minutes until
it was first called.

The floor: even knowing every rule, a wait over ``n`` people ahead is a sum of about ``n + 1``
service times, so its relative spread is about ``1 / √(n + 1)`` (service times' coefficient of
variation about 1). Targets, at both loads: the bias (mean quoted − mean actual) within ±10 %
of the mean actual wait; in every people-ahead band, the mean absolute error within 1.3 × the
floor × the band's mean actual wait.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from queueing.events import Recorded, TicketCalled, TicketIssued
from queueing.hall import HallQueue
from tests.perf.common import BENCH_HALL, Figure, Outcome, fmt
from tests.perf.rebuild import Simulation

__all__ = ["BANDS", "Quote", "bench_estimates", "quotes_of_days", "table_of"]

BANDS: tuple[tuple[int, int], ...] = ((0, 0), (1, 2), (3, 5), (6, 10), (11, 20), (21, 40), (41, 10_000))
BIAS_TARGET, BAND_TARGET = 0.10, 1.3


@dataclass(frozen=True)
class Quote:
    ahead: int
    quoted: float  # minutes told at issue
    actual: float  # minutes until first called


def quotes_of_days(per_day: int, days: int, seed: int = 20261206) -> list[Quote]:
    """Every ticket of ``days`` simulated working days that was quoted minutes and later called."""
    from config.halls import load_hall

    issued: dict[str, tuple[float, int, float]] = {}
    quotes: list[Quote] = []

    def sink(queue: HallQueue, recorded: list[Recorded]) -> None:
        for r in recorded:
            event = r.event
            if isinstance(event, TicketIssued):
                if event.quoted_minutes is not None and event.quoted_ahead is not None:
                    issued[event.ticket_id] = (event.at.timestamp(), event.quoted_ahead, event.quoted_minutes)
            elif isinstance(event, TicketCalled):
                told = issued.pop(event.ticket_id, None)  # the first call only
                if told is not None:
                    at, ahead, minutes = told
                    quotes.append(Quote(ahead, minutes, (event.at.timestamp() - at) / 60))

    hall = load_hall(BENCH_HALL)
    Simulation(hall, sink, tickets_per_day=per_day, seed=seed).run(events=10**9, days=days)
    return quotes


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    count: int
    actual: float
    quoted: float
    error: float  # mean absolute error, minutes
    floor: float  # minutes: the band's mean actual wait / √(n + 1), n its mean people ahead

    @property
    def ok(self) -> bool:
        return self.error <= BAND_TARGET * self.floor

    @property
    def label(self) -> str:
        if self.low == self.high:
            return str(self.low)
        return f"{self.low}+" if self.high >= 10_000 else f"{self.low}–{self.high}"


def table_of(quotes: Sequence[Quote]) -> tuple[list[Band], float, float, float]:
    """The bands, the bias (minutes), the mean actual wait and the share within ±5 minutes."""
    bands = []
    for low, high in BANDS:
        rows = [q for q in quotes if low <= q.ahead <= high]
        if len(rows) < 10:
            continue
        actual = sum(q.actual for q in rows) / len(rows)
        ahead = sum(q.ahead for q in rows) / len(rows)
        bands.append(
            Band(
                low,
                high,
                len(rows),
                actual,
                sum(q.quoted for q in rows) / len(rows),
                sum(abs(q.quoted - q.actual) for q in rows) / len(rows),
                actual / math.sqrt(ahead + 1),
            )
        )
    mean_actual = sum(q.actual for q in quotes) / len(quotes)
    bias = sum(q.quoted - q.actual for q in quotes) / len(quotes)
    near = sum(abs(q.quoted - q.actual) <= 5 for q in quotes) / len(quotes)
    return bands, bias, mean_actual, near


def _load(outcome: Outcome, per_day: int, days: int) -> None:
    quotes = quotes_of_days(per_day, days)
    bands, bias, mean_actual, near = table_of(quotes)
    lines = [f"{'ahead':>6} {'count':>6} {'actual':>7} {'quoted':>7} {'error':>6} {'floor':>6} {'×floor':>7}"]
    for b in bands:
        lines.append(
            f"{b.label:>6} {b.count:>6} {b.actual:7.1f} {b.quoted:7.1f} {b.error:6.1f} {b.floor:6.1f} "
            f"{b.error / b.floor:6.2f}{'' if b.ok else ' !'}"
        )
    outcome.details[f"per_day_{per_day}"] = {
        "days": days,
        "quotes": len(quotes),
        "bias_minutes": round(bias, 2),
        "mean_actual_minutes": round(mean_actual, 2),
        "within_5_minutes": round(near, 3),
        "bands": [
            {
                "ahead": b.label,
                "count": b.count,
                "actual": round(b.actual, 1),
                "quoted": round(b.quoted, 1),
                "error": round(b.error, 1),
                "floor": round(b.floor, 1),
            }
            for b in bands
        ],
        "table": lines,
    }
    print(f"\n  quotes at {per_day} tickets a day ({days} days, {len(quotes)} tickets):")
    for line in lines:
        print("   ", line)
    outcome.figures.append(
        Figure(
            key=f"estimates.bias_{per_day}",
            label=f"quoted wait at issue, {per_day} tickets a day: bias against the mean actual wait",
            value=round(abs(bias) / mean_actual * 100, 2),
            unit="%",
            text=f"{bias:+.1f} min of {fmt(round(mean_actual, 1))} ({bias / mean_actual:+.0%}); "
            f"{near:.0%} within ±5 min",
            target=f"within ±{BIAS_TARGET:.0%}",
            ok=abs(bias) <= BIAS_TARGET * mean_actual,
        )
    )
    worst = max(bands, key=lambda b: b.error / b.floor)
    outcome.figures.append(
        Figure(
            key=f"estimates.bands_{per_day}",
            label="the same: mean absolute error per people-ahead band, the worst against its floor",
            value=round(worst.error / worst.floor, 2),
            unit="× floor",
            text=f"{worst.error / worst.floor:.2f} × floor ({worst.label} ahead: {worst.error:.1f} min)",
            target=f"≤ {BAND_TARGET} × floor in every band",
            ok=all(b.ok for b in bands),
        )
    )


def bench_estimates(days: int = 10) -> Outcome:
    started = time.perf_counter()
    outcome = Outcome("estimates")
    for per_day in (300, 420):
        _load(outcome, per_day, days)
    outcome.seconds = time.perf_counter() - started
    return outcome
