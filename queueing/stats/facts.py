"""What happened in one hall day, ticket by ticket and counter by counter (pure: no I/O, no clock).

``fold_day`` replays the day's events through the core itself (``HallQueue.apply``, the rules
that decided them) and watches each one:

- every **ticket**: its arrival (issue or check-in), what it was told then (people ahead,
  minutes), its visits to counters (called, started, ended, how the visit ended, the clerk
  signed in there, the counter's kind then, recalls, time away suspended), how it ended
  (served, no-show, cancelled, expired; ``waiting`` if the day is not over), reinstatements;
- every **counter**: seconds open (服务中, plus any time it finished a citizen after pausing or
  signing out), busy (a citizen at the counter: from the call to done, suspended time not
  counted), paused by reason, idle while a ticket it could serve waited (with the core's own
  rule of who serves what), open seconds by the counter's kind and by the clerk signed in.

Times are seconds since the epoch (UTC), floats: compact to keep and quick to subtract.
The definitions the figures use are in ``figures.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import msgspec

from queueing.events import (
    CounterClosed,
    CounterDefined,
    CounterReconfigured,
    CounterRetired,
    DayStarted,
    Recorded,
    ServiceCompleted,
    ServiceStarted,
    TicketCalled,
    TicketCancelled,
    TicketIssued,
    TicketMissed,
    TicketMoved,
    TicketRecalled,
    TicketReinstated,
    TicketResumed,
    TicketSuspended,
    TicketTransferred,
)
from queueing.hall import HallQueue
from queueing.kinds import CounterSpec
from queueing.lifecycle import CounterState
from queueing.policy import HallRules
from queueing.records import CounterRecord

__all__ = ["FACTS_VERSION", "CounterDay", "DayFacts", "TicketFact", "Visit", "fold_day", "seconds"]

FACTS_VERSION = 2  # bump when the facts change shape or meaning: cached days are folded again


def seconds(at: dt.datetime) -> float:
    return at.timestamp()


class Visit(msgspec.Struct, array_like=True):
    """One time a ticket was at a counter: from its call to how that ended."""

    counter: int
    kind: str  # the counter's kind then
    clerk: str  # who was signed in at the counter ("" nobody)
    called: float
    started: float | None = None
    ended: float | None = None
    outcome: str = "open"  # completed, transferred, no_show, cancelled, expired, released, open
    suspended: float = 0.0  # seconds away while suspended (挂起), not service
    recalls: int = 0


class TicketFact(msgspec.Struct, array_like=True):
    id: str
    number: str
    group: str
    item: str
    priority: str  # green, appointment, walk_in
    channel: str  # kiosk, desk, appointment
    arrived: float  # issued (an appointment: checked in)
    slot: float | None = None  # an appointment's slot start
    quoted_ahead: int | None = None  # what the ticket was told at issue
    quoted_minutes: int | None = None
    first_called: float | None = None
    outcome: str = "waiting"  # served, no_show, cancelled, expired; waiting: the day goes on
    ended: float | None = None
    visits: list[Visit] = msgspec.field(default_factory=list)
    reinstated: int = 0
    transfers: int = 0

    def wait(self) -> float | None:
        """Seconds from arrival to the first call (None: never called)."""
        return None if self.first_called is None else self.first_called - self.arrived

    def served_visit(self) -> Visit | None:
        for visit in reversed(self.visits):
            if visit.outcome == "completed":
                return visit
        return None


class CounterDay(msgspec.Struct, array_like=True):
    counter: int
    name: str
    kind: str  # its kind at the end of the day
    open: float = 0.0
    busy: float = 0.0
    idle_waiting: float = 0.0  # open, nobody at it, a ticket it could serve waiting
    paused: dict[str, float] = msgspec.field(default_factory=dict)  # by reason ("" none given)
    open_by_kind: dict[str, float] = msgspec.field(default_factory=dict)  # a counter re-purposed in the day
    busy_by_kind: dict[str, float] = msgspec.field(default_factory=dict)
    idle_by_kind: dict[str, float] = msgspec.field(default_factory=dict)
    open_by_clerk: dict[str, float] = msgspec.field(default_factory=dict)
    busy_by_clerk: dict[str, float] = msgspec.field(default_factory=dict)
    served: int = 0


class DayFacts(msgspec.Struct):
    hall: str
    day: dt.date
    tickets: list[TicketFact]
    counters: list[CounterDay]
    closed: bool  # the day is over (the next day has started): nothing more can happen in it
    until: float  # facts up to this instant (the day's end, or now)
    last_seq: int  # the last event of the day that was folded
    events: int
    version: int = FACTS_VERSION


class _Counter:
    """A counter's accounts while the day is folded: what it is doing since when."""

    __slots__ = ("day", "since", "status")

    def __init__(self, day: CounterDay, since: float) -> None:
        self.day, self.since = day, since
        self.status: tuple = (False, False, day.kind, "", None, False)  # open, busy, kind, clerk, paused, idle

    def book(self, until: float) -> None:
        """The time since the last change, to what the counter was doing."""
        elapsed = until - self.since
        self.since = until
        if elapsed <= 0:
            return
        open_, busy, kind, clerk, paused, idle = self.status
        day = self.day
        if open_ or busy:
            day.open += elapsed
            day.open_by_kind[kind] = day.open_by_kind.get(kind, 0.0) + elapsed
            day.open_by_clerk[clerk] = day.open_by_clerk.get(clerk, 0.0) + elapsed
            if busy:
                day.busy += elapsed
                day.busy_by_kind[kind] = day.busy_by_kind.get(kind, 0.0) + elapsed
                day.busy_by_clerk[clerk] = day.busy_by_clerk.get(clerk, 0.0) + elapsed
        if paused is not None:
            day.paused[paused] = day.paused.get(paused, 0.0) + elapsed
        if idle:
            day.idle_waiting += elapsed
            day.idle_by_kind[kind] = day.idle_by_kind.get(kind, 0.0) + elapsed


def fold_day(
    rules: HallRules,
    day: dt.date,
    specs: dict[int, CounterSpec],
    events: Iterable[Recorded],
    next_day: DayStarted | None = None,
    until: dt.datetime | None = None,
) -> DayFacts:
    """The facts of hall day ``day`` from its events in order. ``specs``: the counters as they
    stood when the day began; ``next_day``: the start of the following day (the tickets it
    expired end the day). Without it, ``until`` is now: a day not over runs to now; a day
    whose midnight has passed (nothing has happened since) ends at midnight, and what was
    still open then expires, as the next day's start will record."""
    if next_day is None and until is not None:
        midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), rules.zone)
        if until >= midnight:
            next_day = DayStarted(at=midnight, day=day + dt.timedelta(days=1), expired=None, expired_at=midnight)  # type: ignore[arg-type]
    zone_midnight = dt.datetime.combine(day, dt.time(), rules.zone)
    queue = HallQueue(rules)
    queue.counters = {n: CounterRecord(spec=s, baseline=s, state_since=zone_midnight) for n, s in specs.items()}
    tickets: dict[str, TicketFact] = {}
    counters: dict[int, _Counter] = {}
    start = seconds(zone_midnight)
    for number, spec in specs.items():
        counters[number] = _Counter(CounterDay(counter=number, name=spec.name, kind=spec.kind.value), start)
    last_seq, count, now = 0, 0, start
    for recorded in events:
        event = recorded.event
        t = seconds(event.at)
        if last_seq == 0:
            queue.seq = recorded.seq - 1
        if isinstance(event, DayStarted):  # yesterday's tickets are not in this fold
            recorded = Recorded(recorded.seq, msgspec.structs.replace(event, expired=()))
        before = _before(queue, event)
        queue.apply(recorded)
        _observe(queue, tickets, counters, event, t, before)
        _refresh(queue, counters, t)
        last_seq, count, now = recorded.seq, count + 1, t
    if next_day is not None:
        end = seconds(next_day.expired_at or next_day.at)
        for accounts in counters.values():
            accounts.book(end)
        expired = tickets if next_day.expired is None else next_day.expired  # None: whatever is open
        for ticket_id in expired:
            fact = tickets.get(ticket_id)
            if fact is not None and fact.outcome == "waiting":  # a no-show stays one
                _end_ticket(fact, "expired", end)
        for ticket in tickets.values():  # held at a counter at midnight: that visit ends too
            for visit in ticket.visits:
                if visit.outcome == "open":
                    visit.outcome, visit.ended = "expired", end
        finished = end
    else:
        finished = max(now, seconds(until)) if until is not None else now
        for accounts in counters.values():
            accounts.book(finished)
    result = []
    for number, accounts in sorted(counters.items()):
        counter = queue.counters.get(number)
        if counter is not None:
            accounts.day.kind, accounts.day.name = counter.spec.kind.value, counter.spec.name
        result.append(accounts.day)
    return DayFacts(
        hall=rules.hall,
        day=day,
        tickets=list(tickets.values()),
        counters=result,
        closed=next_day is not None,
        until=finished,
        last_seq=last_seq,
        events=count,
    )


def _before(queue: HallQueue, event: object) -> object:
    """What an event's observer needs from the state before it is applied: a retired
    counter's citizens (the event releases them)."""
    if isinstance(event, CounterRetired):
        counter = queue.counters.get(event.counter)
        return (counter.current, tuple(counter.parked)) if counter else (None, ())
    return None


def _refresh(queue: HallQueue, counters: dict[int, _Counter], t: float) -> None:
    """Each counter's doing after an event; the time before it goes to what it did until now."""
    for number, counter in queue.counters.items():
        accounts = counters.get(number)
        if accounts is None:  # defined during the day
            spec = counter.spec
            accounts = counters[number] = _Counter(CounterDay(counter=number, name=spec.name, kind=spec.kind.value), t)
        open_ = counter.state is CounterState.OPEN
        busy = counter.current is not None
        status = (
            open_,
            busy,
            counter.spec.kind.value,
            counter.staff or "",
            counter.pause_reason if counter.state is CounterState.PAUSED else None,
            open_ and not busy and queue.has_waiting_for(number),
        )
        if status != accounts.status:
            accounts.book(t)
            accounts.status = status
    for number in counters.keys() - queue.counters.keys():  # retired: it does nothing any more
        accounts = counters[number]
        if accounts.status[:2] != (False, False) or accounts.status[4:] != (None, False):
            accounts.book(t)
            accounts.status = (False, False, accounts.status[2], "", None, False)


def _end_ticket(fact: TicketFact, outcome: str, t: float) -> None:
    fact.outcome, fact.ended = outcome, t


def _open_visit(fact: TicketFact) -> Visit | None:
    return fact.visits[-1] if fact.visits and fact.visits[-1].outcome == "open" else None


def _observe(
    queue: HallQueue,
    tickets: dict[str, TicketFact],
    counters: dict[int, _Counter],
    event: object,
    t: float,
    before: object,
) -> None:
    if isinstance(event, TicketIssued):
        tickets[event.ticket_id] = TicketFact(
            id=event.ticket_id,
            number=event.number,
            group=event.group,
            item=event.item,
            priority=event.priority.value,
            channel=event.channel,
            arrived=t,
            slot=seconds(event.appointment_slot) if event.appointment_slot else None,
            quoted_ahead=event.quoted_ahead,
            quoted_minutes=event.quoted_minutes,
        )
        return
    if isinstance(event, CounterRetired):
        current, parked = before  # type: ignore[misc]
        for ticket_id in (current, *parked):
            fact = tickets.get(ticket_id) if ticket_id else None
            visit = _open_visit(fact) if fact else None
            if visit is not None:
                visit.outcome, visit.ended = "released", t
        return
    if isinstance(event, CounterClosed | CounterDefined | CounterReconfigured):
        return
    ticket_id = getattr(event, "ticket_id", None)
    fact = tickets.get(ticket_id) if ticket_id else None
    if fact is None:
        return
    if isinstance(event, TicketCalled):
        counter = queue.counters[event.counter]
        fact.visits.append(Visit(event.counter, counter.spec.kind.value, counter.staff or "", t))
        if fact.first_called is None:
            fact.first_called = t
    elif isinstance(event, TicketRecalled):
        if visit := _open_visit(fact):
            visit.recalls = event.recalls
    elif isinstance(event, ServiceStarted):
        if (visit := _open_visit(fact)) and visit.started is None:
            visit.started = t
    elif isinstance(event, TicketSuspended):
        pass  # the visit stays open; the time away is counted on resuming
    elif isinstance(event, TicketResumed):
        if visit := _open_visit(fact):
            visit.suspended = queue.tickets[fact.id].suspended_seconds
            visit.started = visit.started or t
    elif isinstance(event, ServiceCompleted):
        if visit := _open_visit(fact):
            visit.outcome, visit.ended = "completed", t
        if event.counter in counters:
            counters[event.counter].day.served += 1
        _end_ticket(fact, "served", t)
    elif isinstance(event, TicketMissed):
        if visit := _open_visit(fact):
            visit.outcome, visit.ended = "no_show", t
        _end_ticket(fact, "no_show", t)
    elif isinstance(event, TicketReinstated):
        fact.reinstated += 1
        fact.outcome, fact.ended = "waiting", None
    elif isinstance(event, TicketMoved):  # 改派 while waiting: counted under what he came for
        fact.item = event.item
    elif isinstance(event, TicketTransferred):
        if visit := _open_visit(fact):
            visit.outcome, visit.ended = "transferred", t
        fact.transfers += 1
    elif isinstance(event, TicketCancelled):
        if visit := _open_visit(fact):  # cancelled while suspended at a counter
            visit.outcome, visit.ended = "cancelled", t
        _end_ticket(fact, "cancelled", t)
