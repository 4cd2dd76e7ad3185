"""The appointment tables.

- ``appointment``: every booking, its slot, its state and its person, protected: a keyed
  hash of the document's kind and number to find the person's bookings, masked forms to
  show (the agent's too, when someone booked for the person: 代办), the contacts sealed,
  and when the person consented, to which notice.
- ``appointment_slot``: per hall, capacity key (an item or a group) and slot start, how many
  are booked. A booking takes a seat with one conditional ``UPDATE … SET booked = booked + 1
  WHERE booked < capacity``: two clients racing for the last seat cannot both win, on
  PostgreSQL (the row lock, and the condition checked again after it) or SQLite (one writer).
- ``appointment_person``: one row per person and hall, locked while that person's booking is
  decided, so the per-person rules hold under concurrent requests too.
- ``appointment_reminder``: which reminders went out, so each goes once.
- ``appointment_phone_code``: the one-time code last sent to a phone (验证码), as a keyed
  hash, with its tries and how many codes the phone was sent this hour.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from config.database import UTCDateTime
from config.database import instant as _instant

__all__ = [
    "AppointmentPersonRow",
    "AppointmentPhoneCodeRow",
    "AppointmentReminderRow",
    "AppointmentRow",
    "AppointmentSlotRow",
]


class AppointmentRow(SQLModel, table=True):
    __tablename__ = "appointment"
    __table_args__ = (
        sa.UniqueConstraint("hall", "code", name="uq_appointment_code"),
        sa.Index("ix_appointment_person", "hall", "person_key"),
        sa.Index("ix_appointment_phone", "hall", "phone_key"),
        sa.Index("ix_appointment_slot", "hall", "slot_start", "state"),
        sa.Index("ix_appointment_ticket", "hall", "ticket_id"),  # the desk: the booking a ticket came from
    )

    id: str = Field(primary_key=True, max_length=40)
    hall: str = Field(max_length=64)
    code: str = Field(max_length=16)  # the booking code (预约码) people type or scan
    item: str = Field(max_length=40)
    group: str = Field(max_length=8)
    capacity_key: str = Field(max_length=48)
    slot_start: dt.datetime = Field(sa_column=_instant())
    slot_end: dt.datetime = Field(sa_column=_instant())
    state: str = Field(max_length=20)  # booked, checked_in, late, cancelled, cancelled_by_hall, no_show
    person_key: str = Field(max_length=64)
    # the keyed hash of the phone the messages go to (verified by a code, or seen at the desk):
    # the rules count a phone's bookings as a person's; "" before 0012 and once anonymised
    phone_key: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    # 居民身份证 (rows of the days before other documents are these), passport, …: people.DOCUMENTS
    document_kind: str = Field(default="resident_id", max_length=24, sa_column_kwargs={"server_default": "resident_id"})
    id_masked: str = Field(max_length=24)  # the document's number, masked
    name_masked: str = Field(max_length=40)
    phone_masked: str = Field(max_length=20)  # "" when an agent booked without the person's phone
    agent_name_masked: str = Field(default="", max_length=40, sa_column_kwargs={"server_default": ""})  # 代办人
    agent_phone_masked: str = Field(default="", max_length=20, sa_column_kwargs={"server_default": ""})
    contact_sealed: bytes = Field(sa_type=sa.LargeBinary)
    # when both consents were given (个人信息保护法 Art. 14, 29) and which notice was read:
    # people.NOTICE_VERSION; NULL and "" for bookings of the days before consents
    consent_at: dt.datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    notice_version: str = Field(default="", max_length=24, sa_column_kwargs={"server_default": ""})
    created_at: dt.datetime = Field(sa_column=_instant())
    ended_at: dt.datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    checked_in_at: dt.datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    ticket_id: str | None = Field(default=None, max_length=40)
    note: str = Field(default="", max_length=200)  # why the hall cancelled it


class AppointmentSlotRow(SQLModel, table=True):
    __tablename__ = "appointment_slot"

    hall: str = Field(primary_key=True, max_length=64)
    capacity_key: str = Field(primary_key=True, max_length=48)
    slot_start: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), primary_key=True))
    booked: int = 0
    closed: bool = False  # an operator took the slot away


class AppointmentPersonRow(SQLModel, table=True):
    __tablename__ = "appointment_person"

    hall: str = Field(primary_key=True, max_length=64)
    person_key: str = Field(primary_key=True, max_length=64)


class AppointmentReminderRow(SQLModel, table=True):
    __tablename__ = "appointment_reminder"

    appointment_id: str = Field(primary_key=True, max_length=40)
    minutes_before: int = Field(primary_key=True)
    sent_at: dt.datetime = Field(sa_column=_instant())


class AppointmentPhoneCodeRow(SQLModel, table=True):
    __tablename__ = "appointment_phone_code"

    hall: str = Field(primary_key=True, max_length=64)
    phone_key: str = Field(primary_key=True, max_length=64)  # the phone's keyed hash
    code_hash: str = Field(max_length=64)  # the code's keyed hash; "" once used or dead
    sent_at: dt.datetime = Field(sa_column=_instant())
    expires_at: dt.datetime = Field(sa_column=_instant())
    wrong_tries: int = 0
    hour_from: dt.datetime = Field(sa_column=_instant())  # the hour the phone's codes are counted in
    hour_sent: int = 0
