"""What the queue asks of the packages around it, declared here and implemented there.

The queue never imports ``printers/`` or ``counters/``: when a ticket machine's ticket is
issued its slip is printed through ``SlipPrinter`` (``printers.service.PrintService``
implements it), and a ticket's status page offers the rating of its service through
``RatingOffer`` (``counters.evaluation.EvaluationService``). The assembly (``config/app.py``)
hands the implementations to the handlers by dependency injection.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, Protocol, runtime_checkable

import msgspec

from queueing.views import TicketView

__all__ = ["PrintJobView", "RatingLevelChoice", "RatingOffer", "RatingPrompt", "SlipPrinter"]

JobState = Literal["queued", "sent", "printed", "failed", "expired"]


class PrintJobView(msgspec.Struct, kw_only=True):
    """A slip sent to a ticket machine's printer, and how it went."""

    id: str
    ticket_id: str
    number: str
    device: str
    state: JobState
    created_at: dt.datetime
    done_at: dt.datetime | None = None
    fault: str = ""  # offline, paper_out, error
    error: str = ""  # what the printer or its driver said, for managers


@runtime_checkable
class SlipPrinter(Protocol):
    """Prints the slip (取号凭条) of a ticket a ticket machine has just been given."""

    async def print_ticket(self, hall: str, device: str, ticket: TicketView) -> PrintJobView | None:
        """The slip's print job on ``device``'s printer; None when it has none. Never raises for
        the printer's sake: a fault ends up in the job."""
        ...


class RatingLevelChoice(msgspec.Struct, frozen=True):
    """One of the five 好差评 levels as a page offers it."""

    value: str
    label: str  # 非常满意 …
    en: str
    bad: bool  # asks for a reason
    colour: str


class RatingPrompt(msgspec.Struct, frozen=True):
    """What a ticket's page offers about rating its service (评价本次服务)."""

    open: bool  # a completed service waits for its rating
    rated: bool  # the service was rated already
    levels: list[RatingLevelChoice]
    reasons: list[str]  # the reasons a bad rating picks from


@runtime_checkable
class RatingOffer(Protocol):
    async def rating_prompt(self, hall: str, ticket_id: str, completed: bool) -> RatingPrompt:
        """The rating a ticket's page offers; ``completed``: the ticket's service has ended."""
        ...
