"""The statistics' own table: each hall day's facts, folded once from the record and kept.

``stats_day`` is a cache, never the truth: a row is used only while the record of its day
still ends at the same event (``last_seq``, ``events``) and its day was over when it was
folded (``closed``); otherwise the day is folded again from the record. Deleting the table's
rows loses nothing.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from config.database import instant

__all__ = ["StatsDayRow"]


class StatsDayRow(SQLModel, table=True):
    __tablename__ = "stats_day"

    hall: str = Field(primary_key=True, max_length=64)
    day: dt.date = Field(primary_key=True)
    version: int  # FACTS_VERSION of the fold
    last_seq: int = Field(sa_type=sa.BigInteger)
    events: int
    closed: bool
    computed_at: dt.datetime = Field(sa_column=instant())
    data: bytes = Field(sa_type=sa.LargeBinary)  # a DayTable (queueing/stats/table.py), msgpack
