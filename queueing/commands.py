"""Commands: what someone asks the hall to do. Each carries its time and its actor.

The core never reads a clock: the service (or the simulator, or a test) stamps every
command with ``at``, a zone-aware instant. A command is a request; the events it
produces (``events.py``) are what happened.
"""

from __future__ import annotations

import datetime as dt
import enum

import msgspec

from queueing.kinds import CounterKind, CounterSpec

__all__ = [
    "Actor",
    "AlertEmptyPost",
    "Announce",
    "CallNext",
    "CallTicket",
    "CancelTicket",
    "CloseCounter",
    "Command",
    "CompleteService",
    "DefineCounter",
    "IssueTicket",
    "MarkNoShow",
    "MoveTicket",
    "OpenCounter",
    "PauseCounter",
    "Priority",
    "Recall",
    "ReconfigureCounter",
    "Reinstate",
    "Resume",
    "RetireCounter",
    "Role",
    "SignIn",
    "SignOut",
    "StartDay",
    "StartService",
    "Suspend",
    "Transfer",
]


class Role(enum.StrEnum):
    STAFF = "staff"  # 窗口人员
    MANAGER = "manager"  # 大厅管理员
    ADMIN = "admin"  # 系统管理员
    INSPECTOR = "inspector"  # 巡查人员: reads what a manager reads, changes nothing
    DEVICE = "device"  # a ticket machine or another device
    SYSTEM = "system"  # the service itself (configuration, day rollover)

    @property
    def manages(self) -> bool:
        """May act at any counter and change counters."""
        return self in _MANAGING


_MANAGING = frozenset({Role.MANAGER, Role.ADMIN, Role.SYSTEM})


class Actor(msgspec.Struct, frozen=True):
    name: str  # the username or device name
    role: Role
    display_name: str = ""  # 张伟: shown on the counter


SYSTEM = Actor("system", Role.SYSTEM)


class Priority(enum.StrEnum):
    """Priority class, highest first: green channel (绿色通道, DB31/T 862 9.1.4.2),
    checked-in appointment (预约优先办理, 9.1.2.2), walk-in."""

    GREEN = "green"
    APPOINTMENT = "appointment"
    WALK_IN = "walk_in"

    @property
    def rank(self) -> int:
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {Priority.GREEN: 0, Priority.APPOINTMENT: 1, Priority.WALK_IN: 2}


class _Command(msgspec.Struct, frozen=True, kw_only=True):
    at: dt.datetime
    actor: Actor = SYSTEM


class StartDay(_Command):
    """Roll the hall over to the day of ``at`` (every command does it implicitly)."""


class IssueTicket(_Command):
    ticket_id: str  # chosen by the service: random, so the QR link cannot be guessed
    item: str
    priority: Priority = Priority.WALK_IN
    appointment_slot: dt.datetime | None = None  # with Priority.APPOINTMENT: ordered by slot
    idempotency_key: str | None = None
    channel: str = "kiosk"


class _AtCounter(_Command):
    counter: int


class _OnCurrentTicket(_AtCounter):
    expected_ticket: str | None = None  # refuse if the counter's current ticket is another one


class CallNext(_AtCounter):
    pass


class CallTicket(_AtCounter):
    """指定叫号: call one waiting ticket by its number (or id), out of the calling order: a
    clerk who must fetch a green-channel citizen, or who was told who is next by the desk."""

    ticket: str


class Recall(_OnCurrentTicket):
    pass


class StartService(_OnCurrentTicket):
    pass


class CompleteService(_OnCurrentTicket):
    pass


class MarkNoShow(_OnCurrentTicket):
    pass


class Transfer(_OnCurrentTicket):
    """一票到底: the ticket keeps its number and its place, for another item or counter, with
    a note for the clerk who takes it (what is missing, what was done)."""

    item: str | None = None
    to_counter: int | None = None
    note: str = ""


class Suspend(_OnCurrentTicket):
    pass


class Resume(_AtCounter):
    ticket_id: str | None = None  # None: the only suspended ticket of the counter


class Reinstate(_Command):
    ticket_id: str


class MoveTicket(_Command):
    """改派 (the service desk): a waiting ticket sent to another item's line, or to one counter
    by name, keeping its number and its place; a note for the clerk who takes it."""

    ticket_id: str
    item: str | None = None
    to_counter: int | None = None
    note: str = ""


class CancelTicket(_Command):
    ticket_id: str


class OpenCounter(_AtCounter):
    pass


class PauseCounter(_AtCounter):
    reason: str = ""
    back_at: dt.datetime | None = None  # when the clerk expects to be back (shown on the board)


class CloseCounter(_AtCounter):
    pass


class SignIn(_AtCounter):
    pass


class SignOut(_AtCounter):
    pass


class ReconfigureCounter(_AtCounter):
    """A manager's change; fields left None keep their value."""

    name: str | None = None
    kind: CounterKind | None = None
    domains: tuple[str, ...] | None = None
    items: tuple[str, ...] | None = None
    profile: str | None = None


class Announce(_Command):
    """A manager's announcement to the hall (广播), spoken and shown on the hall screens."""

    text: str
    text_en: str = ""


class AlertEmptyPost(_AtCounter):
    """空岗提醒: the hall's watcher saw nobody serving an AB post while tickets wait that it
    could serve; the event tells its B person and the managers (DB31/T 862 9.2.5)."""

    a: str = ""  # the post's A and B person today (from the roster)
    b: str = ""


class DefineCounter(_Command):
    """The hall file defines (or redefines) a counter; replaces any runtime change."""

    spec: CounterSpec


class RetireCounter(_Command):
    counter: int


Command = (
    StartDay
    | IssueTicket
    | CallNext
    | CallTicket
    | Recall
    | StartService
    | CompleteService
    | MarkNoShow
    | Transfer
    | Suspend
    | Resume
    | Reinstate
    | MoveTicket
    | CancelTicket
    | OpenCounter
    | PauseCounter
    | CloseCounter
    | SignIn
    | SignOut
    | ReconfigureCounter
    | Announce
    | AlertEmptyPost
    | DefineCounter
    | RetireCounter
)
