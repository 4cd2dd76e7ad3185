"""When each waiting ticket will be called, played forward with the calling rule itself.

The estimate a citizen is told must follow what the hall will really do, not a sum over
one line: a counter that serves several items splits its time among their lines; a ticket
waiting ``fairness_minutes`` jumps ahead of everything; a counter's preferred items come
first; a ticket sent to a counter by name waits for that counter alone. So the waiting
tickets are handed out, in order, to the counters as they come free, each counter taking
the ticket ``choose_next`` gives it at that instant (the very rule of ``calling.py``).

A counter comes free when what remains of its service is done (a paused counter: when its
clerk said they would be back); each ticket it takes holds it for that ticket's expected
time at the counter (its visit: the walk, recalls, a no-show's wait, the service, and the
gap before the next call). A counter calls only within the day's opening spans (``hours``):
one that would call during a break (午休) calls when the hall reopens, and one that would call
at or after the day's last closing calls nobody more today. Nothing here knows the clock or the
hall: the caller gives the instant, the lines, the counters, the times and the spans.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Collection, Mapping, Sequence
from typing import NamedTuple

from queueing.events import OrderKey
from queueing.lines import Line

__all__ = ["AFTER_HOURS", "FreeCounter", "project"]

AFTER_HOURS = math.inf  # when a ticket the day's last closing comes before is called: not today


class FreeCounter(NamedTuple):
    """A counter that will call: ``free_in`` seconds from now, from ``lines`` (with whether it
    prefers each)."""

    number: int
    free_in: float
    lines: tuple[tuple[Line, bool], ...]


def project(
    lines: Mapping[Line, Sequence[tuple[OrderKey, str]]],
    counters: Sequence[FreeCounter],
    visit_seconds: Mapping[str, float],
    now_us: int,
    fairness_us: int | None,
    stops: Collection[str] = (),
    most: int | None = None,
    hours: Sequence[tuple[float, float]] | None = None,
) -> dict[str, float]:
    """Seconds from now until each waiting ticket is called (those no counter would call are
    left out). ``lines``: every waiting line in calling order; ``visit_seconds``: how long each
    ticket holds its counter; ``stops``: the tickets whose calls are all that is asked; ``most``:
    give up after this many calls (what is left out is beyond the horizon); ``hours``: the
    spans left today in which counters call, (start, end) in seconds from now in order, the
    first starting by now (None: no limit). A stop the day's end comes before is told
    ``AFTER_HOURS``."""
    # The end of the span under way: a call before it needs no look at the spans (the hot case).
    until = hours[0][1] if hours else math.inf
    ended = False  # a counter reached the day's end
    # Each line as [its entries, the next not yet handed out], shared by the counters that call
    # from it; a counter's lines as (that pair, class rank, not preferred), best class first.
    cursors = {line: [entries, 0, len(entries)] for line, entries in lines.items() if entries}
    called: dict[str, float] = {}
    free = []
    for c in counters:
        mine = sorted(
            ((cursors[line], line.rank, not preferred) for line, preferred in c.lines if line in cursors),
            key=lambda m: (m[1], m[2]),
        )
        if mine:
            when = c.free_in if c.free_in < until else _open_at(c.free_in, hours)  # type: ignore[arg-type]
            if when is None:
                ended = True
            else:
                free.append((when, c.number, mine))
    heapq.heapify(free)
    budget = len(cursors) and (most if most is not None else -1)
    wanted = len(stops)
    pop, push = heapq.heappop, heapq.heappush
    while free and budget:
        when, number, mine = pop(free)
        # choose_next, inline (this loop is the estimate's cost): the longest-waiting overdue
        # head first; else the best class, then the preferred, then the earliest place.
        due = None if fairness_us is None else now_us + int(when * 1e6) - fairness_us
        overdue = best = None
        exhausted = False
        for cursor, rank, other in mine:
            at = cursor[1]
            if at == cursor[2]:
                exhausted = True
                continue
            head = cursor[0][at]
            if due is not None and head[0][0] <= due:
                if overdue is None or head < overdue[0]:
                    overdue = (head, cursor)
            elif overdue is None and (best is None or (rank, other, head) < best[0]):
                best = ((rank, other, head), cursor)
        if exhausted:  # lines only shrink: look at the others only from now on
            mine = [m for m in mine if m[0][1] < m[0][2]]
        if overdue is not None:
            (_, ticket_id), cursor = overdue
        elif best is not None:
            (_, _, (_, ticket_id)), cursor = best
        else:
            continue  # nothing more for this counter
        cursor[1] += 1
        called[ticket_id] = when
        if wanted and ticket_id in stops:
            wanted -= 1
            if not wanted:
                break
        else:
            budget -= 1  # a question holds no counter: it spends none of the horizon
        when += visit_seconds[ticket_id]
        if when >= until:
            when = _open_at(when, hours)  # type: ignore[arg-type]
            if when is None:
                ended = True
                continue
        push(free, (when, number, mine))
    if ended and budget and not free:  # not the horizon: the day ended before these stops
        for ticket_id in stops:
            called.setdefault(ticket_id, AFTER_HOURS)
    return called


def _open_at(when: float, hours: Sequence[tuple[float, float]]) -> float | None:
    """When a counter free at ``when`` may call: then, within a span; at the next span's
    start, in a break; None at or after the day's last closing."""
    for start, end in hours:
        if when < end:
            return max(when, start)
    return None
