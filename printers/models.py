"""The printing tables.

- ``print_job``: every slip sent to a printer, with the bytes (so a print agent that was
  away gets exactly what was rendered) and how it ended. A job is ``queued`` until it goes
  to the printer, ``sent`` while the agent has it, then ``printed``, ``failed`` (with the
  fault) or ``expired`` (not printed in time: the citizen has long had the number on screen).
- ``printer_status``: per ticket machine, how its printer last did, and when its print agent
  was last connected: what managers see, from any server process.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from config.database import instant as _instant

__all__ = ["PrintJobRow", "PrinterStatusRow"]


class PrintJobRow(SQLModel, table=True):
    __tablename__ = "print_job"
    __table_args__ = (sa.Index("ix_print_job_device_state", "hall", "device", "state"),)

    id: str = Field(primary_key=True, max_length=40)
    hall: str = Field(max_length=64)
    device: str = Field(max_length=64)
    ticket_id: str = Field(max_length=40, index=True)
    number: str = Field(max_length=16)
    created_at: dt.datetime = Field(sa_column=_instant())
    state: str = Field(max_length=16)  # queued, sent, printed, failed, expired
    attempts: int = 0
    fault: str = Field(default="", max_length=16)  # offline, paper_out, error
    error: str = Field(default="", max_length=300)
    done_at: dt.datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    data: bytes = Field(sa_type=sa.LargeBinary)


class PrinterStatusRow(SQLModel, table=True):
    __tablename__ = "printer_status"

    hall: str = Field(primary_key=True, max_length=64)
    device: str = Field(primary_key=True, max_length=64)
    state: str = Field(default="unknown", max_length=16)  # ok, offline, paper_out, error, unknown
    error: str = Field(default="", max_length=300)
    changed_at: dt.datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    last_printed_at: dt.datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    agent_connected: bool = False
    agent_seen_at: dt.datetime | None = Field(default=None, sa_column=_instant(nullable=True))
