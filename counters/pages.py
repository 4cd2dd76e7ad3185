"""Pages of the counters: the list of counters and the counter's virtual caller (虚拟叫号器)."""

from __future__ import annotations

from litestar import Router, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from queueing.service import HallRegistry

__all__ = ["router"]


@get("/halls/{hall:str}/counters", include_in_schema=False)
async def counter_list(hall: FromPath[str], registry: NamedDependency[HallRegistry]) -> Template:
    runtime = registry.get(hall)
    counters = await runtime.read(lambda q, at: [q.counter_view(n) for n in sorted(q.counters)])
    return Template("counters.html", context={"hall": runtime.definition.info, "counters": counters})


@get("/halls/{hall:str}/counters/{counter:int}", include_in_schema=False)
async def counter_page(
    hall: FromPath[str], counter: FromPath[int], registry: NamedDependency[HallRegistry]
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
        },
    )


router = Router(path="/", route_handlers=[counter_list, counter_page])
