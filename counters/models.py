"""The counters' tables: ratings (好差评) and their follow-up cases.

- ``rating``: one per completed service (the completion's sequence number is the key, so a
  second rating of the same service is refused by the database itself), with the ticket, the
  item, the counter and the staff member it rates.
- ``post_roster``: per counter post and day, its A person and B person (AB岗).
- ``rating_case``: the follow-up of a bad rating (差评整改): its tier and deadline in working
  days, the reply to the citizen, the fix, an appeal and how it ended.
- ``rating_case_step``: each step of a case (a call-back, a reply, a fix, a new tier, an
  opened phone …) with who and when: every handler kept, not only the last.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from config.database import instant as _instant

__all__ = ["PostRosterRow", "RatingCaseRow", "RatingCaseStepRow", "RatingRow"]


class RatingRow(SQLModel, table=True):
    __tablename__ = "rating"
    __table_args__ = (
        sa.UniqueConstraint("hall", "service", name="uq_rating_service"),
        sa.Index("ix_rating_hall_day", "hall", "day"),
    )

    id: str = Field(primary_key=True, max_length=40)
    hall: str = Field(max_length=64)
    service: int = Field(sa_type=sa.BigInteger)  # the ServiceCompleted event's sequence number
    ticket_id: str = Field(max_length=40, index=True)
    number: str = Field(max_length=16)
    item: str = Field(max_length=40)
    counter: int
    staff: str = Field(max_length=64)
    staff_name: str = Field(default="", max_length=64)
    level: str = Field(max_length=24)
    score: int
    reason: str = Field(default="", max_length=40)
    text: str = Field(default="", max_length=500)  # masked before it is stored
    channel: str = Field(max_length=16)  # pad, web (the ticket's page), auto
    contact_masked: str = Field(default="", max_length=20)  # a real-name rating's phone, masked
    contact_sealed: bytes | None = Field(default=None, sa_type=sa.LargeBinary)  # the phone, for the call-back
    served_at: dt.datetime = Field(sa_column=_instant())
    rated_at: dt.datetime = Field(sa_column=_instant())
    day: dt.date  # the hall day of the service


class RatingCaseRow(SQLModel, table=True):
    __tablename__ = "rating_case"

    id: str = Field(primary_key=True, max_length=40)
    hall: str = Field(max_length=64, index=True)
    rating_id: str = Field(max_length=40, unique=True)
    state: str = Field(max_length=16)  # open, replied, fixed, appealed, void
    tier: str = Field(default="five_days", max_length=16)  # on_the_spot, one_day, five_days, fifteen_days
    deadline: dt.date
    opened_at: dt.datetime = Field(sa_column=_instant())
    reply: str = Field(default="", max_length=1000)
    replied_at: dt.datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    fix: str = Field(default="", max_length=1000)
    fixed_at: dt.datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    appeal: str = Field(default="", max_length=1000)
    appealed_at: dt.datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    resolution: str = Field(default="", max_length=1000)
    closed_at: dt.datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    handled_by: str = Field(default="", max_length=64)


class RatingCaseStepRow(SQLModel, table=True):
    """One step of a 差评 case: who did what, when, and what came of it."""

    __tablename__ = "rating_case_step"
    __table_args__ = (sa.Index("ix_rating_case_step_case", "case_id", "at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"))
    hall: str = Field(max_length=64)
    case_id: str = Field(max_length=40)
    at: dt.datetime = Field(sa_column=_instant())
    by: str = Field(max_length=64)  # the manager's username
    action: str = Field(max_length=16)  # call_back, reply, fix, appeal, uphold_appeal, reject_appeal, tier, phone
    outcome: str = Field(default="", max_length=16)  # a call-back's outcome; a tier step's new tier
    note: str = Field(default="", max_length=1000)  # what was said or done, masked


class PostRosterRow(SQLModel, table=True):
    """A counter post's A person and B person for a day (AB岗, DB31/T 862 9.2.5)."""

    __tablename__ = "post_roster"

    hall: str = Field(primary_key=True, max_length=64)
    counter: int = Field(primary_key=True)
    day: dt.date = Field(primary_key=True)
    a_staff: str = Field(default="", max_length=64)
    b_staff: str = Field(default="", max_length=64)
    set_by: str = Field(default="", max_length=64)
    set_at: dt.datetime = Field(sa_column=_instant())
