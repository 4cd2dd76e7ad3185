"""What the appointment API carries. Personal data only ever leaves masked."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from appointments.people import DocumentKind, PersonInput
from queueing.bounds import Day, within_calendar
from queueing.schemas import IssuedTicket

__all__ = [
    "AppointmentFigures",
    "BookRequest",
    "BookableItem",
    "BookingView",
    "CancelRequest",
    "CancelSlotsRequest",
    "CheckInRequest",
    "CheckInResult",
    "FindRequest",
    "PhoneCodeRequest",
    "PhoneCodeSent",
    "SlotToday",
    "SlotView",
]

BookingState = Literal["booked", "checked_in", "late", "cancelled", "cancelled_by_hall", "no_show"]


class BookableItem(msgspec.Struct, kw_only=True):
    """An item that can be booked online (its slots take bookings)."""

    code: str
    name: str
    name_en: str
    domain: str  # the domain's code, as in ``GET /api/halls/{hall}``


class SlotView(msgspec.Struct, kw_only=True):
    item: str
    start: dt.datetime
    end: dt.datetime
    capacity: int  # bookable online (after the on-site share)
    left: int
    state: Literal["open", "full", "closed", "not_bookable"]  # not_bookable: too soon or too far ahead


class BookRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A booking, with the two consents the person gave (个人信息保护法 Art. 14 and 29): to
    the booking's personal information, and separately to the document number (sensitive
    personal information), each refused without."""

    item: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    slot_start: dt.datetime  # with its offset, e.g. 2026-11-23T09:00:00+08:00
    person: PersonInput
    privacy_consent: bool = False  # name, phones, e-mail: to book, check in and be told
    document_consent: bool = False  # the document's number: to check identity and the per-person rules
    # the one-time code sent to the phone the messages go to (the agent's for 代办): ``…/phone-codes``;
    # not needed when the service desk books with a staff token
    phone_code: Annotated[str, msgspec.Meta(max_length=12)] = ""


class PhoneCodeRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """获取验证码: a one-time code to this phone, the one the booking's messages will go to."""

    phone: Annotated[str, msgspec.Meta(min_length=1, max_length=24)]


class PhoneCodeSent(msgspec.Struct, frozen=True, kw_only=True):
    """A code is on its way to the phone (masked here)."""

    phone: str  # 138****5678
    valid_seconds: int  # the code holds this long, for one booking
    again_seconds: int  # another code to this phone no sooner than this


class BookingView(msgspec.Struct, kw_only=True):
    """A booking (预约) as its holder and the hall see it: the person masked."""

    code: str  # 预约码: at the ticket machine, or as the QR code of ``status_path``
    hall: str
    item: str
    item_name: str
    item_name_en: str
    slot_start: dt.datetime
    slot_end: dt.datetime
    state: BookingState
    name: str  # 张*
    document_kind: DocumentKind = "resident_id"
    document_name: str = "居民身份证"
    id_number: str  # the document's number, masked: 3201**********1234, E1*****78
    phone: str  # 138****5678, +852****4567; "" when an agent booked without it
    agent_name: str = ""  # 代办人, masked: "" when the person booked themself
    agent_phone: str = ""  # the agent's, masked: the phone the hall's messages go to
    created_at: dt.datetime
    checked_in_at: dt.datetime | None = None
    ticket_id: str | None = None
    status_path: str  # the booking's page
    note: str = ""  # why the hall cancelled it


class CheckInRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """By booking code (typed, or the QR code's link) or by the number of an 18-character card
    a reader or a keypad gives (resident ID, residence permit, permanent residence card);
    bookings made with a passport or a travel permit check in by their code."""

    code: Annotated[str, msgspec.Meta(max_length=200)] = ""
    id_number: Annotated[str, msgspec.Meta(max_length=20)] = ""


class CheckInResult(msgspec.Struct, kw_only=True):
    booking: BookingView
    ticket: IssuedTicket  # with its slip's print job when a ticket machine checked it in
    late: bool  # came after the check-in window: a walk-in ticket


class CancelSlotsRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The hall cannot keep these slots: ``date`` from ``from_time`` to ``until_time``."""

    date: Day
    from_time: Annotated[str, msgspec.Meta(pattern=r"^\d{2}:\d{2}(:\d{2})?$")] = "00:00"  # 13:00
    until_time: Annotated[str, msgspec.Meta(pattern=r"^\d{2}:\d{2}(:\d{2})?$")] = "23:59"
    item: str | None = None  # only this item's bookings; default all
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]

    def __post_init__(self) -> None:
        within_calendar("date", self.date)


class AppointmentFigures(msgspec.Struct, kw_only=True):
    """What became of the bookings for the slots of some days (预约统计)."""

    key: str  # the day ("" for the whole range)
    booked: int = 0  # bookings made for these slots, whatever became of them
    checked_in: int = 0  # on time (预约优先)
    late: int = 0  # checked in after the window: served as walk-ins
    no_show: int = 0  # 爽约
    cancelled: int = 0  # by the citizen
    cancelled_by_hall: int = 0
    pending: int = 0  # still to come
    seats: int = 0  # online seats the slots offered
    slot_fill: float | None = None  # bookings kept (not cancelled) ÷ seats
    on_time_share: float | None = None  # on time ÷ those that came (on time or late)


class SlotToday(msgspec.Struct, kw_only=True):
    """A slot of today for the manager's live view: what is booked and what came."""

    start: dt.datetime
    end: dt.datetime
    seats: int
    booked: int  # kept bookings (not cancelled)
    checked_in: int  # on time or late
    missed: int  # no-shows
    pending: int


class FindRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """找回预约: both the document (kind and number) and a phone number a booking was made
    with (the person's or the agent's)."""

    id_number: Annotated[str, msgspec.Meta(min_length=1, max_length=30)]
    phone: Annotated[str, msgspec.Meta(min_length=1, max_length=24)]
    document_kind: DocumentKind = "resident_id"


class CancelRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What proves the canceller is the person: a phone number the booking was made with (the
    person's or the agent's) or its document number (of the kind it was booked with)."""

    phone: Annotated[str, msgspec.Meta(max_length=24)] = ""
    id_number: Annotated[str, msgspec.Meta(max_length=30)] = ""  # spaces around it are let through
