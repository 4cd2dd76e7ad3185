"""Pages of the counters: the list of counters, the counter's virtual caller (虚拟叫号器), its
evaluation pad (评价器), and the managers' pages: AB posts (AB岗排班与在岗情况) and ratings (好差评)."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Router, get
from litestar.di import NamedDependency
from litestar.response import Template

from config.settings import Settings
from counters.ratings import Level, level_choices
from counters.settings import CounterHall
from queueing.errors import NotFound
from queueing.params import CounterParam
from queueing.policy import WEEKDAYS, OpeningHours, parse_span
from queueing.service import HallRuntime

__all__ = ["router"]


@get("/halls/{hall:str}/counters", include_in_schema=False)
async def counter_list(runtime: NamedDependency[HallRuntime]) -> Template:
    counters = await runtime.read(lambda q, at: [q.counter_view(n) for n in sorted(q.counters)])
    return Template("counters.html", context={"hall": runtime.hall.info, "counters": counters})


@get("/halls/{hall:str}/counters/{counter:int}", include_in_schema=False)
async def counter_page(
    counter: CounterParam, runtime: NamedDependency[HallRuntime], settings: NamedDependency[Settings]
) -> Template:
    view = await runtime.read(lambda q, at: q.counter_view(counter))
    rules = runtime.hall.rules
    return Template(
        "counter.html",
        context={
            "hall": runtime.hall.info,
            "counter": view,
            "items": rules.items,
            "pause_reasons": rules.calling.pause_reasons,
            "max_recalls": rules.calling.max_recalls,
            "grace_minutes": rules.calling.no_show_grace_minutes,
            "heartbeat": settings.device_heartbeat_seconds,
        },
    )


@get("/halls/{hall:str}/desk", include_in_schema=False)
async def service_desk(runtime: NamedDependency[HallRuntime], counter_hall: NamedDependency[CounterHall]) -> Template:
    """服务台/导办台: find a ticket and act on it, issue or check in for someone (staff)."""
    machines = [d.name for d in counter_hall.devices if d.kind == "ticket_machine"]
    context = {
        "hall": runtime.hall.info, "items": runtime.hall.rules.items, "machines": machines,
        "counters": [(c.number, c.name) for c in runtime.hall.counters],
    }  # fmt: skip
    return Template("desk.html", context=context)


@get("/halls/{hall:str}/counters/{counter:int}/pad", include_in_schema=False)
async def evaluation_pad(
    counter: CounterParam, counter_hall: NamedDependency[CounterHall], settings: NamedDependency[Settings]
) -> Template:
    """The counter's evaluation pad (评价器): a tablet facing the citizen, on the counter's device channel."""
    spec = counter_hall.counter(counter)
    if spec is None:
        raise NotFound(f"counter {counter} does not exist in hall {counter_hall.id}", f"{counter}号窗口不存在")
    rules = counter_hall.ratings
    return Template(
        "pad.html",
        context={
            "hall": msgspec.to_builtins(counter_hall.info),
            "counter": spec,
            "heartbeat": settings.device_heartbeat_seconds,
            "staff_numbers": {s.username: s.staff_no for s in counter_hall.staff},
            "staff_photos": {s.username: s.photo for s in counter_hall.staff if s.photo},
            "levels": msgspec.to_builtins(level_choices()),
            "reasons": list(rules.bad_reasons),
            "timeout": rules.pad_timeout_seconds,
        },
    )


def _axis(hours: OpeningHours) -> tuple[int, int]:
    """The minutes of the day a coverage timeline spans: the hall's earliest opening to its latest closing."""
    spans = [parse_span(s) for day in WEEKDAYS for s in getattr(hours, day)]
    spans += [parse_span(s) for day in hours.special_dates.values() for s in day]
    if not spans:
        return (9 * 60, 17 * 60)
    return (min(a for a, _ in spans), max(b for _, b in spans))


def manage_context(runtime: HallRuntime, part: CounterHall, settings: Settings) -> dict:
    """What both manager pages put in the page: the hall, its counters and staff, its day."""
    return {
        "hall": part.info,
        "today": part.rules.hall_day(runtime.clock()).isoformat(),
        "heartbeat": settings.device_heartbeat_seconds,
        "axis": _axis(part.rules.hours),
        "counters": [{"number": c.number, "name": c.name} for c in sorted(part.counters, key=lambda c: c.number)],
        "staff": [{"username": s.username, "name": s.name, "role": s.role, "staff_no": s.staff_no} for s in part.staff],
    }


@get("/halls/{hall:str}/manage/posts", include_in_schema=False)
async def manage_posts(
    runtime: NamedDependency[HallRuntime],
    counter_hall: NamedDependency[CounterHall],
    settings: NamedDependency[Settings],
) -> Template:
    context = manage_context(runtime, counter_hall, settings)
    return Template("manage_posts.html", context={**context, "page": "posts"})


@get("/halls/{hall:str}/manage/ratings", include_in_schema=False)
async def manage_ratings(
    runtime: NamedDependency[HallRuntime],
    counter_hall: NamedDependency[CounterHall],
    settings: NamedDependency[Settings],
) -> Template:
    context = manage_context(runtime, counter_hall, settings)
    today = dt.date.fromisoformat(context["today"])
    context.update(
        page="ratings",
        since=(today - dt.timedelta(days=30)).isoformat(),
        items=[{"code": i.code, "name": i.name} for i in counter_hall.rules.items],
        levels=[{"value": level.value, "name": level.label_zh, "bad": level.bad} for level in Level],
        score_max=max(counter_hall.ratings.scores.values()),  # the scale the mean is read on
    )
    return Template("manage_ratings.html", context=context)


@get("/halls/{hall:str}/manage/audit", include_in_schema=False)
async def manage_audit(
    runtime: NamedDependency[HallRuntime],
    counter_hall: NamedDependency[CounterHall],
    settings: NamedDependency[Settings],
) -> Template:
    """审计日志: who did what, when and from where (the search of ``GET /api/halls/{hall}/audit``)."""
    context = manage_context(runtime, counter_hall, settings)
    today = dt.date.fromisoformat(context["today"])
    context.update(page="audit", since=(today - dt.timedelta(days=7)).isoformat())
    return Template("manage_audit.html", context=context)


router = Router(
    path="/",
    route_handlers=[
        counter_list,
        counter_page,
        service_desk,
        evaluation_pad,
        manage_posts,
        manage_ratings,
        manage_audit,
    ],
)
