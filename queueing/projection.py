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
gap before the next call). Nothing here knows the clock or the hall: the caller gives the
instant, the lines, the counters and the times.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Mapping, Sequence
from typing import NamedTuple

from queueing.calling import choose_next
from queueing.events import OrderKey
from queueing.lines import Line

__all__ = ["FreeCounter", "project"]


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
) -> dict[str, float]:
    """Seconds from now until each waiting ticket is called (those no counter would call are
    left out). ``lines``: every waiting line in calling order; ``visit_seconds``: how long each
    ticket holds its counter; ``stops``: the tickets whose calls are all that is asked; ``most``:
    give up after this many calls (what is left out is beyond the horizon)."""
    place = dict.fromkeys(lines, 0)  # the next ticket of each line not yet handed out
    called: dict[str, float] = {}
    free = []
    for c in counters:
        mine = [(line, line.rank, preferred) for line, preferred in c.lines if line in place]
        if mine:
            free.append((c.free_in, c.number, mine))
    heapq.heapify(free)
    budget = len(place) and (most if most is not None else -1)
    wanted = len(stops)
    while free and budget:
        when, number, mine = heapq.heappop(free)
        heads = []
        exhausted = False
        for entry in mine:
            line = entry[0]
            entries, at = lines[line], place[line]
            if at < len(entries):
                key, ticket_id = entries[at]
                heads.append((key, ticket_id, entry[1], entry[2], line))
            else:
                exhausted = True
        if exhausted:  # lines only shrink: look at the others only from now on
            mine = [entry for entry in mine if place[entry[0]] < len(lines[entry[0]])]
        chosen = choose_next(heads, now_us + int(when * 1e6), fairness_us)  # type: ignore[arg-type]
        if chosen is None:
            continue  # nothing more for this counter
        ticket_id, line = chosen[1], chosen[4]  # type: ignore[misc]
        place[line] += 1
        called[ticket_id] = when
        if wanted and ticket_id in stops:
            wanted -= 1
            if not wanted:
                break
        budget -= 1
        heapq.heappush(free, (when + visit_seconds[ticket_id], number, mine))
    return called
