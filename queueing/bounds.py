"""The bounds of the numbers and days a request may carry: one place, stated in the types.

A number past 64 bits cannot be bound to a database column (SQLite and psycopg raise), and a
day near year 1 or 9999 cannot be shifted by a week or into UTC. Each is refused where it
comes in, with a message naming the field, and the OpenAPI document states the bounds.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from queueing.errors import Refusal

# A request's body: a ticket, a booking or a rating is well under 2 KB, so no client makes the
# server hold more than this for it; a scenario or a day's roster (a row per counter) may be
# larger, and their routes say so.
BODY_BYTES = 16 * 1024
LARGE_BODY_BYTES = 256 * 1024

__all__ = [
    "BODY_BYTES",
    "COUNTER_MAX",
    "DAY_RULE",
    "FIRST_DAY",
    "INT64_MAX",
    "LARGE_BODY_BYTES",
    "LAST_DAY",
    "MAX_RANGE_DAYS",
    "CounterCount",
    "CounterLimit",
    "CounterNumber",
    "Day",
    "OutOfBounds",
    "Replications",
    "RowNumber",
    "Seed",
    "check_day",
    "check_days",
    "within_calendar",
]

INT64_MAX = 2**63 - 1
COUNTER_MAX = 9999
# A counter's number as a hall file gives it and a board shows it (窗口号).
CounterNumber = Annotated[int, msgspec.Meta(ge=1, le=COUNTER_MAX, description="a counter's number (窗口号)")]
# How many counters: of a kind open in an hour (0 or more), open at once at most (1 or more).
CounterCount = Annotated[int, msgspec.Meta(ge=0, le=COUNTER_MAX)]
CounterLimit = Annotated[int, msgspec.Meta(ge=1, le=COUNTER_MAX)]
# A row's number, as a 64-bit column holds it (a service, an announcement).
RowNumber = Annotated[int, msgspec.Meta(ge=1, le=INT64_MAX)]
# A simulation's days and its random seed.
Replications = Annotated[int, msgspec.Meta(ge=1, le=100_000)]
Seed = Annotated[int, msgspec.Meta(ge=0, le=INT64_MAX)]

# The days a hall can have a record, a roster, a booking or a plan of.
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)
MAX_RANGE_DAYS = 366  # a range of days asked at once (a year, a leap year's too)
DAY_RULE = f"a day from {FIRST_DAY} to {LAST_DAY}"
# A request's day: the rule said in the OpenAPI document, kept by ``within_calendar``.
Day = Annotated[dt.date, msgspec.Meta(description=DAY_RULE)]


class OutOfBounds(Refusal):
    """A day or a range of days outside what the hall can have: the request's fault (400)."""

    status_code = 400
    code = "out_of_bounds"


def check_day(field: str, day: dt.date | None) -> None:
    """Refuse ``day`` outside FIRST_DAY..LAST_DAY, naming the field."""
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise OutOfBounds(
            f"{field}: {day} is out of range: {DAY_RULE}", f"日期超出范围（{field}）：应在{FIRST_DAY}至{LAST_DAY}之间"
        )


def check_days(since: dt.date, until: dt.date, most: int = MAX_RANGE_DAYS) -> None:
    """Refuse a range of days (the query's ``from`` and ``to``) that is reversed, out of bounds,
    or longer than ``most`` days."""
    check_day("from", since)
    check_day("to", until)
    if until < since:
        raise OutOfBounds(f"from ({since}) is after to ({until})", "开始日期不能晚于结束日期")
    if (until - since).days + 1 > most:
        raise OutOfBounds(
            f"from–to: {(until - since).days + 1} days asked; at most {most} days at once",
            f"日期范围过长：一次最多{most}天",
        )


def within_calendar(field: str, day: dt.date | None) -> None:
    """A body's day, checked in its struct's ``__post_init__`` (a ValueError is msgspec's
    validation error: a 400 when a request carries it, the file and field when a file does)."""
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{field}: {day} is out of range: {DAY_RULE}")
