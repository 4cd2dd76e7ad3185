"""AB posts over HTTP (managers).

- ``GET /api/halls/{hall}/roster/{day}``   the day's A and B person per counter post
- ``PUT /api/halls/{hall}/roster/{day}``   set them: ``[{"counter": 1, "a": "zhangwei", "b": "lina"}, …]``
- ``GET /api/halls/{hall}/coverage?from=…&to=…&counter=…``  minutes staffed by A, B, others, and
  empty within opening hours, per post and day, with the intervals
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Router, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from config.auth import Principal, manager_guard
from counters.posts import COVERAGE_DAYS, PostCoverage, PostService, RosterCopied, RosterCopy, RosterEntry
from queueing.bounds import LARGE_BODY_BYTES, check_day
from queueing.params import CounterQuery, range_end

__all__ = ["router"]


@get("/api/halls/{hall:str}/roster/{day:date}", guards=[manager_guard], summary="The AB-post roster of a day")
async def get_roster(
    hall: FromPath[str], day: FromPath[dt.date], posts: NamedDependency[PostService]
) -> list[RosterEntry]:
    check_day("day", day)
    return await posts.roster(hall, day)


@put(
    "/api/halls/{hall:str}/roster/{day:date}",
    guards=[manager_guard],
    request_max_body_size=LARGE_BODY_BYTES,
    summary="Set the AB-post roster of a day",
)
async def set_roster(
    hall: FromPath[str],
    day: FromPath[dt.date],
    data: JSONBody[list[RosterEntry]],
    posts: NamedDependency[PostService],
    principal: NamedDependency[Principal],
) -> list[RosterEntry]:
    check_day("day", day)
    return await posts.set_roster(hall, day, data, principal.name)


@post(
    "/api/halls/{hall:str}/roster/copy",
    guards=[manager_guard],
    status_code=200,
    summary="Copy a day's or a week's roster onto later days (a weekly template: one week onto the next ones)",
)
async def copy_roster(
    hall: FromPath[str],
    data: JSONBody[RosterCopy],
    posts: NamedDependency[PostService],
    principal: NamedDependency[Principal],
) -> RosterCopied:
    return await posts.copy_roster(hall, data, principal.name)


@get("/api/halls/{hall:str}/coverage", guards=[manager_guard], summary="AB-post coverage over a date range")
async def post_coverage(
    hall: FromPath[str],
    posts: NamedDependency[PostService],
    since: Annotated[dt.date, range_end("from", COVERAGE_DAYS)],
    until: Annotated[dt.date, range_end("to", COVERAGE_DAYS)],
    counter: CounterQuery = None,
) -> list[PostCoverage]:
    return await posts.coverage(hall, since, until, counter)  # at most COVERAGE_DAYS


router = Router(path="/", route_handlers=[get_roster, set_roster, copy_roster, post_coverage], tags=["AB posts"])
