"""The life of a ticket and of a counter, as two transition tables.

Theory of operation
-------------------
Everything that decides whether a ticket or a counter may move from one state to
another lives in this file and nowhere else. The tables below are the whole truth:
``TICKET_STEPS[(state, step)]`` is the state a ticket reaches when ``step`` is taken
in ``state``; a pair that is not in the table is an illegal step. The same holds for
``COUNTER_STEPS``. The rest of the core (``hall.py``) asks these tables before it
records anything, so a forbidden step is refused before any event exists.

A ticket (票号)::

    issue ──> WAITING ──call──> CALLED ──start──> SERVING ──complete──> COMPLETED
                 ^               │  ^ recall         │  ^
                 │               │  └──┘             │  └─resume── SUSPENDED (挂起)
                 │               ├──no_show──> NO_SHOW (过号) ─reinstate─┐
                 │               └──transfer (一票到底) ─────────────────┤
                 └───────────────────────────────────────────────────────┘

``complete`` is also allowed straight from CALLED (the clerk served without pressing
start); ``suspend`` from CALLED too. Any ticket still open when the hall day ends is
EXPIRED (the ``expire`` step, taken by the day's start for each of them). A waiting,
no-show or suspended ticket can be CANCELLED (the citizen left). A ticket held by a counter
that the hall file no longer has is RELEASED back to waiting.

A counter (窗口) is CLOSED, OPEN (calling) or PAUSED (暂停服务: finishes its current
ticket but calls nobody new). When the hall day ends every counter takes the ``day_end``
step to CLOSED, whatever its state.

The core changes a ticket's or a counter's state only through ``next_ticket_state`` and
``next_counter_state``, when it decides and again when it applies a recorded event, so a
record that breaks these tables is caught on replay.

This file knows nothing of counters' kinds, of priorities or of time: only of steps.
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = [
    "COUNTER_STEPS",
    "TICKET_STEPS",
    "CounterState",
    "CounterStep",
    "IllegalRecord",
    "TicketState",
    "TicketStep",
    "advance_counter",
    "advance_ticket",
    "next_counter_state",
    "next_ticket_state",
]


class TicketState(enum.StrEnum):
    NEW = "new"  # before issuing; never stored
    WAITING = "waiting"  # 等候
    CALLED = "called"  # 已叫号, the citizen walks to the counter
    SERVING = "serving"  # 办理中
    SUSPENDED = "suspended"  # 挂起, fetching a document; resumed at the same counter
    NO_SHOW = "no_show"  # 过号
    COMPLETED = "completed"  # 办结
    CANCELLED = "cancelled"  # 取消
    EXPIRED = "expired"  # the hall day ended first

    @property
    def is_open(self) -> bool:
        return self not in _TERMINAL

    @property
    def label_zh(self) -> str:
        return _TICKET_LABELS[self]

    @property
    def holds_counter(self) -> bool:
        """True while a counter is busy with this ticket (the counter's current ticket)."""
        return self in (TicketState.CALLED, TicketState.SERVING)


_TERMINAL: Final = frozenset({TicketState.COMPLETED, TicketState.CANCELLED, TicketState.EXPIRED})
_TICKET_LABELS: Final = {
    TicketState.NEW: "未取号",
    TicketState.WAITING: "等候中",
    TicketState.CALLED: "已叫号",
    TicketState.SERVING: "办理中",
    TicketState.SUSPENDED: "已挂起",
    TicketState.NO_SHOW: "已过号",
    TicketState.COMPLETED: "已办结",
    TicketState.CANCELLED: "已取消",
    TicketState.EXPIRED: "已过期",
}


class TicketStep(enum.StrEnum):
    ISSUE = "issue"
    CALL = "call"
    RECALL = "recall"
    START = "start"
    COMPLETE = "complete"
    NO_SHOW = "no_show"
    REINSTATE = "reinstate"
    TRANSFER = "transfer"
    SUSPEND = "suspend"
    RESUME = "resume"
    CANCEL = "cancel"
    EXPIRE = "expire"
    RELEASE = "release"  # its counter was removed from the hall file

    @property
    def label_zh(self) -> str:
        return _STEP_LABELS[self]


_STEP_LABELS: Final = {
    TicketStep.ISSUE: "取号",
    TicketStep.CALL: "叫号",
    TicketStep.RECALL: "重呼",
    TicketStep.START: "开始办理",
    TicketStep.COMPLETE: "办结",
    TicketStep.NO_SHOW: "过号",
    TicketStep.REINSTATE: "过号恢复",
    TicketStep.TRANSFER: "转移",
    TicketStep.SUSPEND: "挂起",
    TicketStep.RESUME: "恢复办理",
    TicketStep.CANCEL: "取消",
    TicketStep.EXPIRE: "过期",
    TicketStep.RELEASE: "重新排队",
}


_T = TicketState
_S = TicketStep

TICKET_STEPS: Final[dict[tuple[TicketState, TicketStep], TicketState]] = {
    (_T.NEW, _S.ISSUE): _T.WAITING,
    (_T.WAITING, _S.CALL): _T.CALLED,
    (_T.CALLED, _S.RECALL): _T.CALLED,
    (_T.CALLED, _S.START): _T.SERVING,
    (_T.CALLED, _S.COMPLETE): _T.COMPLETED,
    (_T.SERVING, _S.COMPLETE): _T.COMPLETED,
    (_T.CALLED, _S.NO_SHOW): _T.NO_SHOW,
    (_T.NO_SHOW, _S.REINSTATE): _T.WAITING,
    (_T.CALLED, _S.TRANSFER): _T.WAITING,
    (_T.SERVING, _S.TRANSFER): _T.WAITING,
    (_T.CALLED, _S.SUSPEND): _T.SUSPENDED,
    (_T.SERVING, _S.SUSPEND): _T.SUSPENDED,
    (_T.SUSPENDED, _S.RESUME): _T.SERVING,
    (_T.WAITING, _S.CANCEL): _T.CANCELLED,
    (_T.NO_SHOW, _S.CANCEL): _T.CANCELLED,
    (_T.SUSPENDED, _S.CANCEL): _T.CANCELLED,
    (_T.CALLED, _S.RELEASE): _T.WAITING,
    (_T.SERVING, _S.RELEASE): _T.WAITING,
    (_T.SUSPENDED, _S.RELEASE): _T.WAITING,
    **{(state, _S.EXPIRE): _T.EXPIRED for state in TicketState if state.is_open and state is not _T.NEW},
}


class CounterState(enum.StrEnum):
    CLOSED = "closed"  # 关闭
    OPEN = "open"  # 服务中
    PAUSED = "paused"  # 暂停服务

    @property
    def label_zh(self) -> str:
        return {"closed": "已关闭", "open": "服务中", "paused": "暂停服务"}[self.value]


class CounterStep(enum.StrEnum):
    OPEN = "open"
    PAUSE = "pause"
    CLOSE = "close"
    DAY_END = "day_end"  # the hall day is over: closed, whatever it was


_C = CounterState
_CS = CounterStep

COUNTER_STEPS: Final[dict[tuple[CounterState, CounterStep], CounterState]] = {
    (_C.CLOSED, _CS.OPEN): _C.OPEN,
    (_C.PAUSED, _CS.OPEN): _C.OPEN,
    (_C.OPEN, _CS.PAUSE): _C.PAUSED,
    (_C.OPEN, _CS.CLOSE): _C.CLOSED,
    (_C.PAUSED, _CS.CLOSE): _C.CLOSED,
    **{(state, _CS.DAY_END): _C.CLOSED for state in CounterState},
}


def next_ticket_state(state: TicketState, step: TicketStep) -> TicketState | None:
    """The state after ``step``, or None when the step is illegal in ``state``."""
    return TICKET_STEPS.get((state, step))


class IllegalRecord(Exception):
    """A recorded event asks for a step the tables forbid: the record is corrupt."""


def advance_ticket(state: TicketState, step: TicketStep) -> TicketState:
    """The state after ``step``, for applying a recorded event: an illegal step is corruption."""
    new = TICKET_STEPS.get((state, step))
    if new is None:
        raise IllegalRecord(f"the record moves a {state} ticket by {step}")
    return new


def advance_counter(state: CounterState, step: CounterStep) -> CounterState:
    new = COUNTER_STEPS.get((state, step))
    if new is None:
        raise IllegalRecord(f"the record moves a {state} counter by {step}")
    return new


def next_counter_state(state: CounterState, step: CounterStep) -> CounterState | None:
    return COUNTER_STEPS.get((state, step))
