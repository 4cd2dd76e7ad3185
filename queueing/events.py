"""Events: what happened in a hall, in order. The event record is the source of truth.

Every event carries the decisions that were made (the number given, the place in the
line), so replaying the record rebuilds the live state exactly even if the hall's
rules changed since. Events are msgspec Structs tagged with ``kind``; the store keeps
them as JSON next to the columns statistics need (hall, sequence, time, ticket,
counter, actor).
"""

from __future__ import annotations

import datetime as dt

import msgspec

from queueing.commands import Priority
from queueing.kinds import CounterSpec

__all__ = [
    "Announced",
    "CounterClosed",
    "CounterDefined",
    "CounterOpened",
    "CounterPaused",
    "CounterReconfigured",
    "CounterRetired",
    "DayStarted",
    "Event",
    "OrderKey",
    "PostAlerted",
    "Recorded",
    "ServiceCompleted",
    "ServiceStarted",
    "StaffSignedIn",
    "StaffSignedOut",
    "TicketCalled",
    "TicketCancelled",
    "TicketIssued",
    "TicketMissed",
    "TicketMoved",
    "TicketRecalled",
    "TicketReinstated",
    "TicketResumed",
    "TicketSuspended",
    "TicketTransferred",
    "decode_event",
    "encode_event",
]

# A place in a line: (microseconds since the epoch, tie-breaker, …); compared as tuples.
# The first element is also the time the ticket counts as waiting since (for fairness).
OrderKey = tuple[int, ...]


class _Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind", omit_defaults=True):
    at: dt.datetime
    actor: str | None = None


class DayStarted(_Event, tag="day_started"):
    day: dt.date
    expired: tuple[str, ...] = ()  # tickets still open from the previous day
    expired_at: dt.datetime | None = None  # when that day ended (midnight in the hall's zone)


class TicketIssued(_Event, tag="ticket_issued"):
    ticket_id: str
    number: str
    group: str
    seq: int
    item: str
    priority: Priority
    key: OrderKey
    appointment_slot: dt.datetime | None = None
    idempotency_key: str | None = None
    channel: str = "kiosk"
    # What the ticket was told at issue: people ahead and the estimated wait (None: no counter
    # could serve it then, or a record from before estimates were kept).
    quoted_ahead: int | None = None
    quoted_minutes: int | None = None


class TicketCalled(_Event, tag="ticket_called"):
    ticket_id: str
    counter: int
    chosen: bool = False  # 指定叫号: the clerk chose this ticket, out of the calling order


class TicketRecalled(_Event, tag="ticket_recalled"):
    ticket_id: str
    counter: int
    recalls: int


class ServiceStarted(_Event, tag="service_started"):
    ticket_id: str
    counter: int


class ServiceCompleted(_Event, tag="service_completed"):
    """办结. ``duration_seconds`` and ``item_seconds`` are None only in records of the first
    release, which did not keep them (the core works them out when it replays such a record)."""

    ticket_id: str
    counter: int
    duration_seconds: float | None = None  # at the counter, from call or start, without time suspended
    item_seconds: float | None = None  # the item's recent service time after this one (for estimates)
    staff: str = ""  # who was signed in at the counter: the one a rating of the service rates


class TicketMissed(_Event, tag="ticket_missed"):
    """过号: called, did not come."""

    ticket_id: str
    counter: int


class TicketReinstated(_Event, tag="ticket_reinstated"):
    ticket_id: str
    key: OrderKey


class TicketTransferred(_Event, tag="ticket_transferred"):
    ticket_id: str
    counter: int  # where it was
    item: str  # the item it now waits for
    to_counter: int | None = None  # only this counter may call it
    note: str = ""  # for the clerk who takes it


class TicketMoved(_Event, tag="ticket_moved"):
    """改派: a waiting ticket now waits for ``item`` (or for ``to_counter`` alone), in its place."""

    ticket_id: str
    item: str
    to_counter: int | None = None
    note: str = ""


class TicketSuspended(_Event, tag="ticket_suspended"):
    ticket_id: str
    counter: int


class TicketResumed(_Event, tag="ticket_resumed"):
    ticket_id: str
    counter: int


class TicketCancelled(_Event, tag="ticket_cancelled"):
    ticket_id: str


class CounterOpened(_Event, tag="counter_opened"):
    counter: int


class CounterPaused(_Event, tag="counter_paused"):
    counter: int
    reason: str = ""
    back_at: dt.datetime | None = None  # when the clerk said he would be back


class CounterClosed(_Event, tag="counter_closed"):
    counter: int
    released: tuple[str, ...] = ()  # tickets transferred to it by name: back in their item's line


class StaffSignedIn(_Event, tag="staff_signed_in"):
    counter: int
    staff: str
    staff_name: str = ""


class StaffSignedOut(_Event, tag="staff_signed_out"):
    counter: int
    staff: str


class Announced(_Event, tag="announced"):
    """Said to the hall; it changes nothing in the queue, but it is part of the record."""

    text: str
    text_en: str = ""


class PostAlerted(_Event, tag="post_alerted"):
    """空岗: nobody serves the counter while ``waiting`` tickets could be served there; its B
    person and the managers are told. Cleared when the counter opens again."""

    counter: int
    a: str = ""
    b: str = ""
    waiting: int = 0


class CounterReconfigured(_Event, tag="counter_reconfigured"):
    counter: int
    spec: CounterSpec


class CounterDefined(_Event, tag="counter_defined"):
    counter: int
    spec: CounterSpec


class CounterRetired(_Event, tag="counter_retired"):
    """The hall file no longer has this counter; what it held waits again, in its old place."""

    counter: int
    released: tuple[str, ...] = ()


Event = (
    DayStarted
    | TicketIssued
    | TicketCalled
    | TicketRecalled
    | ServiceStarted
    | ServiceCompleted
    | TicketMissed
    | TicketReinstated
    | TicketTransferred
    | TicketMoved
    | TicketSuspended
    | TicketResumed
    | TicketCancelled
    | CounterOpened
    | CounterPaused
    | CounterClosed
    | StaffSignedIn
    | StaffSignedOut
    | Announced
    | PostAlerted
    | CounterReconfigured
    | CounterDefined
    | CounterRetired
)


class Recorded(msgspec.Struct, frozen=True):
    """An event with its place in the hall's record."""

    seq: int
    event: Event


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Event)


def encode_event(event: Event) -> bytes:
    return _encoder.encode(event)


def decode_event(data: bytes | str) -> Event:
    return _decoder.decode(data)
