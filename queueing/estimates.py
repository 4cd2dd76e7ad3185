"""People ahead and the estimated wait of a waiting ticket.

People ahead
    The waiting tickets that the calling rule puts before this one at the counters that
    can serve it: every ticket of a higher priority class, and every ticket of the same
    class with an earlier place, in the lines those counters serve. Lines of other
    counters do not count: they do not compete for the same desks.

Estimated wait
    A fluid estimate: the work ahead (each ticket ahead times the recent service time of
    its item, counted in the share of its counters that also serve this ticket) plus
    what remains of the services under way at those counters, divided by the number of
    those counters that are open. Recent service times are an exponentially weighted
    average of completed services, seeded with the item's expected time from the hall
    file. With nobody ahead and an idle open counter, the wait is zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from queueing.events import OrderKey
from queueing.lines import Line, WaitingLines

__all__ = ["EWMA_WEIGHT", "count_ahead", "update_service_time", "wait_minutes"]

EWMA_WEIGHT = 0.3  # weight of the newest service in the running average
_SHORTEST, _LONGEST = 15.0, 3 * 3600.0  # a service outside these is a mistake, not a measurement


def count_ahead(lines: WaitingLines, competing: Iterable[Line], rank: int, key: OrderKey) -> dict[Line, int]:
    """For each competing line, how many of its tickets come before (rank, key)."""
    ahead: dict[Line, int] = {}
    for line in competing:
        if line.rank < rank:
            n = lines.size(line)
        elif line.rank == rank:
            n = lines.count_before(line, key)
        else:
            continue
        if n:
            ahead[line] = n
    return ahead


def wait_minutes(work_ahead: float, remaining: float, open_counters: int, idle_counter: bool) -> int:
    """Whole minutes, rounded up, from seconds of work ahead and seconds still in progress."""
    if work_ahead <= 0 and idle_counter:
        return 0
    return math.ceil((work_ahead + remaining) / max(open_counters, 1) / 60)


def update_service_time(previous: float, measured: float) -> float:
    measured = min(max(measured, _SHORTEST), _LONGEST)
    return (1 - EWMA_WEIGHT) * previous + EWMA_WEIGHT * measured
