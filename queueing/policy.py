"""The hall's rules as data: opening hours, issuing and calling policy, and ``HallRules``.

``HallRules`` is everything the core needs to decide, and nothing it has to fetch: the
catalogue, the profiles, the policies and the time zone. It is built from the hall's
TOML file by ``config.halls`` and never changes while a core instance lives.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import re
from functools import cached_property
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from queueing.catalogue import Domain, ServiceItem, TicketGroup
from queueing.kinds import BUILTIN_PROFILES, CallingProfile

__all__ = [
    "CallingPolicy",
    "HallRules",
    "IssuingPolicy",
    "OpeningHours",
    "ReinstatePosition",
    "parse_span",
]

_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_span(text: str) -> tuple[int, int]:
    """'09:00-12:00' -> (540, 720) minutes after midnight."""
    match = _SPAN.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a time span like '09:00-12:00'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end > 24 * 60 or end <= start:
        raise ValueError(f"{text!r} must end after it starts, by 24:00 at the latest")
    return start, end


def _check_spans(spans: list[str]) -> None:
    parsed = sorted(parse_span(s) for s in spans)
    for (_, end), (start, _) in itertools.pairwise(parsed):
        if start < end:
            raise ValueError(f"spans {spans} overlap")


class OpeningHours(msgspec.Struct, frozen=True, forbid_unknown_fields=True, dict=True):
    """Opening hours per weekday, with closed days (holidays) and special days
    (调休 working weekends, 延时/错时服务 extended hours) that replace the weekday's hours."""

    mon: list[str] = msgspec.field(default_factory=lambda: ["09:00-17:00"])
    tue: list[str] = msgspec.field(default_factory=lambda: ["09:00-17:00"])
    wed: list[str] = msgspec.field(default_factory=lambda: ["09:00-17:00"])
    thu: list[str] = msgspec.field(default_factory=lambda: ["09:00-17:00"])
    fri: list[str] = msgspec.field(default_factory=lambda: ["09:00-17:00"])
    sat: list[str] = msgspec.field(default_factory=list)
    sun: list[str] = msgspec.field(default_factory=list)
    closed_dates: list[dt.date] = msgspec.field(default_factory=list)
    special_dates: dict[str, list[str]] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        for day in WEEKDAYS:
            _check_spans(getattr(self, day))
        for day, spans in self.special_dates.items():
            try:
                dt.date.fromisoformat(day)
            except ValueError:
                raise ValueError(f"special_dates key {day!r} is not a date like 2026-09-27") from None
            _check_spans(spans)

    @cached_property
    def _special(self) -> dict[dt.date, list[str]]:
        return {dt.date.fromisoformat(day): spans for day, spans in self.special_dates.items()}

    def spans_on(self, day: dt.date) -> list[tuple[int, int]]:
        """The opening spans of a hall day, in minutes after midnight (empty: closed)."""
        if day in self._special:
            spans = self._special[day]
        elif day in self.closed_dates:
            return []
        else:
            spans = getattr(self, WEEKDAYS[day.weekday()])
        return sorted(parse_span(s) for s in spans)


class ReinstatePosition(enum.StrEnum):
    """Where a reinstated no-show ticket (过号重排) re-enters its line."""

    ORIGINAL = "original"  # its old place, by when it was issued
    BEHIND = "behind"  # ``reinstate_behind`` places behind the head of its line
    END = "end"  # the end of its line, as if just issued


class CallingPolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    max_recalls: int = 2  # 重呼 at most this many times
    no_show_grace_minutes: int = 30  # a 过号 ticket can be reinstated this long
    reinstate_position: ReinstatePosition = ReinstatePosition.BEHIND
    reinstate_behind: int = 3
    fairness_minutes: int | None = 45  # waited this long: taken ahead of everyone; 0 (or None): off
    # what a clerk picks from when pausing (shown on the board and the hall screen)
    pause_reasons: tuple[str, ...] = ("午休", "培训", "会议", "临时离开", "设备故障")

    def __post_init__(self) -> None:
        if self.max_recalls < 0:
            raise ValueError("max_recalls must be 0 or more")
        if self.no_show_grace_minutes < 0:
            raise ValueError("no_show_grace_minutes must be 0 or more")
        if self.reinstate_behind < 0:
            raise ValueError("reinstate_behind must be 0 or more")
        if self.fairness_minutes is not None and self.fairness_minutes < 0:
            raise ValueError("fairness_minutes must be 0 (fairness off) or more")
        if not self.pause_reasons or any(not r.strip() or len(r) > 20 for r in self.pause_reasons):
            raise ValueError("pause_reasons must list at least one reason, each 1 to 20 characters")


class IssuingPolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    outside_hours: bool = False  # issue tickets whatever the clock says (demo, 24 h halls)
    opens_early_minutes: int = 30  # tickets from this long before the day's first opening
    stops_before_close_minutes: int = 0  # no tickets this long before the day's last closing
    green_channel_at_kiosk: bool = True  # False: only staff (the reception desk) issue green tickets


class HallRules(msgspec.Struct, frozen=True, forbid_unknown_fields=True, dict=True):
    """Everything the core needs to decide, for one hall."""

    hall: str
    timezone: str = "Asia/Shanghai"
    domains: tuple[Domain, ...] = ()
    groups: tuple[TicketGroup, ...] = ()
    items: tuple[ServiceItem, ...] = ()
    profiles: dict[str, CallingProfile] = msgspec.field(default_factory=dict)
    calling: CallingPolicy = msgspec.field(default_factory=CallingPolicy)
    issuing: IssuingPolicy = msgspec.field(default_factory=IssuingPolicy)
    hours: OpeningHours = msgspec.field(default_factory=OpeningHours)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def item_by_code(self) -> dict[str, ServiceItem]:
        return {item.code: item for item in self.items}

    @cached_property
    def group_by_prefix(self) -> dict[str, TicketGroup]:
        return {group.prefix: group for group in self.groups}

    @cached_property
    def all_profiles(self) -> dict[str, CallingProfile]:
        return {**BUILTIN_PROFILES, **self.profiles}

    def day_start(self, day: dt.date) -> dt.datetime:
        """The midnight that begins hall day ``day``, in the hall's zone."""
        return dt.datetime.combine(day, dt.time(), tzinfo=self.zone)

    def hall_day(self, at: dt.datetime) -> dt.date:
        """The hall day ("today") of an instant, in the hall's time zone."""
        if at.tzinfo is None:
            raise ValueError("the core takes zone-aware times only")
        return at.astimezone(self.zone).date()

    def issuing_window(self, day: dt.date) -> tuple[int, int] | None:
        """Minutes after midnight between which tickets are issued on ``day`` (None: not at all)."""
        if self.issuing.outside_hours:
            return (0, 24 * 60)
        if day not in self._windows:
            spans = self.hours.spans_on(day)
            self._windows[day] = (
                (
                    max(spans[0][0] - self.issuing.opens_early_minutes, 0),
                    spans[-1][1] - self.issuing.stops_before_close_minutes,
                )
                if spans
                else None
            )
        return self._windows[day]

    @cached_property
    def _windows(self) -> dict[dt.date, tuple[int, int] | None]:
        return {}  # the issuing window of each day asked about (the rules never change)

    def next_opening(self, at: dt.datetime) -> dt.datetime | None:
        """When the hall next opens after ``at``: the morning's opening before it, the
        afternoon's during lunch; None while it is open (a counter can open any minute) and
        after the day's last span."""
        if at.tzinfo is None:
            raise ValueError("the core takes zone-aware times only")
        local = at.astimezone(self.zone)
        minute = local.hour * 60 + local.minute + local.second / 60
        for start, end in self.hours.spans_on(local.date()):
            if start <= minute < end:
                return None
            if start > minute:
                midnight = dt.datetime.combine(local.date(), dt.time(), tzinfo=self.zone)
                return midnight + dt.timedelta(minutes=start)
        return None

    def may_issue_at(self, at: dt.datetime) -> bool:
        if self.issuing.outside_hours:
            return True
        local = at.astimezone(self.zone)
        window = self.issuing_window(local.date())
        return window is not None and window[0] <= local.hour * 60 + local.minute < window[1]
