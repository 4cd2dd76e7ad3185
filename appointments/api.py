"""The appointment API, under ``/api/halls/{hall}/appointments``.

- ``GET  …/items``                                   the items that can be booked online (anyone)
- ``GET  …/slots?item=QY01&from=2026-11-23&days=7``  the slots and what is left (anyone)
- ``POST …/phone-codes``                             a one-time code to a phone (anyone, bounded)
- ``POST …``                                         book (anyone: the person's document, name, phone,
                                                     or an agent's name and phone (代办); two consents;
                                                     the phone's code, unless the desk books (staff))
- ``GET  …/{code}``                                  a booking's status (with its code)
- ``POST …/{code}/cancel``                           cancel it (with its code), up to the cut-off
- ``POST …/check-in``                                check in at a ticket machine or a counter
- ``GET  …/by-ticket/{ticket_id}``                   the booking a ticket was checked in for (staff)
- ``POST …/cancel-slots``                            the hall cannot keep some slots (managers)

Refusals are HTTP 409 (422 for bad input) with ``code``, ``detail`` and ``detail_zh``: why,
in words a person can act on.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from appointments.rules import BookingRefused
from appointments.schemas import (
    AppointmentFigures,
    BookableItem,
    BookingView,
    BookRequest,
    CancelRequest,
    CancelSlotsRequest,
    CheckInRequest,
    CheckInResult,
    FindRequest,
    PhoneCodeRequest,
    PhoneCodeSent,
    SlotToday,
    SlotView,
)
from appointments.service import AppointmentService
from config.audit.marks import CHANGES_NOTHING, IN_HALL_RECORD
from config.auth import Principal, issuer_guard, manager_guard, staff_guard
from config.crypto import RatingKeys
from config.limits import limited
from queueing.bounds import DAY_RULE, check_day, check_days
from queueing.params import range_end
from queueing.ports import SlipPrinter

__all__ = ["booking_refused", "router"]

log = logging.getLogger("hall.appointments")

_BASE = "/api/halls/{hall:str}/appointments"


def booking_refused(_: Request, exc: BookingRefused) -> Response:
    """The API's error body (``error`` the reason, as every refusal's); ``code`` the same, as the
    booking page reads it."""
    body = {"status_code": 409, "error": exc.code, "code": exc.code, "detail": exc.message, "detail_zh": exc.message_zh}
    return Response(body, status_code=409)


@get(f"{_BASE}/items", summary="Items that can be booked online (可预约事项)")
async def items(hall: FromPath[str], appointments: NamedDependency[AppointmentService]) -> list[BookableItem]:
    return appointments.bookable_items(hall)


@get(f"{_BASE}/slots", summary="Bookable slots of an item (可预约时段)")
async def slots(
    hall: FromPath[str],
    item: FromQuery[str],
    appointments: NamedDependency[AppointmentService],
    first: Annotated[dt.date | None, QueryParameter(name="from", description=DAY_RULE)] = None,
    days: Annotated[int, QueryParameter(ge=1, le=31)] = 7,
) -> list[SlotView]:
    check_day("from", first)
    return await appointments.slots(hall, item, first, days)


@post(
    f"{_BASE}/phone-codes",
    status_code=202,
    summary="Send a one-time code to the booking's phone (获取验证码)",
    opt=limited("booking"),
)
async def phone_code(
    hall: FromPath[str], data: JSONBody[PhoneCodeRequest], appointments: NamedDependency[AppointmentService]
) -> PhoneCodeSent:
    return await appointments.send_phone_code(hall, data.phone)


@post(_BASE, status_code=201, summary="Book a slot (网上预约)", opt=limited("booking"))
async def book(
    hall: FromPath[str],
    data: JSONBody[BookRequest],
    appointments: NamedDependency[AppointmentService],
    principal: NamedDependency[Principal | None],
) -> BookingView:
    # the service desk books for the person in front of the clerk: no code to the phone needed
    at_desk = principal is not None and principal.kind == "staff" and principal.hall == hall
    return await appointments.book(
        hall, data.item, data.slot_start, data.person, data.privacy_consent, data.document_consent,
        data.phone_code, at_desk=at_desk,
    )  # fmt: skip


@post(
    f"{_BASE}/check-in",
    opt=IN_HALL_RECORD,
    guards=[issuer_guard],
    status_code=201,
    summary="Check in a booking: its ticket (签到取号)",
)
async def check_in(
    hall: FromPath[str],
    data: JSONBody[CheckInRequest],
    request: Request,
    principal: NamedDependency[Principal],
    appointments: NamedDependency[AppointmentService],
    slips: NamedDependency[SlipPrinter],
    rating_keys: NamedDependency[RatingKeys],
) -> CheckInResult:
    result = await appointments.check_in(hall, principal.actor, data.code, data.id_number)
    if principal.kind == "device":  # a ticket machine prints the slip, as for any ticket it issues
        result.ticket.rating_key = rating_keys.key(hall, result.ticket.id)  # its QR code on the screen
        try:
            result.ticket.print_job = await slips.print_ticket(hall, principal.name, result.ticket)
        except Exception:  # the ticket stands: the screen shows it
            log.exception("slip not printed", extra={"hall": hall, "number": result.ticket.number})
    return result


@post(
    f"{_BASE}/cancel-slots",
    guards=[manager_guard],
    status_code=200,
    summary="Cancel slots the hall cannot keep (managers)",
)
async def cancel_slots(
    hall: FromPath[str], data: JSONBody[CancelSlotsRequest], appointments: NamedDependency[AppointmentService]
) -> list[BookingView]:
    return await appointments.cancel_slots(hall, data.date, data.from_time, data.until_time, data.item, data.reason)


@get(f"{_BASE}/today", guards=[manager_guard], summary="Today's slots: booked, checked in, missed (managers)")
async def today(hall: FromPath[str], appointments: NamedDependency[AppointmentService]) -> list[SlotToday]:
    return await appointments.today_slots(hall)


@get(f"{_BASE}/figures", guards=[manager_guard], summary="What became of the bookings of a range of days (managers)")
async def figures(
    hall: FromPath[str],
    appointments: NamedDependency[AppointmentService],
    since: Annotated[dt.date, range_end("from")],
    until: Annotated[dt.date, range_end("to")],
) -> list[AppointmentFigures]:
    check_days(since, until)
    return await appointments.figures(hall, since, until)


@get(f"{_BASE}/{{code:str}}", summary="A booking's status", opt=limited("lookup"))
async def status(
    hall: FromPath[str], code: FromPath[str], appointments: NamedDependency[AppointmentService]
) -> BookingView:
    return await appointments.status(hall, code)


@get(
    f"{_BASE}/by-ticket/{{ticket_id:str}}",
    guards=[staff_guard],
    summary="The booking a ticket was checked in for (staff: the desk, the counter)",
)
async def by_ticket(
    hall: FromPath[str], ticket_id: FromPath[str], appointments: NamedDependency[AppointmentService]
) -> BookingView:
    return await appointments.of_ticket(hall, ticket_id)


@post(
    f"{_BASE}/find",
    status_code=200,
    summary="Find my bookings (找回预约) by document number and phone number",
    opt={**CHANGES_NOTHING, **limited("lookup")},
)
async def find(
    hall: FromPath[str], data: JSONBody[FindRequest], appointments: NamedDependency[AppointmentService]
) -> list[BookingView]:
    return await appointments.find(hall, data.id_number, data.phone, data.document_kind)


@post(
    f"{_BASE}/{{code:str}}/cancel",
    status_code=200,
    summary="Cancel a booking (取消预约), with the phone number or ID number it was made with",
    opt=limited("lookup"),
)
async def cancel(
    hall: FromPath[str],
    code: FromPath[str],
    appointments: NamedDependency[AppointmentService],
    data: JSONBody[CancelRequest | None] = None,
) -> BookingView:
    proof = data or CancelRequest()
    return await appointments.cancel(hall, code, phone=proof.phone, id_number=proof.id_number)


router = Router(
    path="/",
    route_handlers=[
        items,
        slots,
        phone_code,
        book,
        check_in,
        find,
        cancel_slots,
        today,
        figures,
        by_ticket,
        status,
        cancel,
    ],
    tags=["appointments"],
    exception_handlers={BookingRefused: booking_refused},
)
