"""What the core shows the world: read-only views, which are also the API's wire types."""

from __future__ import annotations

import datetime as dt

import msgspec

from counters.kinds import CounterKind
from queueing.commands import Priority
from queueing.lifecycle import CounterState, TicketState

__all__ = [
    "CounterView",
    "CurrentTicket",
    "Estimate",
    "GroupWaiting",
    "ItemWaiting",
    "QueueView",
    "TicketView",
]


class Estimate(msgspec.Struct, frozen=True):
    people_ahead: int
    wait_minutes: int


class TicketView(msgspec.Struct, kw_only=True):
    """A ticket as its holder, the kiosk and the counter see it.

    ``people_ahead`` and ``estimated_wait_minutes`` are None once it no longer waits, and
    also while no counter of the hall can serve it."""

    id: str
    number: str
    item: str
    item_name: str
    item_name_en: str
    group: str
    priority: Priority
    state: TicketState
    people_ahead: int | None
    estimated_wait_minutes: int | None
    issued_at: dt.datetime
    counter: int | None = None
    counter_name: str | None = None
    called_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    missed_at: dt.datetime | None = None
    recalls: int = 0
    transferred_to_counter: int | None = None
    appointment_slot: dt.datetime | None = None


class GroupWaiting(msgspec.Struct, frozen=True):
    prefix: str
    name: str
    name_en: str
    waiting: int


class ItemWaiting(msgspec.Struct, frozen=True):
    code: str
    name: str
    name_en: str
    domain: str
    group: str
    waiting: int


class CurrentTicket(msgspec.Struct, frozen=True):
    """A ticket at a counter, as public screens may show it: its number, never its id (the id
    is the capability printed on the slip)."""

    number: str
    item: str
    item_name: str
    state: TicketState
    called_at: dt.datetime | None
    recalls: int


class CounterView(msgspec.Struct, kw_only=True):
    number: int
    name: str
    kind: CounterKind
    kind_name: str
    domains: tuple[str, ...]
    items: tuple[str, ...]  # what it serves now
    profile: str
    state: CounterState
    state_since: dt.datetime | None
    pause_reason: str
    staff: str | None
    staff_name: str
    current: CurrentTicket | None
    suspended: list[CurrentTicket]
    waiting: int  # tickets this counter could call now


class QueueView(msgspec.Struct, kw_only=True):
    hall: str
    day: dt.date | None
    seq: int
    at: dt.datetime
    waiting: int
    groups: list[GroupWaiting]
    items: list[ItemWaiting]
    counters: list[CounterView]
