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

__all__ = ["AFTER_HOURS", "ALWAYS", "IF_EARLIER", "NEVER", "FreeCounter", "Trace", "play"]

AFTER_HOURS = math.inf  # when a ticket the day's last closing comes before is called: not today
# Whether a counter calling from one line would take another line's head first (``Trace.before``).
NEVER, IF_EARLIER, ALWAYS = 0, 1, 2


class FreeCounter(NamedTuple):
    """A counter that will call: ``free_in`` seconds from now, from ``lines`` (with whether it
    prefers each)."""

    number: int
    free_in: float
    lines: tuple[tuple[Line, bool], ...]


class Trace:
    """A projection played to its end (no ticket asked about), with every counter's decision
    kept, so that a ticket joining the end of a line can be placed in it without playing the
    day again: until that ticket becomes its line's head, every decision is what it would have
    been without it (the calling rule looks only at the heads); from then on, the first
    counter that would have taken it calls it.

    ``called``: seconds from now until each waiting ticket the play reached is called;
    ``last``: the last call reached."""

    __slots__ = (
        "_lines_of",
        "_over",
        "_playing",
        "_relations",
        "called",
        "counters",
        "drained",
        "ended",
        "ends",
        "fairness_us",
        "gap",
        "hours",
        "idle_ended",
        "last",
        "now_us",
        "steps",
    )

    def __init__(
        self,
        counters: Sequence[FreeCounter],
        now_us: int,
        fairness_us: int | None,
        hours: Sequence[tuple[float, float]] | None = None,
    ) -> None:
        self.counters = {c.number: c for c in counters}
        self.now_us, self.fairness_us, self.hours = now_us, fairness_us, hours
        self.called: dict[str, float] = {}
        self.last = 0.0
        # Each decision: (when, counter, what it took: (rank, not preferred, key) or, for an
        # overdue head, its key; None if nothing), and whether what it took was overdue.
        self.steps: list[tuple[float, int, tuple | None, bool]] = []
        self.drained: dict[Line, int] = {}  # a line emptied: the first decision that saw it empty
        self.ends: dict[str, float] = {}  # when each ticket called leaves its counter free again
        self.gap = 0.0  # of each visit, the clerk's gap before the next call (set by the caller)
        self.ended = False  # a counter with tickets to call reached the day's end
        self.idle_ended: list[int] = []  # counters with nothing to call, already past the day's end
        self._over = False  # the play stopped with calls to spare and no counter left: the day ended
        self._lines_of: dict[int, dict[Line, bool]] = {}
        self._playing: Collection[Line] = ()  # the lines with tickets when the play began
        self._relations: dict[tuple[Line, Line | None], int] = {}

    def unreached(self) -> float | None:
        """What a waiting ticket the play did not reach is told: ``AFTER_HOURS`` if the day
        ended before it, None if it is beyond the horizon."""
        return AFTER_HOURS if self.ended and self._over else None

    def serves(self, number: int) -> dict[Line, bool]:
        """The lines counter ``number`` calls from, with whether it does not prefer each."""
        lines = self._lines_of.get(number)
        if lines is None:
            lines = self._lines_of[number] = {line: not preferred for line, preferred in self.counters[number].lines}
        return lines

    def inherit(self, earlier: Trace | None) -> None:
        """Keep what ``earlier`` worked out about the counters' lines, if they are the same."""
        if (
            earlier is not None
            and earlier.counters.keys() == self.counters.keys()
            and all(c.lines == earlier.counters[n].lines for n, c in self.counters.items())
        ):
            self._lines_of, self._relations = earlier._lines_of, earlier._relations

    def sharers(self, line: Line) -> int:
        """How many counters call from ``line``."""
        found = self._relations.get((line, None))
        if found is None:
            found = self._relations[line, None] = sum(line in self.serves(n) for n in self.counters)
        return found

    def before(self, other: Line, line: Line) -> int:
        """Whether a counter that calls from ``line`` would take ``other``'s head before a
        ticket of ``line``: ``ALWAYS`` (a better class, or a line it prefers), ``IF_EARLIER``
        (alike: the earlier first) or ``NEVER`` (no such counter calls from both)."""
        found = self._relations.get((other, line))
        if found is None:  # worked out once per pair of lines
            found = NEVER
            for number in self.counters:
                lines = self.serves(number)
                if line in lines and other in lines:
                    theirs, mine = (other.rank, lines[other]), (line.rank, lines[line])
                    if theirs < mine:
                        found = ALWAYS
                        break
                    if theirs == mine:
                        found = IF_EARLIER
            self._relations[other, line] = found
        return found

    def place(
        self,
        line: Line,
        key: OrderKey,
        taken: Collection[int] = (),
        free: Sequence[tuple[float, int]] = (),
        ended: Collection[int] = (),
    ) -> tuple[float | None, int | None]:
        """Seconds from now until a ticket that joins the end of ``line`` with ``key`` (later
        than every key in it) is called: exactly what playing again with it would say. With
        tickets placed before it (``HallQueue._placements``): ``taken``, the decisions of
        counters with nothing to call that they took (skipped), and ``free``, when those
        counters are free again, (when, counter), in order, and ``ended``, those of them the day's
        end came to first. Also, if a counter with nothing
        else to call takes it, where: the decision's index, or ``-1 - i`` for ``free[i]``."""
        start = self.drained.get(line)
        if start is None:
            if line in self._playing:
                return self._unplaced(line, ended), None  # its line never emptied: the ticket is beyond the play
            start = 0  # an empty line: the ticket is its head from the start
        found: tuple[float, int, int] | None = None  # (when, counter, where)
        rank, stamp, fairness = line.rank, key[0], self.fairness_us
        for index in range(start, len(self.steps)):
            when, number, chosen, overdue = self.steps[index]
            other = self.serves(number).get(line)
            if other is None or index in taken:
                continue
            late = fairness is not None and stamp <= self.now_us + int(when * 1e6) - fairness
            if overdue:
                if late and key < chosen:  # type: ignore[operator]
                    found = (when, number, index)
                    break
            elif late or chosen is None or (rank, other, key) < chosen:
                found = (when, number, index)
                break
        for i, (when, number) in enumerate(free):  # in order: the first that calls from the line
            if found is not None and (when, number) >= found[:2]:
                break
            if line in self.serves(number):
                found = (when, number, -1 - i)
                break
        if found is None:
            return self._unplaced(line, ended), None
        when, _, where = found
        idle = where < 0 or self.steps[where][2] is None
        return when, (where if idle else None)

    def after(self, when: float, visits: Sequence[float]) -> float:
        """When a counter that calls at ``when`` calls again after holding each of ``visits`` in
        turn, within the day's spans (``AFTER_HOURS`` if the day ends first)."""
        until = self.hours[0][1] if self.hours else math.inf
        for visit in visits:
            when += visit
            if when >= until:
                later = _open_at(when, self.hours)  # type: ignore[arg-type]
                if later is None:
                    return AFTER_HOURS
                when = later
                until = next(end for _, end in self.hours if when < end)  # type: ignore[union-attr]
        return when

    def _unplaced(self, line: Line, ended: Collection[int] = ()) -> float | None:
        closed = self.ended or any(line in self.serves(n) for n in (*self.idle_ended, *ended))
        return AFTER_HOURS if closed and self._over else None


def play(
    lines: Mapping[Line, Sequence[tuple[OrderKey, str]]],
    counters: Sequence[FreeCounter],
    visit_seconds: Mapping[str, float],
    now_us: int,
    fairness_us: int | None,
    most: int | None = None,
    hours: Sequence[tuple[float, float]] | None = None,
) -> Trace:
    """Hand the waiting tickets out to the counters as they come free, by the calling rule,
    until they are all called, the day ends or ``most`` calls are made (the horizon).
    ``lines``: every waiting line in calling order; ``visit_seconds``: how long each ticket
    holds its counter; ``hours``: the spans left today in which counters call, (start, end) in
    seconds from now in order, the first starting by now (None: no limit)."""
    trace = Trace(counters, now_us, fairness_us, hours)
    # The end of the span under way: a call before it needs no look at the spans (the hot case).
    until = hours[0][1] if hours else math.inf
    # Each line as [its entries, the next not yet handed out, its length, the line], shared by
    # the counters that call from it; a counter's lines as (that cursor, class rank, not
    # preferred), best class first.
    cursors = {line: [entries, 0, len(entries), line] for line, entries in lines.items() if entries}
    trace._playing = cursors.keys()
    called, steps, drained, ends = trace.called, trace.steps, trace.drained, trace.ends
    free = []
    for c in counters:
        mine = sorted(
            ((cursors[line], line.rank, not preferred) for line, preferred in c.lines if line in cursors),
            key=lambda m: (m[1], m[2]),
        )
        when = c.free_in if c.free_in < until else _open_at(c.free_in, hours)  # type: ignore[arg-type]
        if when is None:
            if mine:
                trace.ended = True
            else:  # would have called a ticket that joins one of its lines, but for the day's end
                trace.idle_ended.append(c.number)
        else:  # one with nothing to call is kept too: a ticket that joins its lines is its next call
            free.append((when, c.number, mine))
    heapq.heapify(free)
    budget = most if most is not None else -1
    pop, push, step = heapq.heappop, heapq.heappush, steps.append
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
            (key, ticket_id), cursor = overdue
            step((when, number, key, True))
        elif best is not None:
            (rank, other, (key, ticket_id)), cursor = best
            step((when, number, (rank, other, key), False))
        else:
            step((when, number, None, False))
            continue  # nothing more for this counter
        cursor[1] += 1
        if cursor[1] == cursor[2]:
            drained[cursor[3]] = len(steps)
        called[ticket_id] = when
        budget -= 1
        when += visit_seconds[ticket_id]
        ends[ticket_id] = when
        if when >= until:
            when = _open_at(when, hours)  # type: ignore[arg-type]
            if when is None:
                trace.ended = True
                continue
        push(free, (when, number, mine))
    trace._over = bool(budget) and not free
    trace.last = max(called.values(), default=0.0)
    return trace


def _open_at(when: float, hours: Sequence[tuple[float, float]]) -> float | None:
    """When a counter free at ``when`` may call: then, within a span; at the next span's
    start, in a break; None at or after the day's last closing."""
    for start, end in hours:
        if when < end:
            return max(when, start)
    return None
