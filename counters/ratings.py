"""好差评 (service ratings, 国办发〔2019〕51号; DB31/T 862 10.1), pure: the five levels and their
scores, what a bad rating needs, follow-up cases and their deadlines in working days, the
rule that counts an unrated service after N days, and the statistics. No clock, no database.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Literal

import msgspec

from queueing.policy import OpeningHours
from queueing.ports import RatingLevelChoice

__all__ = [
    "CallOutcome",
    "CaseState",
    "CaseTier",
    "Level",
    "RatingRules",
    "RatingStats",
    "add_working_days",
    "case_transition",
    "level_choices",
    "stats",
]


class Level(enum.StrEnum):
    """The five levels, best first."""

    VERY_SATISFIED = "very_satisfied"  # 非常满意
    SATISFIED = "satisfied"  # 满意
    BASIC = "basic"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意
    VERY_DISSATISFIED = "very_dissatisfied"  # 非常不满意

    @property
    def label_zh(self) -> str:
        return _LABELS[self]

    @property
    def bad(self) -> bool:
        """差评: the last two levels, which open a follow-up case."""
        return self in (Level.DISSATISFIED, Level.VERY_DISSATISFIED)


_LABELS = {
    Level.VERY_SATISFIED: "非常满意",
    Level.SATISFIED: "满意",
    Level.BASIC: "基本满意",
    Level.DISSATISFIED: "不满意",
    Level.VERY_DISSATISFIED: "非常不满意",
}


# How pages offer the levels, best to worst: green to red.
_COLOURS = {
    # dark enough for white text (and for coloured text on white) at 5:1 or more (WCAG AA)
    Level.VERY_SATISFIED: "#1b6e34",
    Level.SATISFIED: "#4a7c14",
    Level.BASIC: "#8a6500",
    Level.DISSATISFIED: "#b24a0c",
    Level.VERY_DISSATISFIED: "#c62828",
}
_ENGLISH = {
    Level.VERY_SATISFIED: "Very satisfied",
    Level.SATISFIED: "Satisfied",
    Level.BASIC: "Fair",
    Level.DISSATISFIED: "Dissatisfied",
    Level.VERY_DISSATISFIED: "Very dissatisfied",
}


def level_choices() -> list[RatingLevelChoice]:
    """The five levels as the pad and the ticket's page offer them, best first."""
    return [
        RatingLevelChoice(level.value, level.label_zh, _ENGLISH[level], level.bad, _COLOURS[level]) for level in Level
    ]


MAX_REASONS = 3  # a bad rating names at most this many reasons


def joined_reasons(reasons: tuple[str, ...]) -> str:
    """How several reasons are kept in one column (and read back with ``split_reasons``)."""
    return "、".join(reasons)


def split_reasons(kept: str) -> list[str]:
    return [r for r in kept.split("、") if r]


class RatingRules(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The hall file's ``[ratings]``."""

    scores: dict[str, int] = msgspec.field(
        default_factory=lambda: {
            "very_satisfied": 10,
            "satisfied": 8,
            "basic": 6,
            "dissatisfied": 3,
            "very_dissatisfied": 0,
        }
    )
    bad_reasons: tuple[str, ...] = (
        "等候时间过长",
        "服务态度不好",
        "业务不熟练",
        "一次告知不清",
        "材料要求不合理",
        "办理时限过长",
        "其他",
    )
    # the tier a new case opens at (DB31/T 862 10.1.3: 1, 5 or 15 working days); the manager
    # handling it may set another, or record it solved on the spot
    case_working_days: int = 5
    pad_timeout_seconds: int = 60  # the pad goes back to idle if nobody rates
    auto_after_days: int | None = None  # e.g. 7: an unrated service counts as ``auto_level`` then
    auto_level: Level = Level.VERY_SATISFIED
    # Days after the service a real-name rating keeps its phone (masked and sealed, for the
    # call-back); a case still being handled keeps it until it is closed (fixed or void).
    keep_personal_days: int = 90

    def __post_init__(self) -> None:
        if not 30 <= self.keep_personal_days <= 3660:
            raise ValueError("keep_personal_days must be from 30 to 3660 (a month for call-backs, ten years at most)")
        if set(self.scores) != {level.value for level in Level}:
            raise ValueError(f"scores must give each level: {', '.join(level.value for level in Level)}")
        if not self.bad_reasons:
            raise ValueError("bad_reasons: at least one reason")
        # up to three are kept joined by 、 in a column of 40: each short, none holding a 、, each once
        if any(not r or len(r) > 12 or "、" in r for r in self.bad_reasons):
            raise ValueError("bad_reasons: each 1 to 12 characters, without 、")
        if len(set(self.bad_reasons)) != len(self.bad_reasons):
            raise ValueError("bad_reasons: each reason once")
        if self.case_working_days not in _TIER_OF_DAYS:
            raise ValueError("case_working_days must be 1, 5 or 15 (the tiers of DB31/T 862 10.1.3)")
        if self.auto_after_days is not None and not 1 <= self.auto_after_days <= 90:
            raise ValueError("auto_after_days must be from 1 to 90")

    def score(self, level: Level) -> int:
        return self.scores[level.value]

    def check(self, level: Level, reasons: tuple[str, ...], text: str) -> None:
        """ValueError unless a rating of ``level`` with these reasons (a bad one: one to three of
        the hall's) and text may be stored."""
        if level.bad and not reasons:
            raise ValueError(f"a rating of {level.label_zh} needs one of the reasons: {', '.join(self.bad_reasons)}")
        if not level.bad and reasons:
            raise ValueError("only 不满意 and 非常不满意 take a reason")
        unknown = [r for r in reasons if r not in self.bad_reasons]
        if unknown:
            raise ValueError(f"reasons: {', '.join(unknown)} not among the hall's: {', '.join(self.bad_reasons)}")
        if len(set(reasons)) != len(reasons) or len(reasons) > MAX_REASONS:
            raise ValueError(f"reasons: one to {MAX_REASONS}, each once")
        if len(joined_reasons(reasons)) > 40:
            raise ValueError("reasons: together at most 40 characters")
        if len(text) > 500:
            raise ValueError("text: at most 500 characters")


def add_working_days(start: dt.date, days: int, hours: OpeningHours) -> dt.date:
    """The ``days``-th working day after ``start`` (a day the hall opens: weekends, closed
    dates and holidays do not count; a 调休 working weekend does)."""
    day, left = start, days
    for _ in range(days * 7 + 60):  # a hall open at least once a week
        day += dt.timedelta(days=1)
        if hours.spans_on(day):
            left -= 1
            if left == 0:
                return day
    raise ValueError("the hall's hours have no working day in sight")


class CaseState(enum.StrEnum):
    """A bad rating's follow-up (差评整改): open → replied (the citizen told) → fixed (the cause
    fixed, closed); or appealed (申诉, a mistaken or malicious rating) → void, or back to open."""

    OPEN = "open"
    REPLIED = "replied"
    FIXED = "fixed"
    APPEALED = "appealed"
    VOID = "void"


CaseAction = Literal["reply", "fix", "appeal", "uphold_appeal", "reject_appeal"]


class CaseTier(enum.StrEnum):
    """How soon a bad rating is put right (DB31/T 862 10.1.3, “1、5、15”): on the spot, or
    within 1, 5 or 15 working days, by how involved the fix is."""

    ON_THE_SPOT = "on_the_spot"  # 当场解决
    ONE_DAY = "one_day"  # 1个工作日
    FIVE_DAYS = "five_days"  # 5个工作日
    FIFTEEN_DAYS = "fifteen_days"  # 15个工作日

    @property
    def working_days(self) -> int:
        return _TIER_DAYS[self]

    @property
    def label_zh(self) -> str:
        return "当场解决" if self is CaseTier.ON_THE_SPOT else f"{self.working_days}个工作日"

    @staticmethod
    def of_days(days: int) -> CaseTier:
        return _TIER_OF_DAYS[days]

    def deadline(self, opened: dt.date, hours: OpeningHours) -> dt.date:
        """The last day to put it right: the day it opened (on the spot), or the tier's working days after."""
        return opened if self is CaseTier.ON_THE_SPOT else add_working_days(opened, self.working_days, hours)


_TIER_DAYS = {CaseTier.ON_THE_SPOT: 0, CaseTier.ONE_DAY: 1, CaseTier.FIVE_DAYS: 5, CaseTier.FIFTEEN_DAYS: 15}
_TIER_OF_DAYS = {days: tier for tier, days in _TIER_DAYS.items() if days}


class CallOutcome(enum.StrEnum):
    """A call-back's outcome (回访): only a call that reached the citizen answers the rating."""

    REACHED = "reached"  # 已接通，已答复
    NO_ANSWER = "no_answer"  # 未接通
    WRONG_NUMBER = "wrong_number"  # 号码有误

    @property
    def label_zh(self) -> str:
        return {"reached": "已接通并答复", "no_answer": "未接通", "wrong_number": "号码有误"}[self.value]


_CASE_MOVES: dict[tuple[CaseState, str], CaseState] = {
    (CaseState.OPEN, "reply"): CaseState.REPLIED,
    (CaseState.REPLIED, "fix"): CaseState.FIXED,
    (CaseState.OPEN, "appeal"): CaseState.APPEALED,
    (CaseState.REPLIED, "appeal"): CaseState.APPEALED,
    (CaseState.APPEALED, "uphold_appeal"): CaseState.VOID,
    (CaseState.APPEALED, "reject_appeal"): CaseState.OPEN,
}


def case_transition(state: CaseState, action: CaseAction) -> CaseState:
    try:
        return _CASE_MOVES[(state, action)]
    except KeyError:
        allowed = sorted(a for (s, a) in _CASE_MOVES if s == state)
        raise ValueError(
            f"a case that is {state.value} cannot be {action}: " + (", ".join(allowed) or "it is finished")
        ) from None


class Rated(msgspec.Struct, frozen=True):
    """One rating, as the statistics need it."""

    level: Level
    counter: int
    staff: str
    item: str
    day: dt.date
    real_name: bool = False  # the citizen left a name or phone: the reply rate counts it
    replied: bool = False
    auto: bool = False  # counted by the rule for unrated services


class RatingStats(msgspec.Struct, frozen=True):
    key: str
    ratings: int
    levels: dict[str, int]
    score: float | None  # mean score, None without ratings
    bad_share: float | None
    real_name_bad: int
    real_name_bad_replied: int
    reply_rate: float | None  # of real-name bad ratings (target 100 %)


def stats(
    rated: Iterable[Rated], rules: RatingRules, by: Literal["counter", "staff", "item", "day"]
) -> list[RatingStats]:
    groups: dict[str, list[Rated]] = {}
    for rating in rated:
        key = str(getattr(rating, by))
        groups.setdefault(key, []).append(rating)
    result = []
    for key in sorted(groups):
        group = groups[key]
        levels = {level.value: sum(r.level is level for r in group) for level in Level}
        bad = [r for r in group if r.level.bad]
        real = [r for r in bad if r.real_name]
        replied = sum(r.replied for r in real)
        result.append(
            RatingStats(
                key=key,
                ratings=len(group),
                levels=levels,
                score=round(sum(rules.score(r.level) for r in group) / len(group), 2),
                bad_share=round(len(bad) / len(group), 4),
                real_name_bad=len(real),
                real_name_bad_replied=replied,
                reply_rate=round(replied / len(real), 4) if real else None,
            )
        )
    return result
