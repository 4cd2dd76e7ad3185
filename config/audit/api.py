"""Searching the audit trail: ``GET /api/halls/{hall}/audit`` (``reader_guard``: managers, inspectors)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Router, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter

from config.audit.schemas import AuditPage, AuditQuery
from config.audit.store import AuditStore
from config.auth import reader_guard
from config.database import in_thread
from queueing.bounds import check_day
from queueing.errors import Invalid
from queueing.service import HallRuntime

__all__ = ["router"]


def _instant(name: str, value: str | None, runtime: HallRuntime, end: bool) -> dt.datetime | None:
    """A query's instant: zone-aware, or a date meaning the hall's day (its start, or for an end
    its end). A ``+`` of a zone sent unencoded arrives as a space: taken back."""
    if not value:
        return None
    value = value.strip().replace(" ", "+")
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            check_day(name, day)  # the calendar's edges (0001-01-01, 9999-12-31) cannot be stored
            return dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time(), runtime.hall.rules.zone)
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{name}: {value!r} is neither a date nor an instant", f"{name} 的日期时间格式有误") from None
    if instant.tzinfo is None:
        raise Invalid(f"{name}: give the zone ({value}+08:00) or a date", f"{name} 须带时区（如 +08:00）或只给日期")
    check_day(name, instant.date())
    return instant


@get(
    "/api/halls/{hall:str}/audit",
    guards=[reader_guard],
    summary="Search the audit trail (审计日志): who did what, when, from where; newest first",
)
async def search_audit(
    hall: FromPath[str],
    audit: NamedDependency[AuditStore],
    runtime: NamedDependency[HallRuntime],
    actor: FromQuery[str | None] = None,
    action: Annotated[str | None, QueryParameter(description="a prefix: auth. or PUT /api/halls/{hall}/roster")] = None,
    outcome: Annotated[str | None, QueryParameter(description="ok, or a refusal's status (403)")] = None,
    since: Annotated[str | None, QueryParameter(description="a date (the hall's day) or a zoned instant")] = None,
    until: Annotated[str | None, QueryParameter(description="a date (up to its end) or a zoned instant")] = None,
    before: Annotated[int | None, QueryParameter(ge=1, le=2**62, description="the previous page's next_before")] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
) -> AuditPage:
    query = AuditQuery(
        actor=actor or None,
        action=action or None,
        outcome=outcome or None,
        since=_instant("since", since, runtime, end=False),
        until=_instant("until", until, runtime, end=True),
        before=before,
        limit=limit + 1,  # one more: whether there is another page
    )
    found = await in_thread(audit.search, hall, query)
    entries = found[:limit]
    return AuditPage(entries=entries, next_before=entries[-1].id if len(found) > limit else None)


router = Router(path="/", route_handlers=[search_audit], tags=["audit"])
