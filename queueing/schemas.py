"""Request bodies of the queue API (responses are the core's views, ``views.py``)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from queueing.bounds import CounterNumber
from queueing.ports import PrintJobView
from queueing.views import TicketView

__all__ = ["DomainInfo", "HallDetails", "HallSummary", "IssueRequest", "IssuedTicket", "ItemInfo", "MoveRequest"]

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class IssueRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    item: Code
    priority: Literal["green", "walk_in"] | None = None  # green: 绿色通道
    idempotency_key: Annotated[str, msgspec.Meta(min_length=1, max_length=80)] | None = None


class MoveRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """改派: to another item, to one counter by name, or both; the note goes to its clerk."""

    item: Code | None = None
    to_counter: CounterNumber | None = None
    note: Annotated[str, msgspec.Meta(max_length=200)] = ""


class IssuedTicket(TicketView, kw_only=True):
    """A new ticket, and its slip's print job when a ticket machine with a printer issued it
    (None otherwise, and for a retried request: its slip was printed the first time)."""

    print_job: PrintJobView | None = None
    # 评价码: to the ticket machine that issued it, for the slip on its screen (the QR code's link,
    # ``/halls/{hall}/tickets/{id}?k=…``); "" to staff, who see ticket ids but never rate
    rating_key: str = ""


class HallSummary(msgspec.Struct, frozen=True):
    id: str
    name: str
    name_en: str


class ItemInfo(msgspec.Struct, frozen=True):
    code: str
    name: str
    name_en: str
    domain: str
    group: str
    cross_province: bool
    pickup: bool
    service_minutes: float


class DomainInfo(msgspec.Struct, frozen=True):
    code: str
    name: str
    name_en: str


class HallDetails(msgspec.Struct, frozen=True):
    """A hall as the API describes it: who it is, what it offers, when it issues today."""

    id: str
    name: str
    name_en: str
    timezone: str
    address: str
    notice: str
    domains: list[DomainInfo]
    items: list[ItemInfo]
    issuing_today: str | None  # "08:30-17:00", None when no tickets are issued today
