"""The audit trail on the wire."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

__all__ = ["ActorKind", "AuditEntry"]

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
