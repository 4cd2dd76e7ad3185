"""Request bodies of the queue API (responses are the core's views, ``views.py``)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

__all__ = ["DomainInfo", "HallInfo", "HallSummary", "IssueRequest", "ItemInfo"]

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class IssueRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    item: Code
    priority: Literal["green", "walk_in"] | None = None  # green: 绿色通道
    idempotency_key: Annotated[str, msgspec.Meta(min_length=1, max_length=80)] | None = None


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


class HallInfo(msgspec.Struct, frozen=True):
    id: str
    name: str
    name_en: str
    timezone: str
    address: str
    notice: str
    domains: list[DomainInfo]
    items: list[ItemInfo]
    issuing_today: str | None  # "08:30-17:00", None when no tickets are issued today
