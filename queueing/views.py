"""What the core shows the world: read-only views, which are also the API's wire types."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import msgspec

from queueing.catalogue import ServiceItem
from queueing.commands import Priority
from queueing.kinds import CounterKind
from queueing.lifecycle import CounterState, TicketState

__all__ = [
    "CounterView",
    "CurrentTicket",
    "DeskCounter",
    "DeskTicket",
    "DeskView",
    "Estimate",
    "GroupWaiting",
    "ItemWaiting",
    "QueueView",
    "ReconfigurePreview",
    "TicketStep",
    "TicketView",
    "counter_spans",
    "ticket_step",
    "ticket_view",
    "wait_words",
]


class Estimate(msgspec.Struct, frozen=True):
    """What a waiting citizen is told. ``wait_minutes`` is None while no counter that can
    serve the ticket is open; ``opens_at`` then says when the hall's next opening span
    begins (None: the hall is open but no such counter is now, or nothing opens today). It is
    None too, with no ``opens_at``, when the day's last closing comes before the ticket's turn."""

    people_ahead: int
    wait_minutes: int | None
    opens_at: dt.datetime | None = None
    wait_range: tuple[int, int] | None = None  # the middle half, when wide: what is said (see wait_words)


class TicketView(msgspec.Struct, kw_only=True):
    """A ticket as its holder, the kiosk and the counter see it.

    ``people_ahead`` and ``estimated_wait_minutes`` are None once it no longer waits, and
    also while no counter of the hall can serve it. While none that can is open, the minutes
    are None and ``opens_at`` says when the hall opens (see ``Estimate``). ``counters``: where
    a waiting ticket may be called (the open or paused counters that serve it, else all)."""

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
    opens_at: dt.datetime | None = None
    counters: tuple[int, ...] = ()
    estimated_wait_range: tuple[int, int] | None = None  # said instead of the minutes when wide


class _Ticket(Protocol):
    """What a ticket view is made of: a live ticket (``TicketRecord``) or a stored one
    (``store.TicketFacts``) both have it."""

    id: str
    number: str
    item: str
    group: str
    priority: Priority
    state: TicketState
    issued_at: dt.datetime
    counter: int | None
    to_counter: int | None
    called_at: dt.datetime | None
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    missed_at: dt.datetime | None
    recalls: int
    appointment_slot: dt.datetime | None


def ticket_view(
    ticket: _Ticket,
    item: ServiceItem | None,
    counter_name: str | None,
    estimate: Estimate | None = None,
    counters: tuple[int, ...] = (),
) -> TicketView:
    """The one way a ticket becomes a ``TicketView``, live or from the ticket table."""
    return TicketView(
        id=ticket.id,
        number=ticket.number,
        item=ticket.item,
        item_name=item.name if item else ticket.item,
        item_name_en=item.name_en if item else "",
        group=ticket.group,
        priority=ticket.priority,
        state=ticket.state,
        people_ahead=estimate.people_ahead if estimate else None,
        estimated_wait_minutes=estimate.wait_minutes if estimate else None,
        issued_at=ticket.issued_at,
        counter=ticket.counter,
        counter_name=counter_name,
        called_at=ticket.called_at,
        started_at=ticket.started_at,
        ended_at=ticket.ended_at,
        missed_at=ticket.missed_at,
        recalls=ticket.recalls,
        transferred_to_counter=ticket.to_counter,
        appointment_slot=ticket.appointment_slot,
        opens_at=estimate.opens_at if estimate else None,
        counters=counters,
        estimated_wait_range=estimate.wait_range if estimate else None,
    )


def counter_spans(numbers: tuple[int, ...]) -> list[str]:
    """Counter numbers as runs: (1, 2, 3, 5, 8, 9) → ["1-3", "5", "8", "9"] (two in a row stay two;
    an ASCII hyphen: every printer's character set has it)."""
    spans: list[str] = []
    ordered = sorted(set(numbers))
    start = 0
    for i in range(1, len(ordered) + 1):
        if i == len(ordered) or ordered[i] != ordered[i - 1] + 1:
            run = ordered[start:i]
            spans += [f"{run[0]}-{run[-1]}"] if len(run) > 2 else [str(n) for n in run]
            start = i
    return spans


class TicketStep(msgspec.Struct, frozen=True, kw_only=True):
    """One step of a ticket's history, as the service desk reads it (staff only)."""

    seq: int
    at: dt.datetime
    kind: str  # the event's tag, e.g. "ticket_called"
    label: str  # 取号, 叫号, 指定叫号, 重呼, 开始办理, 办结, 过号, 恢复排队, 转移, 改派, 挂起, 恢复办理, 取消
    counter: int | None = None
    actor: str | None = None
    note: str = ""  # a transfer's note, or where it went


_STEP_LABELS = {
    "ticket_issued": "取号", "ticket_called": "叫号", "ticket_recalled": "重呼", "service_started": "开始办理",
    "service_completed": "办结", "ticket_missed": "过号", "ticket_reinstated": "恢复排队",
    "ticket_transferred": "转移", "ticket_moved": "改派", "ticket_suspended": "挂起", "ticket_resumed": "恢复办理",
    "ticket_cancelled": "取消",
}  # fmt: skip


def ticket_step(
    seq: int,
    at: dt.datetime,
    kind: str,
    counter: int | None,
    actor: str | None,
    event: object,
    item_names: dict[str, str] | None = None,
) -> TicketStep:
    """A recorded event of one ticket as a step of its history (items by their names)."""
    label = _STEP_LABELS.get(kind, kind)
    note = ""
    if kind == "ticket_called" and getattr(event, "chosen", False):
        label = "指定叫号"
    if kind in ("ticket_transferred", "ticket_moved"):
        where = getattr(event, "to_counter", None)
        item = getattr(event, "item", "")
        moved = f"转为{(item_names or {}).get(item, item)}" if kind == "ticket_moved" or not where else ""
        moved = "，".join(x for x in (moved, f"转到{where}号窗口" if where else "") if x)
        note = "；".join(x for x in (moved, getattr(event, "note", "")) if x)
    return TicketStep(seq=seq, at=at, kind=kind, label=label, counter=counter, actor=actor, note=note)


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
    # what a walk-in taken now would be told (see ``Estimate``): shown on the kiosk's button
    wait_minutes: int | None = None
    opens_at: dt.datetime | None = None
    serving: bool = True  # False: no counter of the hall serves it at all
    wait_range: tuple[int, int] | None = None


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
    pause_back_at: dt.datetime | None = None  # paused: when the clerk said he would be back


class DeskTicket(msgspec.Struct, frozen=True, kw_only=True):
    """A ticket as the clerk at a counter sees it (staff only: the transfer note is for them;
    no ticket id, which is the slip's credential)."""

    number: str
    item: str
    item_name: str
    priority: Priority  # 绿色通道, 预约 or walk-in: the class a clerk may have to fetch or check
    state: TicketState
    issued_at: dt.datetime
    waiting_since: dt.datetime  # its place in line: the issue, or an appointment's slot
    called_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    appointment_slot: dt.datetime | None = None
    recalls: int = 0
    transferred_from: int | None = None  # 一票到底: from which counter, and why
    transfer_note: str = ""
    reinstated: bool = False  # a no-show put back in line
    overdue: bool = False  # waited past the fairness limit: called before all others


class DeskCounter(msgspec.Struct, frozen=True):
    """Another counter, for the transfer dialog: whether someone there can take a ticket now."""

    number: int
    name: str
    state: CounterState
    items: tuple[str, ...]


class DeskView(msgspec.Struct, kw_only=True):
    """The clerk's page (虚拟叫号器): the counter, whom it serves, and whom it would call next,
    in the order it would call them."""

    counter: CounterView
    current: DeskTicket | None
    next_up: list[DeskTicket]  # the first ``limit`` this counter would call, in that order
    waiting: int  # all it could call now
    counters: list[DeskCounter]  # every other counter, for a transfer


class QueueView(msgspec.Struct, kw_only=True):
    hall: str
    day: dt.date | None
    seq: int
    at: dt.datetime
    waiting: int
    groups: list[GroupWaiting]
    items: list[ItemWaiting]
    counters: list[CounterView]


class ReconfigurePreview(msgspec.Struct, kw_only=True):
    """What a manager's change of a counter would do (nothing changed yet)."""

    counter: int
    allowed: bool
    refusal: str = ""  # why the core would refuse it
    changed: bool = False  # False: it is the counter as it is
    serves: tuple[str, ...] = ()  # the items it would serve
    gains: tuple[str, ...] = ()
    loses: tuple[str, ...] = ()
    could_call: tuple[str, ...] = ()  # the numbers it could call then, in its calling order (the first 50)
    waiting: int = 0  # how many waiting tickets it could call then


def wait_words(minutes: int, wait_range: tuple[int, int] | None = None) -> tuple[str, str]:
    """The wait in words, Chinese and English: the range when it is wide, else the minutes
    (the slip and the pages; ``Hall.waitWords`` in hall.js says the same in the browser)."""
    if wait_range is not None:
        low, high = wait_range
        return f"约 {low}–{high} 分钟", f"about {low}–{high} min"
    return f"约 {minutes} 分钟", f"about {minutes} min"
