"""The manager's planning over HTTP (managers of the hall): the simulator and the advice, run in
the statistics worker process.

- ``GET  /api/halls/{hall}/planning/forecast?day=``   the day's expected arrivals, the forecast's past
  error, and the day as a scenario (the page's starting point)
- ``POST /api/halls/{hall}/planning/simulate``        a scenario (the scenario file as JSON) → results
- ``POST /api/halls/{hall}/planning/advise``          a scenario with a target → the advised plan
- ``POST /api/halls/{hall}/planning/replay``          a recorded day with other counters
- ``POST /api/halls/{hall}/planning/what-if``         from now, with a manager's changes
- ``POST /api/halls/{hall}/planning/chart.svg``       hour-by-hour results as a chart

A scenario here is the scenario file's content as JSON (``hall`` left out: the URL's hall).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, TypeVar

import msgspec
from litestar import Response, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from config.audit.marks import CHANGES_NOTHING
from config.auth import manager_guard
from counters.manage.planning import ForecastAnswer, ReplayRequest, ReplayResult, WhatIfRequest
from counters.manage.worker import ReportWorker
from queueing.bounds import DAY_RULE, LARGE_BODY_BYTES, check_day
from queueing.errors import Invalid
from queueing.records import HallSnapshot
from queueing.service import HallRuntime
from queueing.simulation.advice import Advice
from queueing.simulation.results import SimulationResult
from queueing.simulation.scenario import ScenarioFile
from queueing.simulation.whatif import WhatIfResult

__all__ = ["ChartRequest", "LabelledResult", "router"]

T = TypeVar("T")
_MAX_REPLICATIONS = 5000  # over the API (the command line takes more)


class LabelledResult(msgspec.Struct, frozen=True):
    label: str
    result: SimulationResult


class ChartRequest(msgspec.Struct, frozen=True):
    results: Annotated[list[LabelledResult], msgspec.Meta(min_length=1, max_length=4)]  # said in the document
    target_minutes: float | None = None


def _scenario_limits(scenario: ScenarioFile) -> None:
    if scenario.scenario.replications > _MAX_REPLICATIONS:
        raise Invalid(
            f"scenario.replications: at most {_MAX_REPLICATIONS} over the API (use `hall simulate` for more)",
            f"模拟次数最多{_MAX_REPLICATIONS}次",
        )


async def _ask(reports: ReportWorker, action: str, hall: str, request: object, now: dt.datetime, answer: type[T]) -> T:
    """A planning request to the report worker, its answer decoded."""
    return msgspec.msgpack.decode(await reports.plan(action, hall, request, now), type=answer)


@get("/api/halls/{hall:str}/planning/forecast", guards=[manager_guard], summary="A day's demand forecast (预测)")
async def forecast(
    hall: FromPath[str],
    runtime: NamedDependency[HallRuntime],
    reports: NamedDependency[ReportWorker],
    day: Annotated[
        dt.date | None, QueryParameter(description=f"the day (default: the next working day), {DAY_RULE}")
    ] = None,
) -> ForecastAnswer:
    now = runtime.clock()
    rules = runtime.hall.rules
    check_day("day", day)
    if day is None:
        day = rules.hall_day(now) + dt.timedelta(days=1)
        while not rules.hours.spans_on(day) and day < rules.hall_day(now) + dt.timedelta(days=30):
            day += dt.timedelta(days=1)
    return await _ask(reports, "forecast", hall, day, now, ForecastAnswer)


@post(
    "/api/halls/{hall:str}/planning/simulate",
    request_max_body_size=LARGE_BODY_BYTES,
    opt=CHANGES_NOTHING,
    status_code=200,
    guards=[manager_guard],
    summary="Simulate a day, many times",
)
async def simulate(
    hall: FromPath[str],
    data: JSONBody[ScenarioFile],
    runtime: NamedDependency[HallRuntime],
    reports: NamedDependency[ReportWorker],
) -> SimulationResult:
    _scenario_limits(data)
    return await _ask(reports, "simulate", hall, data, runtime.clock(), SimulationResult)


@post(
    "/api/halls/{hall:str}/planning/advise",
    request_max_body_size=LARGE_BODY_BYTES,
    opt=CHANGES_NOTHING,
    status_code=200,
    guards=[manager_guard],
    summary="The plan that meets a target",
)
async def advise(
    hall: FromPath[str],
    data: JSONBody[ScenarioFile],
    runtime: NamedDependency[HallRuntime],
    reports: NamedDependency[ReportWorker],
) -> Advice:
    _scenario_limits(data)
    if data.target is None:
        raise Invalid("target: the advice needs a target (hourly_mean_wait_minutes or service_level)", "请设定服务目标")
    return await _ask(reports, "advise", hall, data, runtime.clock(), Advice)


@post(
    "/api/halls/{hall:str}/planning/replay",
    request_max_body_size=LARGE_BODY_BYTES,
    opt=CHANGES_NOTHING,
    status_code=200,
    guards=[manager_guard],
    summary="A recorded day with other counters",
)
async def replay(
    hall: FromPath[str],
    data: JSONBody[ReplayRequest],
    runtime: NamedDependency[HallRuntime],
    reports: NamedDependency[ReportWorker],
) -> ReplayResult:
    now = runtime.clock()
    if data.day >= runtime.hall.rules.hall_day(now):
        raise Invalid(f"day: {data.day} is not over yet; replay a past day", "只能回放已结束的日期")
    return await _ask(reports, "replay", hall, data, now, ReplayResult)


@post(
    "/api/halls/{hall:str}/planning/what-if",
    request_max_body_size=LARGE_BODY_BYTES,
    opt=CHANGES_NOTHING,
    status_code=200,
    guards=[manager_guard],
    summary="The rest of today, with changes",
)
async def what_if(
    hall: FromPath[str],
    data: JSONBody[WhatIfRequest],
    runtime: NamedDependency[HallRuntime],
    reports: NamedDependency[ReportWorker],
) -> WhatIfResult:
    return await what_if_now(runtime, reports, data)


async def what_if_now(
    runtime: HallRuntime,
    reports: ReportWorker,
    request: WhatIfRequest,
    taken: tuple[HallSnapshot, dt.datetime] | None = None,
) -> WhatIfResult:
    """The rest of today from the live hall (as it is now, or as ``taken``, with when), with
    ``request``'s changes, in the worker: for the manager's page and the live view's remedies."""
    snapshot, now = taken or await take_snapshot(runtime)
    return await _ask(reports, "what_if", runtime.id, (snapshot, request), now, WhatIfResult)


async def take_snapshot(runtime: HallRuntime) -> tuple[HallSnapshot, dt.datetime]:
    """The live hall now, and when."""
    return await runtime.read(lambda queue, at: (queue.export(), at))


@post(
    "/api/halls/{hall:str}/planning/chart.svg",
    request_max_body_size=LARGE_BODY_BYTES,
    opt=CHANGES_NOTHING,
    status_code=200,
    guards=[manager_guard],
    summary="Results hour by hour, as a chart",
    media_type="image/svg+xml",
)
async def chart(
    hall: FromPath[str], data: JSONBody[ChartRequest], reports: NamedDependency[ReportWorker]
) -> Response[bytes]:
    if not 1 <= len(data.results) <= 4:
        raise Invalid("results: from one to four results to draw", "图表最多比较四个方案")
    svg = await reports.plan_chart(data)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


router = Router(path="/", route_handlers=[forecast, simulate, advise, replay, what_if, chart], tags=["planning"])
