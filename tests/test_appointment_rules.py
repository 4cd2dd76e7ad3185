"""The appointment rules, pure: slots from the demo hall's hours, every refusal, check-in windows."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appointments.rules import (
    BookingRefused,
    PastBooking,
    Slot,
    arrival,
    blocked_until,
    check_booking,
    check_cancel,
    day_slots,
    no_show_due,
)
from appointments.settings import AppointmentSettings, BlockRule
from tests.support import demo_hall

ZONE = ZoneInfo("Asia/Shanghai")
SETTINGS = AppointmentSettings(enabled=True, default_capacity=4)
NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=ZONE)  # a Monday morning


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=ZONE)


def slot(start: dt.datetime, minutes: int = 30) -> Slot:
    return Slot(start, start + dt.timedelta(minutes=minutes))


# ---------------------------------------------------------------- slots


def test_slots_follow_the_halls_hours_extended_staggered_and_closed_days() -> None:
    hours = demo_hall().rules.hours
    monday = day_slots(hours, dt.date(2026, 11, 23), 30, ZONE)
    assert monday[0].start == at(23, 9) and monday[-1].end == at(23, 17) and len(monday) == 16
    thursday = day_slots(hours, dt.date(2026, 11, 26), 30, ZONE)  # 延时服务 until 19:00
    assert thursday[-1].end == at(26, 19) and len(thursday) == 20
    saturday = day_slots(hours, dt.date(2026, 11, 28), 30, ZONE)  # 错时服务, mornings
    assert [s.start.hour for s in saturday] == [9, 9, 10, 10, 11, 11]
    assert day_slots(hours, dt.date(2026, 11, 29), 30, ZONE) == []  # Sunday
    assert day_slots(hours, dt.date(2027, 1, 1), 30, ZONE) == []  # a closed date
    assert len(day_slots(hours, dt.date(2026, 10, 10), 30, ZONE)) == 16  # 调休: a Saturday that works
    # 45-minute slots: the remainder of a span shorter than a slot is not offered
    assert day_slots(hours, dt.date(2026, 11, 23), 45, ZONE)[-1].end == at(23, 16, 30)


def test_capacity_by_item_then_group_then_default_less_the_onsite_share() -> None:
    settings = AppointmentSettings(capacity={"A": 8, "QY01": 3}, default_capacity=4, onsite_share=0.25)
    assert settings.capacity_for("QY01", "A") == ("QY01", 2)
    assert settings.capacity_for("QY02", "A") == ("group:A", 6)
    assert settings.capacity_for("SB01", "B") == ("group:B", 3)
    assert AppointmentSettings().capacity_for("SB01", "B") == ("group:B", 0)  # not bookable


@pytest.mark.parametrize(
    ("field", "value"), [("slot_minutes", 3), ("onsite_share", 1.0), ("default_capacity", -1), ("max_active", 0)]
)
def test_bad_settings_say_which(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        AppointmentSettings(**{field: value})


# ---------------------------------------------------------------- booking


def refused(code: str, *args: object) -> BookingRefused:
    with pytest.raises(BookingRefused) as refusal:
        check_booking(*args)  # type: ignore[arg-type]
    assert refusal.value.code == code, refusal.value.message
    assert refusal.value.message_zh and refusal.value.message
    return refusal.value


def test_booking_window_from_an_hour_to_seven_days() -> None:
    check_booking("QY01", slot(at(23, 9)), [], NOW, SETTINGS, ZONE)
    refused("too_soon", "QY01", slot(at(23, 8, 30)), [], NOW, SETTINGS, ZONE)
    check_booking("QY01", slot(at(30, 16)), [], NOW, SETTINGS, ZONE)  # the seventh day
    refused("too_far", "QY01", slot(dt.datetime(2026, 12, 1, 9, tzinfo=ZONE)), [], NOW, SETTINGS, ZONE)


def test_one_active_booking_per_item_per_day_and_limits() -> None:
    mine = [PastBooking("QY01", at(24, 9), NOW, "booked")]
    refused("duplicate", "QY01", slot(at(24, 14)), mine, NOW, SETTINGS, ZONE)
    check_booking("QY02", slot(at(24, 14)), mine, NOW, SETTINGS, ZONE)  # another item
    check_booking("QY01", slot(at(25, 9)), mine, NOW, SETTINGS, ZONE)  # another day
    cancelled = [PastBooking("QY01", at(24, 9), NOW, "cancelled", NOW)]
    check_booking("QY01", slot(at(24, 14)), cancelled, NOW, SETTINGS, ZONE)
    three = [PastBooking(f"QY0{i}", at(24 + i, 9), NOW, "booked") for i in range(3)]
    assert (
        "3个未办理的预约" in refused("too_many_active", "SB01", slot(at(24, 15)), three, NOW, SETTINGS, ZONE).message_zh
    )
    many = [PastBooking("QY01", at(20, 9), NOW - dt.timedelta(days=d), "checked_in") for d in range(10)]
    refused("too_many_bookings", "QY01", slot(at(24, 9)), many, NOW, SETTINGS, ZONE)


def test_other_documents_booked_with_the_phone_count_as_the_persons_but_one_item_a_day_stays_per_document() -> None:
    """A person is the verified phone as well as the document: invented ID numbers buy nothing."""
    theirs = [PastBooking(f"QY0{i}", at(24 + i, 9), NOW, "booked") for i in range(3)]  # others, this phone
    said = refused("too_many_active", "SB01", slot(at(24, 15)), [], NOW, SETTINGS, ZONE, theirs)
    assert said.message_zh.startswith("该手机号已有3个未办理的预约") and said.message.startswith("this phone has 3")
    # a son books his mother and his father for the same item on the same day
    check_booking("QY00", slot(at(24, 10)), [], NOW, SETTINGS, ZONE, theirs[:1])
    many = [PastBooking("QY01", at(20, 9), NOW - dt.timedelta(days=d), "checked_in") for d in range(10)]
    refused("too_many_bookings", "QY01", slot(at(24, 9)), [], NOW, SETTINGS, ZONE, many)
    shows = [PastBooking("QY01", at(d, 9), at(d - 2, 9), "no_show", at(d, 9, 15)) for d in (3, 20)]
    refused("blocked", "QY01", slot(at(24, 9)), [], NOW, SETTINGS, ZONE, shows)


def test_two_no_shows_in_a_month_block_booking_for_a_month_and_say_so() -> None:
    shows = [
        PastBooking("QY01", at(3, 9), at(1, 9), "no_show", at(3, 9, 15)),
        PastBooking("QY01", at(20, 9), at(18, 9), "no_show", at(20, 9, 15)),
    ]
    refusal = refused("blocked", "QY01", slot(at(24, 9)), shows, NOW, SETTINGS, ZONE)
    assert "30天内2次爽约" in refusal.message_zh and "2026年12月20日" in refusal.message_zh
    assert "2026-12-20" in refusal.message
    # a month after the second no-show, the person may book again
    later = at(20, 9, 16) + dt.timedelta(days=30)
    assert blocked_until(shows, later, SETTINGS) is None
    # one no-show alone does not block; two more than 30 days apart neither
    assert blocked_until(shows[1:], NOW, SETTINGS) is None
    apart = [shows[1], PastBooking("QY01", at(1, 9), at(1, 9), "no_show", at(1, 9) - dt.timedelta(days=40))]
    assert blocked_until(apart, NOW, SETTINGS) is None


def test_five_cancellations_in_a_month_block_and_a_hall_cancellation_does_not_count() -> None:
    cancels = [PastBooking("QY01", at(10 + i, 9), at(5, 9), "cancelled", at(5 + i, 9)) for i in range(5)]
    refused("blocked", "QY01", slot(at(24, 9)), cancels, NOW, SETTINGS, ZONE)
    by_hall = [PastBooking("QY01", at(10 + i, 9), at(5, 9), "cancelled_by_hall", at(5 + i, 9)) for i in range(5)]
    check_booking("QY01", slot(at(24, 9)), by_hall, NOW, SETTINGS, ZONE)
    lenient = AppointmentSettings(default_capacity=4, block_rules=(BlockRule("cancel", 6),))
    check_booking("QY01", slot(at(24, 9)), cancels, NOW, lenient, ZONE)


@given(
    days=st.lists(st.integers(min_value=0, max_value=120), min_size=0, max_size=8),
    now_day=st.integers(min_value=0, max_value=200),
)
def test_blocked_exactly_when_two_no_shows_fall_within_30_days_and_the_block_runs(
    days: list[int], now_day: int
) -> None:
    base = dt.datetime(2026, 1, 1, 9, tzinfo=ZONE)
    history = [PastBooking("QY01", base, base, "no_show", base + dt.timedelta(days=d)) for d in days]
    now = base + dt.timedelta(days=now_day, hours=12)
    ends = sorted(days)
    expected = [b + 30 for a, b in itertools.pairwise(ends) if b - a <= 30]
    blocked = blocked_until(history, now, SETTINGS)
    # the block of the latest pair of no-shows within 30 days, if it has not ended yet
    if expected and base + dt.timedelta(days=max(expected)) > now:
        assert blocked is not None and blocked[0] == base + dt.timedelta(days=max(expected))
    else:
        assert blocked is None


# ---------------------------------------------------------------- cancelling and checking in


def test_cancel_cut_off_and_state() -> None:
    check_cancel(at(23, 10), "booked", NOW, SETTINGS)
    with pytest.raises(BookingRefused, match="60 minutes"):
        check_cancel(at(23, 8, 30), "booked", NOW, SETTINGS)
    with pytest.raises(BookingRefused) as refusal:
        check_cancel(at(23, 10), "cancelled", NOW, SETTINGS)
    assert refusal.value.code == "not_active"


def test_check_in_from_thirty_early_to_fifteen_late_then_a_walk_in() -> None:
    booked = slot(at(23, 10))
    with pytest.raises(BookingRefused) as early:
        arrival(booked, "booked", at(23, 9, 29), SETTINGS, ZONE)
    assert early.value.code == "too_early" and early.value.message_zh == "请于09:30后签到"
    with pytest.raises(BookingRefused) as a_day_early:  # the day before: "09:30" alone would read as today's
        arrival(booked, "booked", at(22, 15), SETTINGS, ZONE)
    assert a_day_early.value.message_zh == "请于11月23日 09:30后签到" and "2026-11-23 09:30" in str(a_day_early.value)
    assert arrival(booked, "booked", at(23, 9, 30), SETTINGS, ZONE) == "on_time"
    assert arrival(booked, "booked", at(23, 10, 15), SETTINGS, ZONE) == "on_time"
    assert arrival(booked, "booked", at(23, 10, 16), SETTINGS, ZONE) == "late"
    assert arrival(booked, "no_show", at(23, 15), SETTINGS, ZONE) == "late"  # marked, and came after all
    with pytest.raises(BookingRefused, match="window has passed"):
        arrival(booked, "no_show", at(24, 9), SETTINGS, ZONE)  # not the next day
    strict = AppointmentSettings(late_as_walk_in=False)
    with pytest.raises(BookingRefused) as late:
        arrival(booked, "booked", at(23, 10, 16), strict, ZONE)
    assert late.value.code == "too_late"
    for state, code in (
        ("checked_in", "already_checked_in"),
        ("late", "already_checked_in"),
        ("cancelled", "not_active"),
    ):
        with pytest.raises(BookingRefused) as twice:
            arrival(booked, state, at(23, 10), SETTINGS, ZONE)
        assert twice.value.code == code
    assert no_show_due(booked, SETTINGS) == at(23, 10, 15)


def test_an_id_number_typed_on_a_phone_keyboard_is_the_same_person() -> None:
    from appointments.people import PersonKeys, check_id_number
    from tests.support import id_number

    plain = id_number(7)
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in plain)  # １２３…Ｘ
    assert check_id_number(f" {wide[:6]} {wide[6:]} ".lower()) == plain
    keys = PersonKeys(b"k" * 32)
    assert keys.person_key(wide) == keys.person_key(plain)  # one person, one key
    with pytest.raises(ValueError, match="18 characters"):
        check_id_number("١" * 17 + "1")  # other scripts' digits are not an ID number
