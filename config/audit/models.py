"""The audit trail's table: one row per change by a person, a device or the command line."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from config.database import instant

__all__ = ["AuditEntryRow"]


class AuditEntryRow(SQLModel, table=True):
    """审计记录: one change, with who made it, when, from where, and what it was."""

    __tablename__ = "audit_entry"
    __table_args__ = (sa.Index("ix_audit_entry_hall_at", "hall", "at"),)

    # BIGINT on PostgreSQL; INTEGER on SQLite, the only type it numbers by itself (the rowid)
    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"))
    hall: str = Field(max_length=64)  # "" for what concerns no one hall
    at: dt.datetime = Field(sa_column=instant())
    actor_kind: str = Field(max_length=16)  # staff, device, citizen, command (the command line), system
    actor: str = Field(default="", max_length=128)  # username or device name; "" for a citizen
    role: str = Field(default="", max_length=16)
    address: str = Field(default="", max_length=64)  # the client's address; "" on the command line
    action: str = Field(max_length=96)  # what was done: "auth.login_failed", "POST /api/halls/{hall}/…"
    target: str = Field(default="", max_length=200)  # what it was done to: "counter 3", "staff zhangwei"
    outcome: str = Field(default="ok", max_length=16)  # ok, or the refusal's status ("403")
    details: str = Field(default="", sa_type=sa.Text)  # JSON, personal data masked
