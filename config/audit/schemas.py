"""The audit trail on the wire."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

__all__ = ["ActorKind", "AuditEntry", "AuditPage", "AuditQuery"]

ActorKind = Literal["staff", "device", "citizen", "command", "system"]


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One change: who (``actor_kind``, ``actor``, ``role``), when, from where, what."""

    hall: str
    at: dt.datetime
    actor_kind: ActorKind
    action: str
    actor: str = ""
    role: str = ""
    address: str = ""
    target: str = ""
    outcome: str = "ok"
    details: dict[str, object] = msgspec.field(default_factory=dict)
    id: int | None = None


class AuditQuery(msgspec.Struct, frozen=True, kw_only=True):
    """审计查询: which entries of a hall (every filter optional; instants zone-aware)."""

    actor: str | None = None
    action: str | None = None  # a prefix of the action
    outcome: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None  # exclusive
    before: int | None = None  # the id of the last entry of the previous page
    limit: int = 100


class AuditPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of the search, newest first; ``next_before``: ask with ``before=`` it for the next
    (older) page, None when there is none."""

    entries: list[AuditEntry]
    next_before: int | None = None
