"""Request and response bodies of the counter API (the virtual caller, 虚拟叫号器)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from queueing.bounds import CounterNumber
from queueing.kinds import CounterKind
from queueing.views import CounterView, TicketView

__all__ = [
    "CallTicketRequest",
    "CounterActionResult",
    "CounterPatch",
    "OnTicket",
    "PauseRequest",
    "ResumeRequest",
    "TransferRequest",
]

TicketRef = Annotated[str, msgspec.Meta(min_length=1, max_length=40, description="a ticket id or number")]


class OnTicket(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Optional guard: act only if the counter's current ticket is this one (a stale screen)."""

    ticket: TicketRef | None = None


class TransferRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """一票到底: to another item, to a named counter, or both. The number stays; the note goes
    with it to the clerk who takes it."""

    item: str | None = None
    counter: CounterNumber | None = None
    ticket: TicketRef | None = None
    note: Annotated[str, msgspec.Meta(max_length=200)] = ""


class CallTicketRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """指定叫号: the waiting ticket to call, by its number (or id)."""

    ticket: TicketRef


class PauseRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=80)] = ""
    # when the clerk expects to be back, in minutes from now (the board says 「约13:30回来」)
    back_in_minutes: Annotated[int, msgspec.Meta(ge=1, le=480)] | None = None


class ResumeRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    ticket: TicketRef | None = None  # None: the counter's only suspended ticket


class CounterPatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A manager's change; fields left out keep their value. Takes effect on the next call."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=60)] | None = None
    kind: CounterKind | None = None
    domains: list[str] | None = None
    items: list[str] | None = None
    profile: str | None = None


class CounterActionResult(msgspec.Struct, frozen=True):
    counter: CounterView
    ticket: TicketView | None  # the ticket the action was about, as it is now
