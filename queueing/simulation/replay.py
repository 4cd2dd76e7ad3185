"""A recorded hall day, as the simulator's input: its citizens, its counters, its waits.

``recorded_day`` walks one day's events (the record, as ``queueing.store`` reads it) and
keeps what the day was made of, not what the clerks decided:

- each **citizen**: when they took their ticket (an appointment: checked in), the item and
  the priority class; how long each visit to a counter took (from the call to done:
  walking over, the service, recalls of a citizen who did not come); whether they were a
  no-show, were transferred on (一票到底: to which item, and the second visit's length), or
  left while waiting (cancelled at the desk: when);
- the **counters**: as they stood when the day began, and every opening, pause, closing
  and change of kind during the day, as ``Control``s;
- the **waits** the day had (call − arrival), to compare a replay with.

Run through ``Engine`` with its own counters, the day's waits come back wherever the
clerks called as soon as they were free; where a clerk let a ticket wait while free, the
replay is quicker by that slack (``idle_minutes``: counter-minutes idle while a ticket the
counter could serve waited). Run with a manager's other counters, it answers "yesterday
with one more counter from 10 to 12".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import msgspec

from queueing.events import (
    CounterClosed,
    CounterDefined,
    CounterOpened,
    CounterPaused,
    CounterReconfigured,
    CounterRetired,
    Recorded,
    ServiceCompleted,
    TicketCalled,
    TicketCancelled,
    TicketIssued,
    TicketMissed,
    TicketMoved,
    TicketTransferred,
)
from queueing.kinds import CounterSpec
from queueing.simulation.engine import Control
from queueing.simulation.sampling import Citizen

__all__ = ["RecordedDay", "recorded_day"]


class RecordedDay(msgspec.Struct, kw_only=True):
    day: dt.date
    counters: list[CounterSpec]  # every counter the day had (as it began, or when defined)
    citizens: list[Citizen]
    controls: list[Control]
    waits: dict[str, float]  # ticket number -> minutes from arrival to the first call
    numbers: list[str]  # each citizen's ticket number
    first: float  # the first arrival, minutes after midnight
    last: float  # the last arrival


class _Visit:
    __slots__ = ("called", "ended", "outcome", "to")

    def __init__(self, called: float) -> None:
        self.called, self.ended, self.outcome, self.to = called, None, "", None


class _Ticket:
    __slots__ = ("at", "cancelled", "first_call", "item", "number", "rank", "slot", "visits")

    def __init__(self, at: float, item: str, rank: int, number: str) -> None:
        self.at, self.item, self.rank, self.number = at, item, rank, number
        self.slot: float | None = None
        self.visits: list[_Visit] = []
        self.first_call: float | None = None
        self.cancelled: float | None = None


def _citizen(ticket: _Ticket) -> Citizen:
    """What the ticket's citizen brought to the day: a no-show (never served: the counter
    time until 过号), or a service, then perhaps a transfer and a second service."""
    visits = [v for v in ticket.visits if v.ended is not None]
    served = [v for v in visits if v.outcome in ("ServiceCompleted", "TicketTransferred")]
    leaves = ticket.cancelled if ticket.first_call is None else None
    common = {"slot": ticket.slot, "leaves": leaves}
    if not served:
        missed = visits[0] if visits else None
        minutes = (missed.ended - missed.called) if missed is not None and missed.ended is not None else 0.0
        return Citizen(ticket.at, ticket.item, ticket.rank, missed is not None, minutes, **common)
    first = served[0]
    assert first.ended is not None
    if first.to is None or first.to == ticket.item:  # sent to a named counter: one long service
        minutes = sum(v.ended - v.called for v in served if v.ended is not None)
        return Citizen(ticket.at, ticket.item, ticket.rank, False, minutes, **common)
    after = served[1] if len(served) > 1 else None
    again = (after.ended - after.called) if after is not None and after.ended is not None else 0.0
    return Citizen(ticket.at, ticket.item, ticket.rank, False, first.ended - first.called, first.to, again, **common)


def recorded_day(
    day: dt.date, zone: dt.tzinfo, specs: dict[int, CounterSpec], events: Iterable[Recorded]
) -> RecordedDay:
    """The day ``day`` (its events in order; ``specs``: the counters as the day began)."""
    midnight = dt.datetime.combine(day, dt.time(), zone)

    def minute(at: dt.datetime) -> float:
        return (at - midnight) / dt.timedelta(minutes=1)

    counters = dict(specs)
    controls: list[Control] = []
    tickets: dict[str, _Ticket] = {}
    for recorded in events:
        e = recorded.event
        t = minute(e.at)
        if isinstance(e, TicketIssued):
            tickets[e.ticket_id] = _Ticket(t, e.item, e.priority.rank, e.number)
            if e.appointment_slot is not None:
                tickets[e.ticket_id].slot = minute(e.appointment_slot)
        elif isinstance(e, TicketCalled) and e.ticket_id in tickets:
            ticket = tickets[e.ticket_id]
            ticket.visits.append(_Visit(t))
            if ticket.first_call is None:
                ticket.first_call = t
        elif isinstance(e, ServiceCompleted | TicketMissed | TicketTransferred) and e.ticket_id in tickets:
            visits = tickets[e.ticket_id].visits
            if visits and visits[-1].ended is None:
                visits[-1].ended = t
                visits[-1].outcome = type(e).__name__
                if isinstance(e, TicketTransferred):
                    visits[-1].to = e.item
        elif isinstance(e, TicketMoved) and e.ticket_id in tickets:  # 改派 while waiting: what he came for
            tickets[e.ticket_id].item = e.item
        elif isinstance(e, TicketCancelled) and e.ticket_id in tickets:
            tickets[e.ticket_id].cancelled = t
        elif isinstance(e, CounterOpened):
            controls.append(Control(t, "open", counter=e.counter))
        elif isinstance(e, CounterPaused | CounterClosed):
            controls.append(Control(t, "close", counter=e.counter))
        elif isinstance(e, CounterReconfigured):
            controls.append(Control(t, "reconfigure", counter=e.counter, spec=e.spec))
        elif isinstance(e, CounterDefined):
            if e.counter in counters:
                controls.append(Control(t, "reconfigure", counter=e.counter, spec=e.spec))
            else:
                counters[e.counter] = e.spec
        elif isinstance(e, CounterRetired):
            controls.append(Control(t, "close", counter=e.counter))
    citizens, numbers, waits = [], [], {}
    for ticket in sorted(tickets.values(), key=lambda t: t.at):
        citizens.append(_citizen(ticket))
        numbers.append(ticket.number)
        if ticket.first_call is not None:
            waits[ticket.number] = ticket.first_call - ticket.at
    arrivals = [c.at for c in citizens]
    return RecordedDay(
        day=day,
        counters=sorted(counters.values(), key=lambda s: s.number),
        citizens=citizens,
        controls=controls,
        waits=waits,
        numbers=numbers,
        first=min(arrivals, default=0.0),
        last=max(arrivals, default=0.0),
    )
