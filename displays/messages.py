"""What travels on the device channel: msgspec Structs tagged by ``type``.

Every message of a hall carries ``seq``, the sequence number of the hall event it comes
from: the database numbers events without gaps, so the sequence is the same in every
server process and a device can tell when it missed something. A device keeps the last
``seq`` it applied; a message with the next one is applied, an older one is ignored, a
later one means a gap: the device asks for a fresh ``snapshot`` (``{"type": "resync"}``).

A counter's channel carries the same sequence; what does not concern that counter comes as
a bare ``tick``, so the sequence stays whole there too.

Server to device: snapshot, call, recall, counter, queue, announcement, reset, tick,
heartbeat. Device to server: resync, pong.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from queueing.kinds import CounterKind
from queueing.lifecycle import CounterState

__all__ = [
    "Announcement",
    "Call",
    "CallItem",
    "CounterBoard",
    "CounterChanged",
    "DeviceMessage",
    "DeviceStatus",
    "GroupCount",
    "HallHeader",
    "Heartbeat",
    "Message",
    "Pong",
    "QueueCounts",
    "Recall",
    "Reset",
    "Resync",
    "Snapshot",
    "Tick",
    "Voice",
]


class HallHeader(msgspec.Struct, frozen=True):
    id: str
    name: str
    name_en: str
    timezone: str
    notice: str
    english: bool  # show English beside the Chinese
    recent_calls: int  # how many calls the hall screen lists
    flash_seconds: int  # how long the newest call flashes


class CounterBoard(msgspec.Struct, frozen=True):
    """What a counter's LED board shows, and the hall screen's tile for that counter."""

    number: int
    name: str
    kind: CounterKind
    state: CounterState
    state_text: str  # 服务中 / 暂停服务 / 已关闭
    current: str | None  # the ticket number at the counter
    current_item: str | None
    staff_name: str
    staff: str = ""  # the signed-in staff member's username (the evaluation pad shows their number)


class GroupCount(msgspec.Struct, frozen=True):
    prefix: str
    name: str
    name_en: str
    waiting: int


class CallItem(msgspec.Struct, frozen=True):
    number: str
    counter: int
    counter_name: str
    item_name: str
    at: dt.datetime
    recalls: int = 0


class Voice(msgspec.Struct, frozen=True):
    """An announcement to play: one WAV (chime, then every language, repeated)."""

    texts: dict[str, str]  # language -> what is said
    audio: str  # the WAV's path on this server


class PostAlert(msgspec.Struct, frozen=True):
    """空岗提醒: nobody serves a counter post while tickets wait that it could serve."""

    counter: int
    counter_name: str
    a: str  # the post's A person (username) and name
    a_name: str
    b: str  # its B person, who is asked to cover it
    b_name: str
    waiting: int
    since: dt.datetime


class _Message(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    seq: int


class Snapshot(_Message, tag="snapshot"):
    at: dt.datetime
    day: dt.date | None
    hall: HallHeader
    counters: list[CounterBoard]
    groups: list[GroupCount]
    waiting: int
    recent: list[CallItem]  # newest first
    alerts: list[PostAlert] = msgspec.field(default_factory=list)  # empty posts standing now (空岗)


class Call(_Message, tag="call"):
    call: CallItem
    counter: CounterBoard
    groups: list[GroupCount]
    waiting: int
    voice: Voice | None


class Recall(_Message, tag="recall"):
    call: CallItem
    counter: CounterBoard
    voice: Voice | None


class CompletedService(msgspec.Struct, frozen=True):
    """A service just completed at a counter: what its evaluation pad asks to rate (好差评).
    No ticket id: every device hears it, and the id is the slip's secret (its web rating)."""

    service: int  # the completion's sequence number: one rating per service
    number: str
    item: str
    item_name: str
    staff: str  # username
    staff_name: str


class CounterChanged(_Message, tag="counter"):
    counter: CounterBoard
    groups: list[GroupCount]
    waiting: int
    completed: CompletedService | None = None  # when the change is a completed service


class QueueCounts(_Message, tag="queue"):
    groups: list[GroupCount]
    waiting: int


class Announcement(_Message, tag="announcement"):
    text: str
    text_en: str
    voice: Voice | None


class Alert(_Message, tag="alert"):
    """For managers' pages and the B person's counter page (the hall channel, and the
    counter's own channel)."""

    alert: PostAlert


class Reset(_Message, tag="reset"):
    """Everything changed (a new day, counters redefined): ask for a snapshot."""


class Tick(_Message, tag="tick"):
    """Something that does not concern this channel happened."""


class Heartbeat(_Message, tag="heartbeat"):
    """Sent every heartbeat period, busy or quiet. ``seq`` is the newest of the hall's record
    (every server process's commits, read from the database), so a device that missed a
    message notices it even if nothing else happens: it shows that it may be behind, and
    resyncs. ``relayed``: false while this server cannot hear the other server processes
    (Redis away): until a heartbeat says true again, their calls reach the device only
    through these heartbeats' resyncs, and the device shows that it may be behind."""

    at: dt.datetime
    relayed: bool = True


Message = Snapshot | Call | Recall | CounterChanged | QueueCounts | Announcement | Alert | Reset | Tick | Heartbeat


class Resync(msgspec.Struct, frozen=True, tag_field="type", tag="resync"):
    """Device: send me a snapshot."""


class Pong(msgspec.Struct, frozen=True, tag_field="type", tag="pong"):
    """Device: I am here (the answer to a heartbeat)."""


class DeviceStatus(msgspec.Struct, frozen=True, tag_field="type", tag="status"):
    """Device: how it is doing. ``audio``: ``ok`` (it speaks), ``blocked`` (the browser waits
    for a tap before it may play sound: set the screen up as the README says) or ``failed``
    (a voice file could not be played)."""

    audio: Literal["ok", "blocked", "failed"] | None = None


DeviceMessage = Resync | Pong | DeviceStatus
