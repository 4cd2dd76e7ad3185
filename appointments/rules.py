"""The appointment rules (预约规则), pure: slots from opening hours, who may book, check-in
windows and no-shows. No clock, database or network: the time and the person's history come
in, decisions go out, so the service and the tests ask the same questions.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import msgspec

from appointments.settings import AppointmentSettings
from queueing.policy import OpeningHours

__all__ = [
    "Arrival",
    "BookingRefused",
    "PastBooking",
    "Slot",
    "arrival",
    "blocked_until",
    "check_booking",
    "check_cancel",
    "day_slots",
    "no_show_due",
]


class Slot(msgspec.Struct, frozen=True):
    start: dt.datetime  # aware, in the hall's zone
    end: dt.datetime


class BookingRefused(Exception):
    """A booking, cancellation or check-in the rules do not allow, with a reason a person
    can act on, in Chinese and English; ``code`` for programs."""

    def __init__(self, code: str, message_zh: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message_zh, self.message = code, message_zh, message


class PastBooking(msgspec.Struct, frozen=True):
    """One of a person's bookings, as the rules need it."""

    item: str
    slot_start: dt.datetime
    created_at: dt.datetime
    state: str  # booked, checked_in, cancelled, no_show, cancelled_by_hall
    ended_at: dt.datetime | None = None  # when cancelled or marked a no-show


def day_slots(hours: OpeningHours, day: dt.date, slot_minutes: int, zone: ZoneInfo) -> list[Slot]:
    """Every whole slot inside the day's opening spans (none on closed days); a span's
    remainder shorter than a slot is not offered."""
    slots = []
    midnight = dt.datetime.combine(day, dt.time(), zone)
    for begin, end in hours.spans_on(day):
        start = begin
        while start + slot_minutes <= end:
            at = midnight + dt.timedelta(minutes=start)  # wall-clock arithmetic in the hall's zone
            slots.append(Slot(at, at + dt.timedelta(minutes=slot_minutes)))
            start += slot_minutes
    return slots


def blocked_until(
    history: list[PastBooking], now: dt.datetime, settings: AppointmentSettings
) -> tuple[dt.datetime, str] | None:
    """Until when, and why, the rules keep this person from booking (None: they may)."""
    worst: tuple[dt.datetime, str] | None = None
    for rule in settings.block_rules:
        state = "no_show" if rule.kind == "no_show" else "cancelled"
        ends = sorted(b.ended_at for b in history if b.state == state and b.ended_at is not None)
        window = dt.timedelta(days=rule.within_days)
        # the most recent run of ``count`` events inside the window decides
        for index in range(len(ends) - rule.count, -1, -1):
            first, last = ends[index], ends[index + rule.count - 1]
            if last - first <= window:
                until = last + dt.timedelta(days=rule.block_days)
                if until > now and (worst is None or until > worst[0]):
                    words = "次爽约" if rule.kind == "no_show" else "次取消预约"
                    worst = (until, f"{rule.within_days}天内{rule.count}{words}")
                break
    return worst


def check_booking(
    item: str,
    slot: Slot,
    history: list[PastBooking],
    now: dt.datetime,
    settings: AppointmentSettings,
    zone: ZoneInfo,
    others: list[PastBooking] | None = None,
) -> None:
    """Raise ``BookingRefused`` unless this person may book ``item`` at ``slot`` now
    (capacity is the store's to check, atomically). ``others``: the bookings of other documents
    made with this booking's phone. A person is the phone as well as the document (invented ID
    numbers buy nothing): the phone's bookings count towards the blocks, ``max_active`` and
    ``max_bookings_30_days``; one item once a day stays the document's (a son may book his
    mother and his father for the same item)."""
    others = others or []
    if slot.start - now < dt.timedelta(minutes=settings.earliest_minutes_ahead):
        raise BookingRefused(
            "too_soon",
            f"请至少提前{settings.earliest_minutes_ahead}分钟预约",
            f"book at least {settings.earliest_minutes_ahead} minutes ahead",
        )
    last_day = now.astimezone(zone).date() + dt.timedelta(days=settings.latest_days_ahead)
    if slot.start.astimezone(zone).date() > last_day:
        raise BookingRefused(
            "too_far",
            f"最多可预约{settings.latest_days_ahead}天内的时段",
            f"slots can be booked at most {settings.latest_days_ahead} days ahead",
        )
    if (blocked := blocked_until(history + others, now, settings)) is not None:
        until, why = blocked
        day = until.astimezone(zone)
        raise BookingRefused(
            "blocked",
            f"因{why}，{day:%Y年%m月%d日}前暂停预约",
            f"booking is suspended until {day:%Y-%m-%d} ({why.replace('天内', ' days: ')})",
        )

    def active(bookings: list[PastBooking]) -> list[PastBooking]:
        return [b for b in bookings if b.state == "booked" and b.slot_start > now]

    day = slot.start.astimezone(zone).date()
    same = [b for b in active(history) if b.item == item and b.slot_start.astimezone(zone).date() == day]
    if len(same) >= settings.per_person_item_day:
        raise BookingRefused(
            "duplicate",
            "您当天已预约该事项，请勿重复预约",
            "you already have a booking for this item on that day",
        )
    # said of the phone when its other bookings are what the bound is reached with
    if len(open_ := active(history + others)) >= settings.max_active:
        who_zh, who = ("该手机号", "this phone has") if len(active(history)) < len(open_) else ("您", "you have")
        raise BookingRefused(
            "too_many_active",
            f"{who_zh}已有{len(open_)}个未办理的预约，请先办理或取消",
            f"{who} {len(open_)} open bookings; use or cancel one first",
        )
    recent = [b for b in history + others if now - b.created_at <= dt.timedelta(days=30)]
    if len(recent) >= settings.max_bookings_30_days:
        raise BookingRefused(
            "too_many_bookings",
            f"30天内最多预约{settings.max_bookings_30_days}次（同一证件或手机号）",
            f"at most {settings.max_bookings_30_days} bookings in 30 days (per document or phone)",
        )


def check_cancel(slot_start: dt.datetime, state: str, now: dt.datetime, settings: AppointmentSettings) -> None:
    if state != "booked":
        raise BookingRefused("not_active", "该预约已办理、已取消或已失效", f"the booking is {state.replace('_', ' ')}")
    if slot_start - now < dt.timedelta(minutes=settings.cancel_cutoff_minutes):
        raise BookingRefused(
            "cancel_too_late",
            f"距预约时段开始不足{settings.cancel_cutoff_minutes}分钟，不能取消",
            f"a booking cannot be cancelled later than {settings.cancel_cutoff_minutes} minutes before its slot",
        )


Arrival = str  # "on_time": an appointment ticket, ordered by slot; "late": a walk-in ticket


def arrival(slot: Slot, state: str, now: dt.datetime, settings: AppointmentSettings, zone: ZoneInfo) -> Arrival:
    """How a check-in at ``now`` is treated, or ``BookingRefused``. A booking already marked
    a no-show may still come late the same day, if late arrivals become walk-ins."""
    if state in ("checked_in", "late"):
        raise BookingRefused(
            "already_checked_in", "该预约已签到取号，请勿重复签到", "this booking is already checked in"
        )
    if state not in ("booked", "no_show"):
        raise BookingRefused("not_active", "该预约已取消或已失效", f"the booking is {state.replace('_', ' ')}")
    opens = slot.start - dt.timedelta(minutes=settings.early_minutes)
    if now < opens:
        local = opens.astimezone(zone)
        when_zh = when = f"{local:%H:%M}"
        if local.date() != now.astimezone(zone).date():  # another day's window: "09:30" alone reads as today's
            when_zh, when = f"{local:%m月%d日 %H:%M}", f"{local:%Y-%m-%d %H:%M}"
        raise BookingRefused("too_early", f"请于{when_zh}后签到", f"check-in opens at {when}")
    if now <= no_show_due(slot, settings) and state == "booked":
        return "on_time"
    if settings.late_as_walk_in and now.astimezone(zone).date() == slot.start.astimezone(zone).date():
        return "late"
    raise BookingRefused(
        "too_late", "已超过签到时间，预约已失效，请现场取号", "the check-in window has passed; take a ticket on site"
    )


def no_show_due(slot: Slot, settings: AppointmentSettings) -> dt.datetime:
    """When a booking not checked in becomes a no-show: the end of its check-in window."""
    return slot.start + dt.timedelta(minutes=settings.late_minutes)
