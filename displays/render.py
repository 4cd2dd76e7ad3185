"""Hall events into display messages: one message per event, rendered from the state right
after the command that caused it (pure functions of the core's state, no I/O).

A ``Frame`` is a message encoded once for every device: the hall channel sends ``text``;
a counter's channel sends ``text`` if the message is about that counter (or about
everyone) and the bare ``tick`` otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import NamedTuple

import msgspec

from displays.messages import (
    Alert,
    Announcement,
    Call,
    CallItem,
    CompletedService,
    CounterBoard,
    CounterChanged,
    GroupCount,
    HallHeader,
    Message,
    PostAlert,
    QueueCounts,
    Recall,
    Reset,
    Snapshot,
    Tick,
    Voice,
)
from displays.settings import DisplayHall
from displays.voice import announcement_texts, call_texts
from queueing.events import (
    Announced,
    CounterClosed,
    CounterDefined,
    CounterOpened,
    CounterPaused,
    CounterReconfigured,
    CounterRetired,
    DayStarted,
    Event,
    PostAlerted,
    Recorded,
    ServiceCompleted,
    ServiceStarted,
    StaffSignedIn,
    StaffSignedOut,
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
from queueing.lifecycle import CounterState
from queueing.policy import HallRules
from queueing.records import CounterRecord, TicketRecord

__all__ = ["Frame", "board", "frames_for", "message_for", "snapshot", "voice_path"]

_encoder = msgspec.json.Encoder()


class Frame(NamedTuple):
    seq: int
    text: str  # the message, for the hall channel
    tick: str  # what the other counters' channels get
    counter: int | None  # the counter the message is about
    everyone: bool  # every channel gets the whole message (a reset)


def header(hall: DisplayHall) -> HallHeader:
    info, display = hall.info, hall.display
    return HallHeader(
        id=info.id,
        name=info.name,
        name_en=info.name_en,
        timezone=info.timezone,
        notice=info.notice,
        english=display.english,
        recent_calls=display.recent_calls,
        flash_seconds=display.flash_seconds,
    )


def state_text(counter: CounterRecord, rules: HallRules) -> str:
    """暂停服务, with the clerk's reason and return (「暂停服务（午休，约13:30回来）」). Only a
    reason from the hall's list is shown: free text typed elsewhere and the system's own
    reasons (``signed_out``) are not for the public."""
    if counter.state is not CounterState.PAUSED or counter.pause_reason not in rules.calling.pause_reasons:
        return counter.state.label_zh
    back = counter.pause_back_at
    when = f"，约{back.astimezone(rules.zone):%H:%M}回来" if back else ""
    return f"{counter.state.label_zh}（{counter.pause_reason}{when}）"


def board(queue: HallQueue, number: int) -> CounterBoard:
    counter = queue.counters[number]
    current = queue.tickets[counter.current] if counter.current else None
    item = queue.rules.item_by_code.get(current.item) if current else None
    return CounterBoard(
        number=number,
        name=counter.spec.name,
        kind=counter.spec.kind,
        state=counter.state,
        state_text=state_text(counter, queue.rules),
        current=current.number if current else None,
        current_item=(item.name if item else current.item) if current else None,
        staff_name=counter.staff_name,
        staff=counter.staff or "",
    )


def groups(queue: HallQueue) -> tuple[list[GroupCount], int]:
    counts = [GroupCount(g.prefix, g.name, g.name_en, g.waiting) for g in queue.waiting_by_group()]
    return counts, len(queue.lines)


def call_item(queue: HallQueue, ticket: TicketRecord, counter: int) -> CallItem:
    item = queue.rules.item_by_code.get(ticket.item)
    return CallItem(
        number=ticket.number,
        counter=counter,
        counter_name=queue.counters[counter].spec.name if counter in queue.counters else f"{counter}号窗口",
        item_name=item.name if item else ticket.item,
        at=ticket.called_at or ticket.issued_at,
        recalls=ticket.recalls,
    )


def voice_path(hall: str, kind: str, *parts: object) -> str:
    """Where the server serves an announcement's WAV (``displays/api.py``)."""
    return "/".join([f"/halls/{hall}/voice/{kind}", *map(str, parts)])


def snapshot(queue: HallQueue, hall: DisplayHall, at: dt.datetime, counter: int | None = None) -> Snapshot:
    """Everything a hall screen (or, with ``counter``, one counter's board) shows now."""
    numbers = sorted(queue.counters) if counter is None else [counter]
    # the calls still at their counters (being called or served): a finished one is not "now calling"
    called = sorted(
        (queue.tickets[c.current] for n, c in queue.counters.items() if c.current is not None and n in numbers),
        key=lambda t: t.called_at or at,
        reverse=True,
    )
    counts, waiting = groups(queue)
    return Snapshot(
        seq=queue.seq,
        at=at,
        day=queue.day,
        hall=header(hall),
        counters=[board(queue, n) for n in numbers],
        groups=counts,
        waiting=waiting,
        recent=[call_item(queue, t, t.counter) for t in called[: hall.display.recent_calls]],
        alerts=[
            post_alert(queue, hall, n, c.alerted_a, c.alerted_b, queue.waiting_for(n), c.alerted_since)  # type: ignore[arg-type]
            for n, c in sorted(queue.counters.items())
            if c.alerted_since is not None and n in numbers
        ],
    )


# ---------------------------------------------------------------- one event, one message


def _reset(queue: HallQueue, hall: DisplayHall, seq: int, event: Event) -> Message:
    return Reset(seq=seq)


def _queue_counts(queue: HallQueue, hall: DisplayHall, seq: int, event: Event) -> Message:
    counts, waiting = groups(queue)
    return QueueCounts(seq=seq, groups=counts, waiting=waiting)


def _counter_changed(queue: HallQueue, hall: DisplayHall, seq: int, event: Event) -> Message:
    if event.counter not in queue.counters:  # type: ignore[attr-defined]
        return Reset(seq=seq)
    counts, waiting = groups(queue)
    return CounterChanged(seq=seq, counter=board(queue, event.counter), groups=counts, waiting=waiting)  # type: ignore[attr-defined]


def _service_completed(queue: HallQueue, hall: DisplayHall, seq: int, event: ServiceCompleted) -> Message:
    message = _counter_changed(queue, hall, seq, event)
    ticket = queue.tickets.get(event.ticket_id)
    counter = queue.counters.get(event.counter)
    if not isinstance(message, CounterChanged) or ticket is None or counter is None:
        return message
    item = queue.rules.item_by_code.get(ticket.item)
    completed = CompletedService(
        service=seq,
        number=ticket.number,
        item=ticket.item,
        item_name=item.name if item else ticket.item,
        staff=counter.staff or "",
        staff_name=counter.staff_name,
    )
    return msgspec.structs.replace(message, completed=completed)


def _call_voice(hall: DisplayHall, ticket: TicketRecord, counter: int) -> Voice:
    texts = call_texts(hall.voice, ticket.number, counter)
    return Voice(texts=texts, audio=voice_path(hall.id, "call", ticket.number, counter))


def _called(queue: HallQueue, hall: DisplayHall, seq: int, event: TicketCalled) -> Message:
    ticket = queue.tickets[event.ticket_id]
    counts, waiting = groups(queue)
    return Call(
        seq=seq,
        call=call_item(queue, ticket, event.counter),
        counter=board(queue, event.counter),
        groups=counts,
        waiting=waiting,
        voice=_call_voice(hall, ticket, event.counter),
    )


def _recalled(queue: HallQueue, hall: DisplayHall, seq: int, event: TicketRecalled) -> Message:
    ticket = queue.tickets[event.ticket_id]
    return Recall(
        seq=seq,
        call=call_item(queue, ticket, event.counter),
        counter=board(queue, event.counter),
        voice=_call_voice(hall, ticket, event.counter),
    )


def _announced(queue: HallQueue, hall: DisplayHall, seq: int, event: Announced) -> Message:
    texts = announcement_texts(hall.voice, event.text, event.text_en)
    voice = Voice(texts=texts, audio=voice_path(hall.id, "announcements", seq)) if texts else None
    return Announcement(seq=seq, text=event.text, text_en=event.text_en, voice=voice)


def post_alert(
    queue: HallQueue, hall: DisplayHall, number: int, a: str, b: str, waiting: int, since: dt.datetime
) -> PostAlert:
    """空岗提醒 as pages show it: the post, its A and B person by name, how many wait."""
    names = hall.staff_names
    counter = queue.counters.get(number)
    return PostAlert(
        counter=number,
        counter_name=counter.spec.name if counter else f"{number}号窗口",
        a=a,
        a_name=names.get(a, ""),
        b=b,
        b_name=names.get(b, ""),
        waiting=waiting,
        since=since,
    )


def _post_alerted(queue: HallQueue, hall: DisplayHall, seq: int, event: PostAlerted) -> Message:
    return Alert(seq=seq, alert=post_alert(queue, hall, event.counter, event.a, event.b, event.waiting, event.at))


_RENDER: dict[type, Callable[..., Message]] = {
    DayStarted: _reset,
    CounterDefined: _reset,
    CounterRetired: _reset,
    TicketIssued: _queue_counts,
    TicketReinstated: _queue_counts,
    TicketMoved: _queue_counts,
    TicketCancelled: _queue_counts,
    TicketCalled: _called,
    TicketRecalled: _recalled,
    ServiceStarted: _counter_changed,
    ServiceCompleted: _service_completed,
    TicketMissed: _counter_changed,
    TicketTransferred: _counter_changed,
    TicketSuspended: _counter_changed,
    TicketResumed: _counter_changed,
    CounterOpened: _counter_changed,
    CounterPaused: _counter_changed,
    CounterClosed: _counter_changed,
    StaffSignedIn: _counter_changed,
    StaffSignedOut: _counter_changed,
    CounterReconfigured: _counter_changed,
    Announced: _announced,
    PostAlerted: _post_alerted,
}


def message_for(queue: HallQueue, hall: DisplayHall, recorded: Recorded) -> Message:
    return _RENDER[type(recorded.event)](queue, hall, recorded.seq, recorded.event)


def frames_for(queue: HallQueue, hall: DisplayHall, recorded: list[Recorded]) -> list[Frame]:
    frames = []
    for entry in recorded:
        message = message_for(queue, hall, entry)
        about = getattr(message, "counter", None)
        if isinstance(message, Alert):
            about = board(queue, message.alert.counter) if message.alert.counter in queue.counters else None
        frames.append(
            Frame(
                seq=entry.seq,
                text=_encoder.encode(message).decode(),
                tick=_encoder.encode(Tick(seq=entry.seq)).decode(),
                counter=about.number if isinstance(about, CounterBoard) else None,
                everyone=isinstance(message, Reset),
            )
        )
    return frames
