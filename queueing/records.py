"""The core's live state, record by record, and its snapshot form.

These are mutable Structs owned by ``HallQueue``: only its ``apply`` changes them. A
``HallSnapshot`` is the whole state at one sequence number, so a restart replays only
the events after the latest snapshot.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from queueing.commands import Priority
from queueing.events import OrderKey
from queueing.kinds import CounterSpec
from queueing.lifecycle import CounterState, TicketState

__all__ = ["CounterRecord", "HallSnapshot", "TicketRecord"]


class TicketRecord(msgspec.Struct, kw_only=True):
    id: str
    number: str
    group: str
    seq: int
    item: str
    priority: Priority
    key: OrderKey  # its place in its line
    issued_at: dt.datetime
    state: TicketState = TicketState.WAITING
    counter: int | None = None  # the counter holding it (called, serving, suspended) or that missed it
    to_counter: int | None = None  # transferred to this counter by name
    recalls: int = 0
    called_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    missed_at: dt.datetime | None = None
    suspended_at: dt.datetime | None = None
    suspended_seconds: float = 0.0  # time away while suspended, not service time
    ended_at: dt.datetime | None = None
    appointment_slot: dt.datetime | None = None
    idempotency_key: str | None = None
    channel: str = "kiosk"
    transfers: int = 0
    transferred_from: int | None = None  # the counter of its latest transfer, with its note
    transfer_note: str = ""
    reinstated: bool = False  # a no-show put back in line (过号重排)


class CounterRecord(msgspec.Struct, kw_only=True):
    spec: CounterSpec  # what it is now (the hall file's, or a manager's change)
    baseline: CounterSpec  # what the hall file last said
    state: CounterState = CounterState.CLOSED
    state_since: dt.datetime | None = None
    pause_reason: str = ""
    pause_back_at: dt.datetime | None = None  # when the clerk said he would be back
    staff: str | None = None
    staff_name: str = ""
    current: str | None = None  # the ticket called or being served
    parked: list[str] = msgspec.field(default_factory=list)  # suspended tickets (挂起)
    alerted_since: dt.datetime | None = None  # 空岗: an empty-post alert stands since then
    alerted_b: str = ""  # and whom it asked to cover the post
    alerted_a: str = ""
    served: int = 0  # services completed here today
    visit_ended_at: dt.datetime | None = None  # its last citizen left (办结, 过号, transfer): the gap to the next call

    @property
    def number(self) -> int:
        return self.spec.number


class HallSnapshot(msgspec.Struct, kw_only=True):
    hall: str
    seq: int
    day: dt.date | None
    tickets: list[TicketRecord]
    counters: list[CounterRecord]
    group_seq: dict[str, int]
    service_seconds: dict[str, float]
    # For the estimates: how long a ticket holds its counter, per item (from the call to the
    # citizen leaving: walk, recalls, a no-show's wait, the service), and the gap to the next
    # call. No default: a snapshot from before it is unreadable, and the record is replayed.
    visit_seconds: dict[str, float]
    call_gap_seconds: float | None = None
    pause_seconds: float | None = None
    came_new: list[int] = msgspec.field(default_factory=lambda: [0, 0, 0])  # today, per class
    came_back: list[int] = msgspec.field(default_factory=lambda: [0, 0, 0])  # back in line
    first_issued_at: dt.datetime | None = None
    staffed_last_day: list[int] = msgspec.field(default_factory=list)
