"""AB-post coverage arithmetic: examples and properties (intervals never overlap, staffed plus
empty is exactly the opening time, and every instant agrees with replaying the record)."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from counters.coverage import Coverage, Presence, Roster, coverage
from tests.support import SHANGHAI

DAY = dt.datetime(2026, 11, 23, tzinfo=SHANGHAI)
ROSTER = Roster(a="zhangwei", b="lina")


def t(hour: int, minute: int = 0) -> dt.datetime:
    return DAY.replace(hour=hour, minute=minute)


SPANS = [(t(9), t(12)), (t(13), t(17))]


def test_a_morning_with_a_break_covered_by_b_and_an_empty_half_hour() -> None:
    changes = [
        Presence(t(8, 50), "signed_in", "zhangwei"),
        Presence(t(8, 55), "opened"),
        Presence(t(10), "paused", reason="休息"),
        Presence(t(10, 10), "signed_in", "lina"),  # B covers the post
        Presence(t(10, 12), "opened"),
        Presence(t(10, 40), "signed_out", "lina"),
        Presence(t(10, 40), "paused", reason="签退"),
        Presence(t(11, 10), "signed_in", "zhangwei"),
        Presence(t(11, 10), "opened"),
        Presence(t(12), "signed_out", "zhangwei"),
        Presence(t(12), "closed"),
        Presence(t(13, 5), "signed_in", "wangfang"),  # someone else in the afternoon
        Presence(t(13, 5), "opened"),
    ]
    result = coverage(SPANS, changes, ROSTER)
    assert [
        (i.start.strftime("%H:%M"), i.end.strftime("%H:%M"), i.who, i.staff or i.reason) for i in result.intervals
    ] == [
        ("09:00", "10:00", "A", "zhangwei"),
        ("10:00", "10:12", "empty", "休息"),
        ("10:12", "10:40", "B", "lina"),
        ("10:40", "11:10", "empty", "签退"),
        ("11:10", "12:00", "A", "zhangwei"),
        ("13:00", "13:05", "empty", "无人签到"),
        ("13:05", "17:00", "other", "wangfang"),
    ]
    assert result.minutes("A") == 110 and result.minutes("B") == 28 and result.minutes("other") == 235
    assert result.minutes("empty") == 12 + 30 + 5 and result.open_minutes == 7 * 60


def test_until_now_clips_the_day() -> None:
    result = coverage(SPANS, [Presence(t(9), "signed_in", "lina"), Presence(t(9), "opened")], ROSTER, until=t(9, 45))
    assert [(i.who, i.minutes) for i in result.intervals] == [("B", 45)]
    assert coverage(SPANS, [], ROSTER, until=t(8)).intervals == ()


# ---------------------------------------------------------------- properties

STAFF = ("zhangwei", "lina", "wangfang")
change = st.builds(
    lambda minute, kind, who, reason: Presence(DAY + dt.timedelta(minutes=minute), kind, who, reason),
    st.integers(min_value=7 * 60, max_value=19 * 60),
    st.sampled_from(["signed_in", "signed_out", "paused", "opened", "closed"]),
    st.sampled_from(STAFF),
    st.sampled_from(["", "休息", "开会", "后台办理"]),
)
spans = st.lists(st.integers(min_value=8 * 60, max_value=18 * 60), min_size=2, max_size=4, unique=True).map(
    lambda marks: [
        (DAY + dt.timedelta(minutes=a), DAY + dt.timedelta(minutes=b))
        for a, b in zip(sorted(marks)[::2], sorted(marks)[1::2], strict=False)
    ]
)


def replay(changes: list[Presence], at: dt.datetime) -> tuple[str, bool]:
    """The post at instant ``at``, by replaying every change up to it: who, and serving."""
    staff, open_, paused = "", False, False
    for c in sorted(changes, key=lambda c: c.at):
        if c.at > at:
            break
        if c.kind == "signed_in":
            staff = c.staff
        elif c.kind == "signed_out" and c.staff in ("", staff):
            staff = ""
        elif c.kind == "paused":
            paused = True
        elif c.kind == "opened":
            open_, paused = True, False
        elif c.kind == "closed":
            open_, paused = False, False
    return staff, open_ and not paused


@settings(max_examples=300, deadline=None)
@given(spans=spans, changes=st.lists(change, max_size=25), probe=st.lists(st.integers(0, 12 * 60), max_size=20))
def test_intervals_partition_the_opening_time_and_agree_with_the_record(
    spans: list, changes: list[Presence], probe: list[int]
) -> None:
    result: Coverage = coverage(spans, changes, ROSTER)
    intervals = result.intervals
    # never overlapping, in order, each inside an opening span, none empty
    for first, second in itertools.pairwise(intervals):
        assert first.end <= second.start
    assert all(i.start < i.end and any(s <= i.start and i.end <= e for s, e in spans) for i in intervals)
    # staffed + empty = open time, exactly
    open_minutes = sum((e - s).total_seconds() / 60 for s, e in spans)
    assert abs(result.open_minutes - open_minutes) < 1e-9
    assert abs(sum(result.minutes(w) for w in ("A", "B", "other", "empty")) - open_minutes) < 1e-9
    # every instant inside the opening time: the interval holding it agrees with the record
    for offset in probe:
        at = DAY + dt.timedelta(hours=7, minutes=offset)
        holding = [i for i in intervals if i.start <= at < i.end]
        inside = any(s <= at < e for s, e in spans)
        assert len(holding) == (1 if inside else 0)
        if holding:
            staff, serving = replay(changes, at)
            interval = holding[0]
            if staff and serving:
                assert interval.staff == staff and interval.who == ROSTER.role(staff)
            else:
                assert interval.who == "empty" and interval.staff == ""
