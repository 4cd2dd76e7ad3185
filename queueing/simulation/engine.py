"""One simulated hall day, driven through ``HallQueue`` itself.

The simulated citizens and clerks send the core the very commands the kiosk and the
counter page send (``IssueTicket``, ``CallNext``, ``Recall``, ``MarkNoShow``, ``Transfer``,
``CompleteService``, ``OpenCounter``, ``PauseCounter``, ``CloseCounter``,
``ReconfigureCounter``); the core decides who is called next, with the hall's kinds,
profiles, priority classes, fairness and caps. This file only plays the people:

- a citizen arrives and takes a ticket; if a counter that may serve them is idle, its
  clerk calls next at once (the longest-idle clerk first);
- a clerk who finishes calls next at once (``behaviour`` may add walking time from the
  call to the counter); a citizen who does not come (过号) is recalled every
  ``recall_minutes`` up to the hall's limit and then marked no-show;
- a citizen to be transferred (一票到底) is, after their service, transferred to the next
  item, and waits again in its line;
- counters open, close and change as the ``controls`` say: a plan's level per kind per
  hour (a change opens or closes only the difference; a closing counter is paused, so it
  finishes its citizen first, and closes then), a counter's own spans, or a manager's
  change now.

Time is minutes after the day's midnight (floats); every command carries the instant.
Nothing here reads a clock or draws a random number: the citizens come pre-made
(``sampling.py``), so the same citizens and controls give the same day.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import heapq
import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

import msgspec
import numpy as np

from queueing.commands import (
    CallNext,
    CancelTicket,
    CloseCounter,
    CompleteService,
    DefineCounter,
    IssueTicket,
    MarkNoShow,
    OpenCounter,
    PauseCounter,
    Priority,
    Recall,
    ReconfigureCounter,
    Transfer,
)
from queueing.errors import Refusal
from queueing.events import CounterReconfigured, TicketCalled
from queueing.hall import HallQueue
from queueing.kinds import CounterKind, CounterSpec
from queueing.lifecycle import CounterState, TicketState
from queueing.policy import HallRules
from queueing.simulation.sampling import Citizen

__all__ = [
    "Control",
    "DayRecord",
    "Engine",
    "collector_paused",
    "counters_by_kind",
    "kind_key",
    "reconfigure_command",
]

_PRIORITY = (Priority.GREEN, Priority.APPOINTMENT, Priority.WALK_IN)
_DONE, _CONTROL, _RECALL, _MISS, _LEAVE = 1, 2, 3, 4, 5
_MINUTE = dt.timedelta(minutes=1)


def kind_key(spec: CounterSpec) -> str:
    """The plan's name of a counter's kind: ``no_difference``, ``cross_province``,
    ``pickup``, ``domain:<code>`` (several domains: ``domain:<a>+<b>``)."""
    if spec.kind is CounterKind.DOMAIN:
        return "domain:" + "+".join(spec.domains)
    return str(spec.kind)


def reconfigure_command(at: dt.datetime, number: int, spec: CounterSpec) -> ReconfigureCounter:
    """The manager's command that makes counter ``number`` into ``spec``."""
    return ReconfigureCounter(
        at=at,
        counter=number,
        name=spec.name,
        kind=spec.kind,
        domains=spec.domains,
        items=spec.items,
        profile=spec.profile,
    )


def counters_by_kind(counters: Iterable[CounterSpec]) -> dict[str, tuple[int, ...]]:
    """The numbers of the counters of each kind (``kind_key``), in the order given."""
    kinds: dict[str, tuple[int, ...]] = {}
    for spec in counters:
        key = kind_key(spec)
        kinds[key] = (*kinds.get(key, ()), spec.number)
    return kinds


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """A day makes hundreds of thousands of objects and hardly a cycle: the garbage collector's
    passes over the growing day (a tenth of its time) wait until the day is done. Drop the day's
    objects inside the block: the collector counts what is still alive when it comes back."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


class Control(NamedTuple):
    """A change to the counters at minute ``at``.

    - ``level``: ``count`` counters of kind ``kind`` open from now (a plan's hour);
    - ``open`` / ``close``: counter ``counter`` (a span; a manager's what-if);
    - ``reconfigure``: counter ``counter`` becomes ``spec`` (a manager's what-if).
    """

    at: float
    action: str
    counter: int = 0
    kind: str = ""
    count: int = 0
    spec: CounterSpec | None = None


class DayRecord:
    """What one simulated day produced, citizen by citizen and hour by hour.

    ``called[i]`` is the minute citizen ``i`` was first called (NaN: never; they were
    still waiting when the counters closed, or turned away at the kiosk: ``refused``).
    ``open``/``busy`` are counter-minutes per hour from the start (the last bucket takes
    the rest of the day, after the last hour).
    """

    __slots__ = (
        "arrived",
        "busy",
        "called",
        "citizens",
        "last_served",
        "left",
        "no_show",
        "open",
        "refused",
    )

    def __init__(self, citizens: Sequence[Citizen], hours: int) -> None:
        self.citizens = citizens
        n = len(citizens)
        self.arrived = [c.at for c in citizens]
        self.called = [math.nan] * n
        self.no_show = [False] * n
        self.refused = [False] * n
        self.left = [False] * n  # gave up waiting
        self.open = [0.0] * (hours + 1)
        self.busy = [0.0] * (hours + 1)
        self.last_served = math.nan


class Engine:
    """Runs simulated days for one hall and one set of rules.

    ``start``/``end``: the day's hours with arrivals (minutes after midnight); the plan's
    hour ``h`` is ``start + 60 h``. ``walk`` minutes from a call to the counter;
    ``recall`` minutes between calls of a citizen who does not come.
    """

    def __init__(
        self,
        rules: HallRules,
        counters: Sequence[CounterSpec],
        day: dt.date,
        start: float,
        end: float,
        *,
        walk: float = 0.0,
        recall: float = 1.0,
    ) -> None:
        self.counters = tuple(sorted(counters, key=lambda c: c.number))
        self.day = day
        self.start, self.end = start, end
        self.hours = max(1, math.ceil((end - start) / 60))
        self.walk, self.recall = walk, recall
        self.midnight = dt.datetime.combine(day, dt.time(), rules.zone)  # minutes count from here
        # A simulated day may run past midnight (the last arrivals served late at night, a long
        # test day): the core would start a new hall day then and expire everyone. So the core
        # runs in a zone of its own whose day begins an hour before the first arrival; nothing
        # it decides depends on the zone but that (the scenario's hours replace the hall's).
        first = self.midnight + start * _MINUTE
        offset = (1 - first.astimezone(dt.UTC).hour) % 24
        offset = offset - 24 if offset > 14 else offset
        # The scenario's hours replace the hall's opening hours too (arrivals come when it says).
        self.rules = msgspec.structs.replace(
            rules,
            timezone=f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT",
            issuing=msgspec.structs.replace(rules.issuing, outside_hours=True),
        )
        # Every instant in UTC, as the live service's clock gives them: instants of one tzinfo
        # compare and subtract as plain arithmetic (of two, every step asks both their offset),
        # and the core's order keys count from a UTC epoch (a quarter of a day's time, measured).
        self.midnight = self.midnight.astimezone(dt.UTC)
        self.horizon = start + 23 * 60  # the core's day ends here: what is left then is left

    # ------------------------------------------------------------------ set-up

    def fresh_queue(self) -> HallQueue:
        """The hall at the start of the day: its counters defined, all closed."""
        queue = HallQueue(self.rules, quotes=False)  # what a kiosk would tell decides nothing
        at = self.midnight + self.start * _MINUTE - _MINUTE
        for spec in self.counters:
            queue.handle(DefineCounter(at=at, spec=spec))
        return queue

    def instant(self, minute: float) -> dt.datetime:
        return self.midnight + minute * _MINUTE

    def minute(self, at: dt.datetime) -> float:
        return (at - self.midnight) / _MINUTE

    # ------------------------------------------------------------------ a day

    def run(
        self,
        citizens: Sequence[Citizen],
        controls: Iterable[Control],
        *,
        queue: HallQueue | None = None,
        now: float | None = None,
        busy_until: dict[int, float] | None = None,
    ) -> DayRecord:
        """Simulate from ``now`` (default: the start) until every citizen is served or no
        open counter may serve those still waiting.

        By default the hall starts empty (``fresh_queue``). To go on from a hall as it is
        (``queue``, cloned from the live one), the citizens already waiting in it come
        first in ``citizens`` with their ticket id (``Citizen.ticket``) and their real
        arrival, and ``busy_until`` says when each counter's current service ends (that
        citizen is finished as they are, not counted again).
        """
        if queue is not None:  # a hall cloned from the live one: today, in the simulation's zone
            queue.day = self.rules.hall_day(self.instant(now if now is not None else self.start))
        with collector_paused():
            run = _Run(self, citizens, queue or self.fresh_queue(), now if now is not None else self.start)
            run.seed(controls, busy_until or {})
            run.loop()
            record = run.record
            del run  # the day's hall goes before the collector comes back: nothing left to scan
        return record


class _Run:
    """The state of one simulated day (one replication)."""

    def __init__(self, engine: Engine, citizens: Sequence[Citizen], queue: HallQueue, now: float) -> None:
        self.engine = engine
        self.queue = queue
        self.handle = queue.handle
        self.has_waiting_for = queue.has_waiting_for
        self.midnight = engine.midnight
        self.now = now
        self.now_at = self.at(now)
        self.citizens = citizens
        self.record = DayRecord(citizens, engine.hours)
        self.heap: list[tuple[float, int, int, object]] = []
        self.coming: list[tuple[float, int]] = []  # arrivals to come: (minute, citizen), in order
        self.order = itertools.count()
        self.index: dict[str, int] = {}  # ticket id -> citizen index (-1: at a counter before ``now``)
        self.idle: dict[int, float] = {}  # open counters with nobody at them, longest idle first
        self.closing: set[int] = set()  # paused by a plan's lower level: close when done
        self.busy_since: dict[int, float] = {}
        self.busy: list[tuple[float, float]] = []  # (from, to) of every visit: into hours at the end
        self.opened: list[tuple[float, float]] = []  # (from, to) of every time a counter was open
        self.open_since: dict[int, float] = {}
        self.visit: dict[int, tuple[str, bool]] = {}  # counter -> (ticket, second visit)
        self.served_by = {n: frozenset(queue._served_by(n)) for n in queue.counters}
        self.recalls = queue.rules.calling.max_recalls
        self.walk = engine.walk
        self.last_served = math.nan

    # ------------------------------------------------------------------ plumbing

    def at(self, minute: float) -> dt.datetime:
        return self.midnight + dt.timedelta(0, minute * 60)

    def push(self, minute: float, code: int, arg: object) -> None:
        heapq.heappush(self.heap, (minute, next(self.order), code, arg))  # ties: first pushed, first

    def seed(self, controls: Iterable[Control], busy_until: dict[int, float]) -> None:
        for number, counter in self.queue.counters.items():
            if counter.state is CounterState.CLOSED:
                continue
            self.open_since[number] = self.now
            if counter.current is not None:  # finished as it is, when its service ends
                self.busy_since[number] = self.now
                self.visit[number] = (counter.current, True)
                self.index[counter.current] = -1
                self.push(max(busy_until.get(number, self.now), self.now), _DONE, number)
            elif counter.state is CounterState.OPEN:
                self.idle[number] = self.now
        coming = []
        for i, citizen in enumerate(self.citizens):
            if citizen.ticket is not None:
                self.index[citizen.ticket] = i
            else:
                coming.append((citizen.at, i))
            if citizen.leaves is not None:
                self.push(citizen.leaves, _LEAVE, i)
        # Arrivals wait in a list of their own, in order (citizens come sorted): the heap then
        # holds only what the day makes (services, recalls, controls) and stays small.
        coming.sort()
        self.coming = coming
        for control in sorted(controls, key=lambda c: c.at):
            self.push(max(control.at, self.now), _CONTROL, control)
        # Waiting tickets of the cloned hall: idle counters that may serve them call now.
        self.push(self.now, _CONTROL, Control(self.now, "call"))

    def loop(self) -> None:
        heap, pop = self.heap, heapq.heappop
        arrive, done, control = self.arrive, self.done, self.control
        midnight, timedelta = self.midnight, dt.timedelta
        horizon = self.engine.horizon
        coming, k, n = self.coming, 0, len(self.coming)
        while True:
            # The next arrival first, unless the heap has something earlier (at the same minute,
            # the arrival: it was there first, as if pushed first).
            if k < n and (not heap or coming[k][0] <= heap[0][0]):
                minute, i = coming[k]
                k += 1
                if minute >= horizon:
                    break
                # timedelta(0, seconds) is the quickest way from a float to an instant (to the µs)
                self.now, self.now_at = minute, midnight + timedelta(0, minute * 60)
                arrive(i)
                continue
            if not heap:
                break
            minute, _, code, arg = pop(heap)
            if minute >= horizon:  # nearly a day of backlog: those still waiting go unserved
                break
            self.now, self.now_at = minute, midnight + timedelta(0, minute * 60)
            if code == _DONE:
                done(arg)  # type: ignore[arg-type]
            elif code == _CONTROL:
                control(arg)  # type: ignore[arg-type]
            elif code == _RECALL:
                self.recall(arg)  # type: ignore[arg-type]
            elif code == _MISS:
                self.miss(arg)  # type: ignore[arg-type]
            else:
                self.leave(arg)  # type: ignore[arg-type]
        self.finish()

    # ------------------------------------------------------------------ citizens

    def arrive(self, i: int) -> None:
        citizen = self.citizens[i]
        ticket_id = str(i)
        rank = citizen.rank
        at = self.now_at
        slot = None
        if rank == 1:  # an appointment: in line by its slot (checked in at its slot, unless known)
            slot = at if citizen.slot is None else self.at(citizen.slot)
        try:
            self.handle(
                IssueTicket(
                    at=at, ticket_id=ticket_id, item=citizen.item, priority=_PRIORITY[rank], appointment_slot=slot
                )
            )
        except Refusal:  # the kiosk said no (a group's daily cap): the citizen goes home
            self.record.refused[i] = True
            return
        self.index[ticket_id] = i
        self.wake(citizen.item)

    def wake(self, item: str) -> None:
        """An idle clerk who may serve ``item`` calls next (the longest idle first)."""
        for number in self.idle:
            if item in self.served_by[number]:
                self.call(number)
                return

    # ------------------------------------------------------------------ clerks

    def call(self, number: int) -> None:
        """Counter ``number`` (open, nobody at it) calls next; idle if nobody is waiting for it."""
        # A clerk with nobody to call would get an empty answer: asking the core first is quicker
        # (the counter's items against the items someone waits for; its own line only if any).
        lines = self.queue.lines
        could = not self.served_by[number].isdisjoint(lines.items) or (lines.named and self.has_waiting_for(number))
        recorded = self.handle(CallNext(at=self.now_at, counter=number)) if could else None
        if not recorded:
            if number not in self.idle:
                self.idle[number] = self.now
            return
        self.idle.pop(number, None)
        event = recorded[-1].event
        assert isinstance(event, TicketCalled)
        ticket_id = event.ticket_id
        now = self.now
        self.busy_since[number] = now
        i = self.index[ticket_id]
        citizen = self.citizens[i]
        called = self.record.called
        second = called[i] == called[i]  # called before (not NaN): the visit after a transfer
        if not second:
            called[i] = now
        self.visit[number] = (ticket_id, second)
        if citizen.no_show and not second:
            # Nobody comes: recalled every ``recall`` minutes (up to the hall's limit), marked
            # no-show when the citizen's time at the counter is up.
            if self.engine.recall < citizen.service:
                self.push(now + self.engine.recall, _RECALL, (number, ticket_id))
            self.push(now + citizen.service, _MISS, number)
        else:
            minutes = citizen.transfer_service if second else citizen.service
            heapq.heappush(self.heap, (now + self.walk + minutes, next(self.order), _DONE, number))

    def recall(self, arg: tuple[int, str]) -> None:
        number, ticket_id = arg
        ticket = self.queue.tickets[ticket_id]
        if self.visit.get(number, ("",))[0] != ticket_id or ticket.recalls >= self.recalls:
            return
        self.handle(Recall(at=self.now_at, counter=number))
        self.push(self.now + self.engine.recall, _RECALL, arg)

    def miss(self, number: int) -> None:
        ticket_id, _ = self.visit[number]
        self.handle(MarkNoShow(at=self.now_at, counter=number))
        self.record.no_show[self.index[ticket_id]] = True
        self.after_visit(number)

    def leave(self, i: int) -> None:
        """A citizen gives up waiting (a recorded cancellation): gone, if still in line."""
        ticket_id = self.citizens[i].ticket or str(i)
        ticket = self.queue.tickets.get(ticket_id)
        if ticket is not None and ticket.state is TicketState.WAITING:
            self.handle(CancelTicket(at=self.now_at, ticket_id=ticket_id))
            self.record.left[i] = True

    def done(self, number: int) -> None:
        ticket_id, second = self.visit[number]
        i = self.index[ticket_id]
        at = self.now_at
        citizen = self.citizens[i] if i >= 0 else None
        if citizen is not None and citizen.transfer_to is not None and not second:
            self.handle(Transfer(at=at, counter=number, item=citizen.transfer_to))
            self.after_visit(number)
            self.wake(citizen.transfer_to)
            return
        self.handle(CompleteService(at=at, counter=number))
        self.last_served = self.now
        self.after_visit(number)

    def after_visit(self, number: int) -> None:
        self.visit.pop(number, None)
        self.busy.append((self.busy_since.pop(number), self.now))
        if number in self.closing:
            self.close(number)
        elif self.queue.counters[number].state is CounterState.OPEN:
            self.call(number)

    # ------------------------------------------------------------------ counters

    def control(self, control: Control) -> None:
        action = control.action
        if action == "level":
            self.level(control.kind, control.count)
        elif action == "open":
            self.open(control.counter)
        elif action == "close":
            self.wind_down(control.counter)
        elif action == "reconfigure":
            assert control.spec is not None
            self.reconfigure(control.counter, control.spec)
        elif action == "call":
            for number in list(self.idle):
                if number in self.idle:
                    self.call(number)

    def level(self, kind: str, count: int) -> None:
        """Open or close the difference so that ``count`` counters of ``kind`` are open."""
        counters = self.queue.counters
        mine = [n for n, c in counters.items() if kind_key(c.spec) == kind]
        serving = [n for n in mine if counters[n].state is not CounterState.CLOSED and n not in self.closing]
        if count > len(serving):
            # Those winding down first (they are still here), then closed ones, lowest number first.
            revived = sorted(n for n in mine if n in self.closing)
            closed = sorted(n for n in mine if counters[n].state is CounterState.CLOSED)
            for number in (revived + closed)[: count - len(serving)]:
                self.open(number)
        elif count < len(serving):
            # Idle ones close first (the longest idle), then the busy ones as they finish.
            idle = [n for n in self.idle if n in serving]
            busy = sorted((n for n in serving if n not in self.idle), reverse=True)
            for number in (idle + busy)[: len(serving) - count]:
                self.wind_down(number)

    def open(self, number: int) -> None:
        counter = self.queue.counters.get(number)
        if counter is None:
            return
        self.closing.discard(number)
        if counter.state is not CounterState.OPEN:
            self.handle(OpenCounter(at=self.now_at, counter=number))
        self.open_since.setdefault(number, self.now)
        if counter.current is None:
            self.call(number)

    def wind_down(self, number: int) -> None:
        counter = self.queue.counters.get(number)
        if counter is None or counter.state is CounterState.CLOSED:
            return
        if counter.current is None:
            self.close(number)
            return
        if counter.state is CounterState.OPEN:
            self.handle(PauseCounter(at=self.now_at, counter=number, reason="closing"))
        self.closing.add(number)

    def close(self, number: int) -> None:
        self.closing.discard(number)
        self.idle.pop(number, None)
        self.handle(CloseCounter(at=self.now_at, counter=number))
        self.opened.append((self.open_since.pop(number), self.now))

    def reconfigure(self, number: int, spec: CounterSpec) -> None:
        recorded = self.handle(reconfigure_command(self.now_at, number, spec))
        if any(isinstance(r.event, CounterReconfigured) for r in recorded):
            self.served_by[number] = frozenset(self.queue._served_by(number))
        if number in self.idle:
            self.call(number)

    # ------------------------------------------------------------------ the end

    def spread(self, buckets: list[float], spans: list[tuple[float, float]]) -> None:
        """Add the minutes of each span (from, to) to the hour buckets they fall in (the first
        bucket also takes what came before the first hour, the last what came after)."""
        if not spans:
            return
        start, last = self.engine.start, len(buckets) - 1
        begin, end = np.array(spans, dtype=float).T
        lows = start + 60 * np.arange(last + 1, dtype=float)
        lows[0] = -np.inf  # the first bucket takes what came before, the last what came after
        highs = np.append(lows[1:], np.inf)
        overlap = np.minimum(end[:, None], highs) - np.maximum(begin[:, None], lows)
        for h, minutes in enumerate(np.clip(overlap, 0, None).sum(axis=0).tolist()):
            buckets[h] += minutes

    def finish(self) -> None:
        """The hall closes when the last citizen is done: every counter still open closes then."""
        end = self.last_served if self.last_served == self.last_served else self.now
        end = max(end, self.engine.end)
        self.spread(self.record.busy, self.busy)
        self.opened += [(since, max(end, since)) for since in self.open_since.values()]
        self.spread(self.record.open, self.opened)
        self.open_since.clear()
        self.record.last_served = self.last_served
