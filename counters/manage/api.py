"""The manager's hall over HTTP (managers; ``/api/stats`` for whoever manages every hall named).

- ``GET /api/halls/{hall}/stats?from=&to=&by=&target=``      the report (every figure)
- ``GET /api/stats?halls=a,b&from=&to=``                       the same over several halls
- ``GET /api/halls/{hall}/stats/export?table=&format=``       a table as CSV or XLSX
- ``GET /api/halls/{hall}/stats/report.pdf?period=&day=``     the day's, week's, month's or year's report
- ``GET /api/halls/{hall}/stats/charts/{chart}.svg``            a chart
- ``GET /api/halls/{hall}/live``                                the live view now
- ``ws  /ws/halls/{hall}/manage?token=``                        the live view as it changes

Dates are hall days (``2026-11-23``); ``from`` defaults to ``to``, ``to`` to today. A range
with no data gives zeros and empty charts; a malformed one a 4xx naming the field.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from typing import Annotated, Literal

import msgspec
from litestar import Response, Router, WebSocket, get, websocket
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException, WebSocketDisconnect
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import File

from config.auth import Authenticator, Principal, manager_guard, refuse_socket, staff_guard
from config.settings import Settings
from counters.manage.exports import table_names
from counters.manage.feed import LiveFeed, LiveMessage
from counters.manage.report import (
    CHART_DIMENSIONS,
    PERIODS,
    Report,
    ReportRequest,
    check_request,
    default_dimensions,
)
from counters.manage.worker import ReportWorker
from displays.sessions import until_gone
from queueing.bounds import DAY_RULE, check_day
from queueing.errors import Invalid, NotFound
from queueing.service import HallRegistry, HallRuntime

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

__all__ = ["router"]

_report_decoder = msgspec.msgpack.Decoder(Report)
FromDate = Annotated[str | None, QueryParameter(name="from", description="the first hall day, 2026-11-23")]
ToDate = Annotated[str | None, QueryParameter(name="to", description="the last hall day, 2026-11-30 (default: today)")]


def _day(field: str, text: str | None) -> dt.date | None:
    """A hall day from the query, or a refusal that names the field."""
    if text is None or text == "":
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise Invalid(
            f"{field}: {text[:20]!r} is not a date like 2026-11-23", f"日期格式有误（{field}），应如 2026-11-23"
        ) from None
    check_day(field, day)
    return day


By = Annotated[
    str | None,
    QueryParameter(description="dimensions, comma-separated: " + ", ".join(default_dimensions())),
]
Target = Annotated[int | None, QueryParameter(ge=1, le=240, description="minutes (default: the hall's)")]


def _request(
    halls: tuple[str, ...], runtime: HallRuntime, registry: HallRegistry, since_text: str | None,
    until_text: str | None, by: str | None, target: int | None,
) -> ReportRequest:  # fmt: skip
    """The report asked for, by ``runtime``'s clock and day, checked here (where a refusal keeps
    its Chinese), not in the worker."""
    now = runtime.clock()
    since, until = _day("from", since_text), _day("to", until_text)
    until = until or runtime.hall.rules.hall_day(now)
    dimensions = tuple(d.strip() for d in by.split(",") if d.strip()) if by else default_dimensions()
    request = ReportRequest(
        halls=halls, since=since or until, until=until, by=dimensions, target_minutes=target, now=now
    )
    check_request(request, {r.id for r in registry})
    return request


async def _report(worker: ReportWorker, request: ReportRequest) -> Report:
    return _report_decoder.decode(await worker.report(request))


@get("/api/halls/{hall:str}/stats", guards=[manager_guard], summary="Statistics of a hall over a range of days")
async def hall_stats(
    hall: FromPath[str],
    runtime: NamedDependency[HallRuntime],
    reports: NamedDependency[ReportWorker],
    registry: NamedDependency[HallRegistry],
    since: FromDate = None,
    until: ToDate = None,
    by: By = None,
    target: Target = None,
) -> Report:
    return await _report(reports, _request((hall,), runtime, registry, since, until, by, target))


@get("/api/stats", guards=[staff_guard], summary="Statistics over several halls (a manager of every one of them)")
async def city_stats(
    halls: Annotated[str, QueryParameter(description="hall ids, comma-separated")],
    principal: NamedDependency[Principal],
    auth: NamedDependency[Authenticator],
    reports: NamedDependency[ReportWorker],
    registry: NamedDependency[HallRegistry],
    since: FromDate = None,
    until: ToDate = None,
    by: By = None,
    target: Target = None,
) -> Report:
    wanted = tuple(dict.fromkeys(h.strip() for h in halls.split(",") if h.strip()))
    known = {r.id for r in registry}
    if unknown := [h for h in wanted if h not in known]:
        raise NotFound(f"halls: no hall {', '.join(unknown)}", "没有该大厅")
    if not_managed := [h for h in wanted if not auth.reads_reports_of(principal, h)]:
        raise PermissionDeniedException(
            detail=f"halls: {principal.name} is not a manager of {', '.join(not_managed)}",
            extra={"detail_zh": "您不是所选全部大厅的管理人员"},
        )
    runtime = registry.get(wanted[0]) if wanted else next(iter(registry))
    return await _report(reports, _request(wanted, runtime, registry, since, until, by, target))


async def _remove(path: object) -> None:
    with contextlib.suppress(OSError):
        await asyncio.to_thread(path.unlink)  # type: ignore[attr-defined]


@get(
    "/api/halls/{hall:str}/stats/export",
    guards=[manager_guard],
    summary="A table of the statistics as CSV (UTF-8 with BOM) or XLSX",
    description="table: " + ", ".join(table_names()),
    opt={"media_types": ["text/csv", XLSX]},  # by ?format= (the OpenAPI document lists both)
)
async def export_table(
    hall: FromPath[str],
    runtime: NamedDependency[HallRuntime],
    reports: NamedDependency[ReportWorker],
    registry: NamedDependency[HallRegistry],
    table: Annotated[str, QueryParameter(description="tickets, figures:hour, counters:counter …")] = "tickets",
    form: Annotated[Literal["csv", "xlsx"], QueryParameter(name="format")] = "xlsx",
    since: FromDate = None,
    until: ToDate = None,
    target: Target = None,
) -> File:
    if table not in table_names():
        raise Invalid(f"table: {table!r}; one of {', '.join(table_names())}", "没有该报表")
    request = _request((hall,), runtime, registry, since, until, None, target)
    path, _rows = await reports.export(request, table, form)
    media = "text/csv; charset=utf-8" if form == "csv" else XLSX
    name = f"{hall}-{table.replace(':', '-')}-{request.since}-{request.until}.{form}"
    return File(path, filename=name, media_type=media, background=BackgroundTask(_remove, path))


@get(
    "/api/halls/{hall:str}/stats/report.pdf",
    guards=[manager_guard],
    summary="The day's, week's, month's or year's report as a PDF",
    media_type="application/pdf",
)
async def pdf_report(
    hall: FromPath[str],
    runtime: NamedDependency[HallRuntime],
    reports: NamedDependency[ReportWorker],
    registry: NamedDependency[HallRegistry],
    settings: NamedDependency[Settings],
    period: FromQuery[Literal["day", "week", "month", "year", "range"]] = "day",
    day: Annotated[
        dt.date | None, QueryParameter(description=f"a day of the period (default: today), {DAY_RULE}")
    ] = None,
    since: FromDate = None,
    until: ToDate = None,
) -> File:
    from printers.pdf import FontMissing, find_font

    now = runtime.clock()
    today = runtime.hall.rules.hall_day(now)
    check_day("day", day)
    if period == "range":
        first, last = _day("from", since) or _day("to", until) or today, _day("to", until) or today
    else:
        first, last = period_of(period, day or today)
    request = ReportRequest(halls=(hall,), since=first, until=last, now=now)
    check_request(request, {r.id for r in registry})
    try:
        font = find_font(settings.pdf_font)
    except FontMissing as exc:
        return Response(  # type: ignore[return-value]
            {
                "status_code": 503,
                "error": "unavailable",
                "detail": str(exc),
                "detail_zh": "暂不能生成PDF报告：缺少中文字体",
            },
            status_code=503,
            media_type="application/json",  # not the route's PDF
        )
    path = await reports.pdf(request, period, str(font))
    name = f"{hall}-{PERIODS[period]}-{first}-{last}.pdf"
    return File(path, filename=name, media_type="application/pdf", background=BackgroundTask(_remove, path))


def period_of(period: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the ``period`` (day, week from Monday, month, year) holding ``day``."""
    if period == "week":
        first = day - dt.timedelta(days=day.weekday())
        return first, first + dt.timedelta(days=6)
    if period == "month":
        after = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return day.replace(day=1), after - dt.timedelta(days=1)
    if period == "year":
        return day.replace(month=1, day=1), day.replace(month=12, day=31)
    return day, day


@get(
    "/api/halls/{hall:str}/stats/charts/{chart:str}",
    guards=[manager_guard],
    summary="A chart of the statistics (SVG)",
    media_type="image/svg+xml",
)
async def chart_svg(
    hall: FromPath[str],
    chart: FromPath[str],
    runtime: NamedDependency[HallRuntime],
    reports: NamedDependency[ReportWorker],
    registry: NamedDependency[HallRegistry],
    since: FromDate = None,
    until: ToDate = None,
    target: Target = None,
) -> Response[bytes]:
    name = chart.removesuffix(".svg")
    if name not in CHART_DIMENSIONS:
        charts = ", ".join(f"{c}.svg" for c in CHART_DIMENSIONS)
        raise NotFound(f"chart: no chart {chart!r}; charts: {charts}", "没有该图表")
    request = _request((hall,), runtime, registry, since, until, None, target)
    svg = await reports.chart(request, name)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@get("/api/halls/{hall:str}/live", guards=[manager_guard], summary="The hall now: counters, queues, alerts (大厅实况)")
async def live(hall: FromPath[str], feed: NamedDependency[LiveFeed]) -> LiveMessage:
    return await feed.view(hall)


@websocket("/ws/halls/{hall:str}/manage")
async def live_channel(
    socket: WebSocket,
    hall: FromPath[str],
    principal: NamedDependency[Principal | None],
    feed: NamedDependency[LiveFeed],
    registry: NamedDependency[HallRegistry],
) -> None:
    needs = "a manager's token of this hall is needed"
    if await refuse_socket(socket, registry, hall, principal, lambda p: p.reads, needs):
        return
    await socket.accept()

    async def send() -> None:
        async for text in feed.follow(hall):
            await socket.send_text(text)

    async def receive() -> None:
        while True:  # the page says nothing; its going away ends this
            await socket.receive_text()

    with contextlib.suppress(WebSocketDisconnect):
        await until_gone(socket, [asyncio.create_task(send()), asyncio.create_task(receive())])


router = Router(
    path="/",
    route_handlers=[hall_stats, city_stats, export_table, pdf_report, chart_svg, live, live_channel],
    tags=["manage"],
)
