"""Pages of the counters: the list of counters, the counter's virtual caller (虚拟叫号器), and
the managers' pages: AB posts (AB岗排班与在岗情况) and ratings (好差评)."""

from __future__ import annotations

import datetime as dt

from litestar import Request, Router, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from counters.ratings import Level
from queueing.policy import WEEKDAYS, OpeningHours, parse_span
from queueing.service import HallRegistry, HallRuntime

__all__ = ["router"]


def _heartbeat(request: Request) -> float:
    return request.app.state.settings.device_heartbeat_seconds


@get("/halls/{hall:str}/counters", include_in_schema=False)
async def counter_list(hall: FromPath[str], registry: NamedDependency[HallRegistry]) -> Template:
    runtime = registry.get(hall)
    counters = await runtime.read(lambda q, at: [q.counter_view(n) for n in sorted(q.counters)])
    return Template("counters.html", context={"hall": runtime.definition.info, "counters": counters})


@get("/halls/{hall:str}/counters/{counter:int}", include_in_schema=False)
async def counter_page(
    hall: FromPath[str], counter: FromPath[int], registry: NamedDependency[HallRegistry], request: Request
) -> Template:
    runtime = registry.get(hall)
    view = await runtime.read(lambda q, at: q.counter_view(counter))
    counters = await runtime.read(lambda q, at: [(n, q.counters[n].spec.name) for n in sorted(q.counters)])
    rules = runtime.definition.rules
    return Template(
        "counter.html",
        context={
            "hall": runtime.definition.info,
            "counter": view,
            "counters": counters,
            "items": rules.items,
            "max_recalls": rules.calling.max_recalls,
            "grace_minutes": rules.calling.no_show_grace_minutes,
            "heartbeat": _heartbeat(request),
        },
    )


def _axis(hours: OpeningHours) -> tuple[int, int]:
    """The minutes of the day a coverage timeline spans: the hall's earliest opening to its latest closing."""
    spans = [parse_span(s) for day in WEEKDAYS for s in getattr(hours, day)]
    spans += [parse_span(s) for day in hours.special_dates.values() for s in day]
    if not spans:
        return (9 * 60, 17 * 60)
    return (min(a for a, _ in spans), max(b for _, b in spans))


def _manage_context(runtime: HallRuntime, request: Request) -> dict:
    """What both manager pages put in the page: the hall, its counters and staff, its day."""
    definition = runtime.definition
    today = definition.rules.hall_day(runtime.clock())
    return {
        "hall": definition.info,
        "today": today.isoformat(),
        "heartbeat": _heartbeat(request),
        "axis": _axis(definition.rules.hours),
        "counters": [{"number": c.number, "name": c.name} for c in sorted(definition.counters, key=lambda c: c.number)],
        "staff": [
            {"username": s.username, "name": s.name, "role": s.role, "staff_no": s.staff_no} for s in definition.staff
        ],
    }


@get("/halls/{hall:str}/manage/posts", include_in_schema=False)
async def manage_posts(hall: FromPath[str], registry: NamedDependency[HallRegistry], request: Request) -> Template:
    runtime = registry.get(hall)
    return Template("manage_posts.html", context={**_manage_context(runtime, request), "page": "posts"})


@get("/halls/{hall:str}/manage/ratings", include_in_schema=False)
async def manage_ratings(hall: FromPath[str], registry: NamedDependency[HallRegistry], request: Request) -> Template:
    runtime = registry.get(hall)
    context = _manage_context(runtime, request)
    today = dt.date.fromisoformat(context["today"])
    context.update(
        page="ratings",
        since=(today - dt.timedelta(days=30)).isoformat(),
        items=[{"code": i.code, "name": i.name} for i in runtime.definition.rules.items],
        levels=[{"value": level.value, "name": level.label_zh, "bad": level.bad} for level in Level],
    )
    return Template("manage_ratings.html", context=context)


router = Router(path="/", route_handlers=[counter_list, counter_page, manage_posts, manage_ratings])
