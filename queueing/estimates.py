"""People ahead and the estimated wait of a waiting ticket.

A ticket is served by whichever of its counters reaches it first, so the estimate looks
at each counter that can serve it, in that counter's own calling order:

- **ahead at a counter**: the waiting tickets that counter would call before this one:
  every ticket of a higher priority class, its preferred items before the others within a
  class, and within that every ticket with an earlier place;
- **time at a counter**: what remains of the service under way there, plus its share of
  the work ahead: each ticket ahead takes its item's recent service time, shared equally
  among the counters that can take it;
- the ticket's estimate is the counter that reaches it first: its time, in whole minutes
  rounded up, and the people ahead there.

Counters that are open are looked at; if none is, the paused ones; if none is, all of
them (the hall has not opened yet). Recent service times are an exponentially weighted
average of completed services, seeded with the item's expected time from the hall file.
Fairness (a ticket overdue jumps ahead) is left out: it moves people by minutes, rarely.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from queueing.events import OrderKey
from queueing.lines import Line, WaitingLines

__all__ = ["EWMA_WEIGHT", "ahead_at_counter", "minutes", "update_average", "update_service_time", "wait_range"]

EWMA_WEIGHT = 0.3  # weight of the newest service in the running average
_SHORTEST, _LONGEST = 15.0, 3 * 3600.0  # a service outside these is a mistake, not a measurement


def ahead_at_counter(
    lines: WaitingLines, counter_lines: Iterable[tuple[Line, bool]], rank: int, key: OrderKey, preferred: bool
) -> dict[Line, int]:
    """For each line a counter serves (with whether it prefers that line), how many of its
    tickets that counter calls before a ticket of class ``rank`` at place ``key``."""
    ahead: dict[Line, int] = {}
    for line, line_preferred in counter_lines:
        if line.rank > rank or (line.rank == rank and preferred and not line_preferred):
            continue
        n = (
            lines.size(line)
            if line.rank < rank or (not preferred and line_preferred)
            else lines.count_before(line, key)
        )
        if n:
            ahead[line] = n
    return ahead


def minutes(seconds: float) -> int:
    return math.ceil(max(seconds, 0.0) / 60)


def update_average(previous: float | None, measured: float, floor: float = 0.0) -> float:
    """A running average (the first measurement starts it): of services (``floor``: shorter is
    a mistake, not a measurement), or of visits, gaps and pauses (a no-show's visit is short, a
    busy clerk's gap is nothing)."""
    measured = min(max(measured, floor), _LONGEST)
    return measured if previous is None else (1 - EWMA_WEIGHT) * previous + EWMA_WEIGHT * measured


def update_service_time(previous: float, measured: float) -> float:
    return update_average(previous, measured, _SHORTEST)


def wait_range(wait_minutes: int, people_ahead: int, closed_minutes: float = 0.0) -> tuple[int, int] | None:
    """The middle half of the waits a citizen told ``wait_minutes`` may really have, when it
    is wide enough to say (「约 20–35 分钟」), in fives; None: say the minutes alone.

    A wait over ``n`` people ahead is a sum of about ``n + 1`` services, so it spreads by about
    ``1 / √(n + 1)`` of itself; the middle half of a bell is ±0.67 of that. The part of it the
    hall is closed (``closed_minutes``: a lunch break on the way) is certain and does not spread."""
    spread = 0.67 * max(wait_minutes - closed_minutes, 0.0) / math.sqrt(people_ahead + 1)
    low = max(0, 5 * round((wait_minutes - spread) / 5))
    high = 5 * round((wait_minutes + spread) / 5)
    if wait_minutes < 15 or high - low < 10 or not low <= wait_minutes <= high:
        return None
    return (low, high)
