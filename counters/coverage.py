"""AB-post coverage (AB岗顶岗补位, DB31/T 862 9.2.5), pure: who staffed a counter post when.

A post is staffed while someone is signed in at its counter and the counter is serving (open,
not paused); by its A person (A岗), its B person (B岗) or someone else. Inside the hall's
opening hours every minute is exactly one of those or empty (空岗). The hall's record of
sign-ins, sign-outs, pauses and re-openings goes in; the intervals and their minutes come out.
No clock, no database: the service and the tests feed the same function.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Literal

import msgspec

__all__ = ["Coverage", "Interval", "Presence", "Roster", "coverage"]

Who = Literal["A", "B", "other", "empty"]


class Roster(msgspec.Struct, frozen=True):
    """A post's A person and B person for a day (usernames; empty: not set)."""

    a: str = ""
    b: str = ""

    def role(self, staff: str) -> Who:
        if staff and staff == self.a:
            return "A"
        if staff and staff == self.b:
            return "B"
        return "other"


class Presence(msgspec.Struct, frozen=True):
    """One change at a counter, from the hall's record."""

    at: dt.datetime
    kind: Literal["signed_in", "signed_out", "paused", "opened", "closed"]
    staff: str = ""  # who signed in or out
    reason: str = ""  # why paused (休息, 开会, 后台办理 …)


class Interval(msgspec.Struct, frozen=True):
    start: dt.datetime
    end: dt.datetime
    who: Who
    staff: str = ""  # the person at the post ("" when empty)
    reason: str = ""  # when empty: why (the pause's reason, or 无人签到 / 已关闭)

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


class Coverage(msgspec.Struct, frozen=True):
    intervals: tuple[Interval, ...]

    def minutes(self, who: Who) -> float:
        return sum(i.minutes for i in self.intervals if i.who == who)

    @property
    def open_minutes(self) -> float:
        return sum(i.minutes for i in self.intervals)


def coverage(
    open_spans: Sequence[tuple[dt.datetime, dt.datetime]],
    changes: Iterable[Presence],
    roster: Roster,
    *,
    signed_in: str = "",
    serving: bool = False,
    until: dt.datetime | None = None,
) -> Coverage:
    """Intervals covering ``open_spans`` exactly (clipped at ``until``, e.g. now), from the
    counter's ``changes`` in time order. ``signed_in`` and ``serving`` are the state before the
    first change (a day's record starts with everyone signed out and counters closed)."""
    staff, open_, paused, reason = signed_in, serving, False, ""
    timeline: list[tuple[dt.datetime, str, bool, str]] = []  # (from, staff, serving, reason)
    first = open_spans[0][0] if open_spans else None
    if first is not None:
        timeline.append((first, staff, open_ and not paused, reason))
    for change in sorted(changes, key=lambda c: c.at):
        if change.kind == "signed_in":
            staff = change.staff
        elif change.kind == "signed_out":
            staff = "" if change.staff in ("", staff) else staff
        elif change.kind == "paused":
            # signing out pauses the counter by itself ("signed_out"): keep the reason given before
            if change.reason and change.reason != "signed_out":
                reason = change.reason
            elif not paused:
                reason = ""
            paused = True
        elif change.kind == "opened":
            open_, paused, reason = True, False, ""
        elif change.kind == "closed":
            open_, paused, reason = False, False, ""
        timeline.append((change.at, staff, open_ and not paused, reason if paused else ""))

    intervals: list[Interval] = []
    for span_start, span_end in open_spans:
        end_of_span = min(span_end, until) if until is not None else span_end
        if end_of_span <= span_start:
            continue
        cursor = span_start
        # the state at the span's start, then each change inside the span
        state = _state_at(timeline, span_start)
        for at, who, on, why in timeline:
            if span_start < at < end_of_span:
                _add(intervals, cursor, at, state, roster)
                cursor, state = at, (who, on, why)
        _add(intervals, cursor, end_of_span, state, roster)
    return Coverage(tuple(intervals))


def _state_at(timeline: list[tuple[dt.datetime, str, bool, str]], at: dt.datetime) -> tuple[str, bool, str]:
    state = ("", False, "")
    for when, who, on, why in timeline:
        if when > at:
            break
        state = (who, on, why)
    return state


def _add(
    intervals: list[Interval], start: dt.datetime, end: dt.datetime, state: tuple[str, bool, str], roster: Roster
) -> None:
    if end <= start:
        return
    staff, on, why = state
    if staff and on:
        who: Who = roster.role(staff)
        piece = Interval(start, end, who, staff)
    else:
        piece = Interval(start, end, "empty", "", why or ("无人签到" if not staff else "暂停服务"))
    last = intervals[-1] if intervals else None
    if (
        last is not None
        and last.end == start
        and (last.who, last.staff, last.reason) == (piece.who, piece.staff, piece.reason)
    ):
        intervals[-1] = Interval(last.start, end, last.who, last.staff, last.reason)  # one interval, not two
    else:
        intervals.append(piece)
