"""The queue's tables.

- ``hall_event``: the event record, the source of truth. One row per event, numbered
  per hall without gaps; the columns carry what statistics filter on, ``data`` the
  whole event as JSON.
- ``hall_head``: one row per hall with the last sequence number; writers lock it, so
  two processes never append the same number (PostgreSQL ``FOR UPDATE``; SQLite's
  single writer).
- ``hall_snapshot``: the live state now and then, so a restart replays only the tail.
- ``ticket``: every ticket as it stands, kept in the same transaction as the events;
  for reading old tickets and for integrators' SQL. Numbers and idempotency keys are
  unique per hall day here too, as a last line of defence.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from config.database import instant as _instant

__all__ = ["HallEventRow", "HallHeadRow", "HallSnapshotRow", "TicketRow"]


class HallEventRow(SQLModel, table=True):
    __tablename__ = "hall_event"
    __table_args__ = (
        sa.Index("ix_hall_event_hall_day_seq", "hall", "day", "seq"),  # a day's events, in order
        sa.Index("ix_hall_event_hall_kind_seq", "hall", "kind", "seq"),  # events of a kind (counters, services)
    )

    hall: str = Field(primary_key=True, max_length=64)
    seq: int = Field(primary_key=True, sa_type=sa.BigInteger)
    at: dt.datetime = Field(sa_column=_instant())
    day: dt.date  # the hall day, in the hall's time zone
    kind: str = Field(max_length=40)
    ticket_id: str | None = Field(default=None, max_length=40, index=True)
    counter: int | None = None
    actor: str | None = Field(default=None, max_length=64)
    data: str = Field(sa_type=sa.Text)


class HallHeadRow(SQLModel, table=True):
    __tablename__ = "hall_head"

    hall: str = Field(primary_key=True, max_length=64)
    seq: int = Field(default=0, sa_type=sa.BigInteger)


class HallSnapshotRow(SQLModel, table=True):
    __tablename__ = "hall_snapshot"

    hall: str = Field(primary_key=True, max_length=64)
    seq: int = Field(primary_key=True, sa_type=sa.BigInteger)
    at: dt.datetime = Field(sa_column=_instant())
    data: bytes = Field(sa_type=sa.LargeBinary)


class TicketRow(SQLModel, table=True):
    __tablename__ = "ticket"
    __table_args__ = (
        sa.UniqueConstraint("hall", "day", "group", "seq", name="uq_ticket_number"),
        sa.UniqueConstraint("hall", "day", "idempotency_key", name="uq_ticket_idempotency"),
    )

    id: str = Field(primary_key=True, max_length=40)
    hall: str = Field(max_length=64, index=True)
    day: dt.date
    number: str = Field(max_length=16)
    group: str = Field(max_length=8)
    seq: int
    item: str = Field(max_length=40)
    priority: str = Field(max_length=16)
    state: str = Field(max_length=16)
    counter: int | None = None
    to_counter: int | None = None
    recalls: int = 0
    transfers: int = 0
    channel: str = Field(default="kiosk", max_length=32)
    idempotency_key: str | None = Field(default=None, max_length=80)
    issued_at: dt.datetime = Field(sa_column=_instant())
    called_at: dt.datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    started_at: dt.datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    missed_at: dt.datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    ended_at: dt.datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    appointment_slot: dt.datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    updated_seq: int = Field(default=0, sa_type=sa.BigInteger)
