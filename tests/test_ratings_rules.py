"""好差评 rules, pure: levels and scores, bad ratings' reasons, working-day deadlines on the
demo hall's calendar, case transitions, statistics."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counters.ratings import (
    CaseState,
    Level,
    Rated,
    RatingRules,
    add_working_days,
    case_transition,
    joined_reasons,
    split_reasons,
    stats,
)
from tests.support import demo_hall

RULES = RatingRules()
HOURS = demo_hall().rules.hours


def test_levels_scores_and_which_are_bad() -> None:
    assert [level.label_zh for level in Level] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert [RULES.score(level) for level in Level] == [10, 8, 6, 3, 0]
    assert [level.bad for level in Level] == [False, False, False, True, True]


def test_a_bad_rating_needs_one_to_three_listed_reasons_and_a_good_one_none() -> None:
    RULES.check(Level.SATISFIED, (), "")
    RULES.check(Level.DISSATISFIED, ("等候时间过长",), "排了一个小时")
    RULES.check(Level.VERY_DISSATISFIED, ("等候时间过长", "服务态度不好", "一次告知不清"), "")
    with pytest.raises(ValueError, match="needs one of the reasons"):
        RULES.check(Level.VERY_DISSATISFIED, (), "")
    with pytest.raises(ValueError, match="天气不好 not among"):
        RULES.check(Level.DISSATISFIED, ("等候时间过长", "天气不好"), "")
    with pytest.raises(ValueError, match="each once"):
        RULES.check(Level.DISSATISFIED, ("其他", "其他"), "")
    with pytest.raises(ValueError, match="one to 3"):
        RULES.check(Level.DISSATISFIED, ("等候时间过长", "服务态度不好", "业务不熟练", "其他"), "")
    with pytest.raises(ValueError, match="only"):
        RULES.check(Level.SATISFIED, ("等候时间过长",), "")
    with pytest.raises(ValueError, match="500"):
        RULES.check(Level.DISSATISFIED, ("其他",), "x" * 501)
    assert split_reasons(joined_reasons(("等候时间过长", "其他"))) == ["等候时间过长", "其他"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("scores", {"satisfied": 8}),
        ("bad_reasons", ()),
        ("bad_reasons", ("材料多、跑多次",)),
        ("bad_reasons", ("一二三四五六七八九十一二三",)),
        ("bad_reasons", ("其他", "其他")),
        ("case_working_days", 0),
    ],
)
def test_bad_rules_say_which(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        RatingRules(**{field: value})


def test_working_days_skip_sundays_and_closed_dates_and_count_saturday_mornings() -> None:
    # the demo hall opens Saturday mornings and is closed Sundays
    friday = dt.date(2026, 11, 27)
    assert add_working_days(friday, 1, HOURS) == dt.date(2026, 11, 28)  # Saturday (错时服务)
    assert add_working_days(friday, 2, HOURS) == dt.date(2026, 11, 30)  # Sunday skipped
    # 国庆: 10-01, 10-02, 10-05 closed; 10-10 a 调休 working Saturday
    assert add_working_days(dt.date(2026, 9, 30), 1, HOURS) == dt.date(2026, 10, 3)
    assert add_working_days(dt.date(2026, 12, 31), 1, HOURS) == dt.date(2027, 1, 2)  # New Year's Day closed


@given(start=st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)), days=st.integers(1, 20))
def test_the_deadline_is_a_working_day_with_exactly_n_working_days_up_to_it(start: dt.date, days: int) -> None:
    deadline = add_working_days(start, days, HOURS)
    assert HOURS.spans_on(deadline)
    between = [start + dt.timedelta(days=d) for d in range(1, (deadline - start).days + 1)]
    assert sum(bool(HOURS.spans_on(day)) for day in between) == days


def test_case_moves_and_refusals() -> None:
    assert case_transition(CaseState.OPEN, "reply") is CaseState.REPLIED
    assert case_transition(CaseState.REPLIED, "fix") is CaseState.FIXED
    assert case_transition(CaseState.OPEN, "appeal") is CaseState.APPEALED
    assert case_transition(CaseState.APPEALED, "uphold_appeal") is CaseState.VOID
    assert case_transition(CaseState.APPEALED, "reject_appeal") is CaseState.OPEN
    with pytest.raises(ValueError, match="cannot be fix: appeal, reply"):
        case_transition(CaseState.OPEN, "fix")
    with pytest.raises(ValueError, match="it is finished"):
        case_transition(CaseState.VOID, "reply")


def test_statistics_per_counter_with_scores_bad_share_and_reply_rate() -> None:
    day = dt.date(2026, 11, 23)
    rated = [
        Rated(Level.VERY_SATISFIED, 1, "zhangwei", "QY01", day),
        Rated(Level.SATISFIED, 1, "zhangwei", "QY01", day),
        Rated(Level.DISSATISFIED, 1, "zhangwei", "QY02", day, real_name=True, replied=True),
        Rated(Level.VERY_DISSATISFIED, 1, "zhangwei", "QY02", day, real_name=True),
        Rated(Level.BASIC, 2, "lina", "SB01", day),
    ]
    one, two = stats(rated, RULES, "counter")
    assert (one.key, one.ratings, one.score, one.bad_share) == ("1", 4, 5.25, 0.5)
    assert (one.real_name_bad, one.real_name_bad_replied, one.reply_rate) == (2, 1, 0.5)
    assert one.levels["very_satisfied"] == 1 and one.levels["basic"] == 0
    assert (two.score, two.bad_share, two.reply_rate) == (6.0, 0.0, None)
    assert [s.key for s in stats(rated, RULES, "item")] == ["QY01", "QY02", "SB01"]
