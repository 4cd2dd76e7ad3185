"""The manager's pages: 大厅实况 (the live view, acting on the hall), 统计报表 (reports) and
排班规划 (planning: the forecast, the plan grid, the simulator and its advice, replays)."""

from __future__ import annotations

from litestar import Router, get
from litestar.di import NamedDependency
from litestar.response import Template

from config.settings import Settings
from counters.pages import manage_context
from counters.settings import CounterHall
from queueing.kinds import BUILTIN_PROFILES, CounterKind
from queueing.service import HallRuntime

__all__ = ["router"]

CHARTS = (
    ("hourly", "各时段到达与等候"),
    ("groups", "各业务组等候时间"),
    ("utilisation", "窗口利用率"),
    ("heatmap", "星期 × 时段 平均等候"),
    ("mix", "窗口配置与无差别占比"),
)
_DIMENSIONS = (
    ("group", "业务组"), ("hour", "时段"), ("day", "日"), ("week", "周"), ("month", "月"), ("weekday", "星期"),
    ("item", "事项"), ("domain", "领域"), ("priority", "类别"), ("channel", "取号方式"), ("counter", "窗口"),
    ("kind", "窗口类型"), ("clerk", "工作人员"),
)  # fmt: skip
_EXPORTS = (
    ("tickets", "逐号明细"), ("figures:day", "按日"), ("figures:hour", "按时段"), ("figures:group", "按业务组"),
    ("figures:item", "按事项"), ("counters:counter", "窗口"), ("clerks", "工作人员"), ("estimates:ahead", "预计准确度"),
    ("mix", "窗口配置"), ("appointments", "预约"),
)  # fmt: skip


@get("/halls/{hall:str}/manage", include_in_schema=False)
async def live_page(
    runtime: NamedDependency[HallRuntime],
    counter_hall: NamedDependency[CounterHall],
    settings: NamedDependency[Settings],
) -> Template:
    rules = counter_hall.rules
    context = manage_context(runtime, counter_hall, settings)
    context.update(
        page="live",
        target=counter_hall.stats.service_level_minutes,  # the what-if's target wait, to begin with
        kinds=[{"value": k.value, "name": k.label_zh} for k in CounterKind],
        domains=[{"code": d.code, "name": d.name} for d in rules.domains],
        items=[{"code": i.code, "name": i.name} for i in rules.items],
        profiles=sorted({*BUILTIN_PROFILES, *rules.profiles}),
    )
    return Template("manage_live.html", context=context)


@get("/halls/{hall:str}/manage/reports", include_in_schema=False)
async def reports_page(
    runtime: NamedDependency[HallRuntime],
    counter_hall: NamedDependency[CounterHall],
    settings: NamedDependency[Settings],
) -> Template:
    context = manage_context(runtime, counter_hall, settings)
    context.update(
        page="reports",
        target=counter_hall.stats.service_level_minutes,
        charts=[list(c) for c in CHARTS],
        dimensions=_DIMENSIONS,
        exports=_EXPORTS,
    )
    return Template("manage_reports.html", context=context)


@get("/halls/{hall:str}/manage/planning", include_in_schema=False)
async def planning_page(
    runtime: NamedDependency[HallRuntime],
    counter_hall: NamedDependency[CounterHall],
    settings: NamedDependency[Settings],
) -> Template:
    from queueing.simulation.advice import kind_label
    from queueing.simulation.engine import counters_by_kind

    context = manage_context(runtime, counter_hall, settings)
    kinds = {kind: len(numbers) for kind, numbers in counters_by_kind(counter_hall.counters).items()}
    domains = {d.code: d.name for d in counter_hall.rules.domains}

    def label(kind: str) -> str:
        if kind.startswith("domain:"):
            return "分领域·" + "+".join(domains.get(c, c) for c in kind.removeprefix("domain:").split("+"))
        return kind_label(kind)

    context.update(
        page="planning",
        target=counter_hall.stats.service_level_minutes,
        kinds=[{"key": k, "name": label(k), "count": n} for k, n in kinds.items()],
        item_names={i.code: i.name for i in counter_hall.rules.items},
    )
    return Template("manage_planning.html", context=context)


router = Router(path="/", route_handlers=[live_page, reports_page, planning_page])
