"""Pages of appointments: booking on a phone (预约取号), a booking's page (预约详情) and its QR code.

- ``GET /halls/{hall}/book``                       pick an item, a day, a slot; give name, document, phone
  (or book for someone: 代办, ``?for=someone`` ticks it, as the service desk's link does)
- ``GET /halls/{hall}/appointments/{code}``        the booking (masked), a countdown, cancel
- ``GET /halls/{hall}/appointments/{code}/qr.svg`` the QR code of that page: scanned at the ticket machine

The pages only ever show the masked person the API returns.
"""

from __future__ import annotations

import datetime as dt

from litestar import Request, Response, Router, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from appointments.people import CONSENT_NOTICE, DOCUMENTS
from appointments.schemas import BookingView
from appointments.service import AppointmentService
from appointments.settings import AppointmentSettings
from config.limits import limited
from printers.api import qr_svg

__all__ = ["STATE_LABELS", "check_in_window", "router", "slot_text"]

STATE_LABELS = {
    "booked": "已预约",
    "checked_in": "已签到",
    "late": "迟到（按现场号办理）",
    "cancelled": "已取消",
    "cancelled_by_hall": "大厅已取消",
    "no_show": "已失约",
}
_WEEKDAYS = "一二三四五六日"


def slot_text(start: dt.datetime, end: dt.datetime) -> str:
    """11月24日 周二 10:00–10:30 (the times as the hall reads them)."""
    return f"{start.month}月{start.day}日 周{_WEEKDAYS[start.weekday()]} {start:%H:%M}–{end:%H:%M}"


def check_in_window(settings: AppointmentSettings, start: dt.datetime | None = None) -> str:
    """When a booking can be checked in, in words; with the clock times of ``start``'s window."""
    text = f"从开始前{settings.early_minutes}分钟至开始后{settings.late_minutes}分钟"
    if start is not None:
        opens = start - dt.timedelta(minutes=settings.early_minutes)
        closes = start + dt.timedelta(minutes=settings.late_minutes)
        text += f"（{opens:%H:%M}–{closes:%H:%M}）"
    return text


@get("/halls/{hall:str}/book", include_in_schema=False)
async def book_page(hall: FromPath[str], appointments: NamedDependency[AppointmentService]) -> Template:
    items = appointments.bookable_items(hall)  # 404 when the hall takes no appointments
    definition = appointments.part(hall)
    settings = definition.settings
    groups = []
    for domain in definition.rules.domains:
        mine = [i for i in items if i.domain == domain.code]
        if mine:
            groups.append({"code": domain.code, "name": domain.name, "name_en": domain.name_en, "items": mine})
    return Template(
        "book.html",
        context={
            "hall": definition.info,
            "groups": groups,
            "documents": DOCUMENTS,
            "consents": CONSENT_NOTICE,
            "page": {
                "hall": hall,
                "zone": definition.info.timezone,
                "days": min(settings.latest_days_ahead + 1, 31),  # today and the days ahead one may book
                "show_days": 7,
                "window": check_in_window(settings),
            },
        },
    )


@get("/halls/{hall:str}/appointments/{code:str}", include_in_schema=False, opt=limited("lookup"))
async def booking_page(
    hall: FromPath[str], code: FromPath[str], appointments: NamedDependency[AppointmentService]
) -> Template:
    booking: BookingView = await appointments.status(hall, code)  # 404 for an unknown code
    definition = appointments.part(hall)
    settings = definition.settings
    return Template(
        "appointment.html",
        context={
            "hall": definition.info,
            "booking": booking,
            "state_label": STATE_LABELS.get(booking.state, booking.state),
            "slot": slot_text(booking.slot_start, booking.slot_end),
            "window": check_in_window(settings, booking.slot_start),
            "late_as_walk_in": settings.late_as_walk_in,
            "cancel_cutoff": settings.cancel_cutoff_minutes,
            "page": {
                "hall": hall,
                "code": booking.code,
                "zone": definition.info.timezone,
                "slot_start": booking.slot_start.isoformat(),
                "state": booking.state,
                "labels": STATE_LABELS,
            },
        },
    )


@get("/halls/{hall:str}/appointments/{code:str}/qr.svg", include_in_schema=False)
async def booking_qr(
    hall: FromPath[str], code: FromPath[str], request: Request, appointments: NamedDependency[AppointmentService]
) -> Response[bytes]:
    booking = await appointments.status(hall, code)
    return Response(
        qr_svg(appointments.page_url(hall, booking.code)),
        media_type="image/svg+xml",
        headers={"Cache-Control": "max-age=86400, immutable"},
    )


router = Router(path="/", route_handlers=[book_page, booking_page, booking_qr])
