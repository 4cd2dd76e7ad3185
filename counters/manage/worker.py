"""The statistics worker: reports, exports, PDF reports and the planning's simulations, computed in a
process of their own.

Folding a year of a hall's record takes seconds of CPU. In the server's process that would
contend for the interpreter with the halls' threads (a call-next would wait for it); in a
process of its own (spawned, never forked from a server with threads) it cannot slow calling.
The worker reads the same database and hall files; its answers come back as bytes (msgspec),
its files are written to a temporary folder and streamed by the server.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import msgspec

__all__ = ["ReportWorker"]

_builder = None  # in the worker process: the ReportBuilder
_planning = None  # … and the PlanningService
_encoder = msgspec.msgpack.Encoder()


def _start(database_url: str, hall_files: list[str]) -> None:
    """In the worker process, once."""
    global _builder, _planning
    from config.database import connect_engine
    from config.halls import load_hall
    from counters.manage.planning import PlanningService
    from counters.manage.report import HallParts, ReportBuilder

    halls = [load_hall(path) for path in hall_files]
    engine = connect_engine(database_url, prepared=False)  # ad hoc ranges: a plan for each
    parts = [HallParts(h.queue_part(), h.counter_part(), h.appointment_part()) for h in halls]
    _builder = ReportBuilder(engine, parts)
    _planning = PlanningService(engine, parts, _builder.appointments)


def _plan(action: str, hall: str, request: bytes, now: str) -> bytes:
    """A planning request (``PlanningService``): the answer as msgpack bytes."""
    import datetime as dt

    from counters.manage import planning
    from queueing.records import HallSnapshot
    from queueing.simulation.scenario import ScenarioFile

    assert _planning is not None
    at = dt.datetime.fromisoformat(now)
    if action in ("simulate", "advise"):
        scenario = msgspec.msgpack.decode(request, type=ScenarioFile)
        answer = getattr(_planning, action)(hall, scenario, at)
    elif action == "replay":
        answer = _planning.replay(hall, msgspec.msgpack.decode(request, type=planning.ReplayRequest), at)
    elif action == "forecast":
        answer = _planning.forecast(hall, msgspec.msgpack.decode(request, type=dt.date), at)
    else:
        snapshot, what = msgspec.msgpack.decode(request, type=tuple[HallSnapshot, planning.WhatIfRequest])
        answer = _planning.what_if(hall, snapshot, at, what)
    return _encoder.encode(answer)


def _build(request: bytes, **changes: object):  # type: ignore[no-untyped-def]
    """The report a request (msgpack) asks for, with ``changes`` to it."""
    from counters.manage.report import ReportRequest

    assert _builder is not None
    wanted = msgspec.msgpack.decode(request, type=ReportRequest)
    return asyncio.run(_builder.build(msgspec.structs.replace(wanted, **changes) if changes else wanted))


def _report(request: bytes) -> bytes:
    return _encoder.encode(_build(request))


def _export(request: bytes, table: str, form: str, folder: str) -> tuple[str, int]:
    from counters.manage.exports import export
    from counters.manage.report import ReportRequest

    assert _builder is not None
    return export(_builder, msgspec.msgpack.decode(request, type=ReportRequest), table, form, Path(folder))


def _pdf(request: bytes, period: str, folder: str, font: str) -> str:
    from counters.manage.pdf import pdf_report

    return str(pdf_report(_build(request), period, Path(folder), font))


def _chart(request: bytes, chart: str, form: str) -> bytes:
    from counters.manage.charts import render
    from counters.manage.report import CHART_DIMENSIONS

    # Only what the chart draws: not a whole report (every dimension, the period before) per chart.
    return render(_build(request, by=CHART_DIMENSIONS[chart], compare=False), chart, form)


def _plan_chart(request: bytes) -> bytes:
    from counters.manage.charts import planning
    from counters.manage.planning_api import ChartRequest

    chart = msgspec.msgpack.decode(request, type=ChartRequest)
    return planning([(r.label, r.result) for r in chart.results], chart.target_minutes)


class ReportWorker:
    """``workers`` processes (one is plenty: a report is a few seconds at most)."""

    def __init__(self, database_url: str, hall_files: list[str], workers: int = 1) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="hall-reports-"))
        self._pool = ProcessPoolExecutor(  # its process starts with the first report, not with the server
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start,
            initargs=(database_url, hall_files),
        )

    async def _run(self, function, *args):  # type: ignore[no-untyped-def]
        return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)

    async def report(self, request: object) -> bytes:
        """The report as msgpack bytes (a ``Report``)."""
        return await self._run(_report, _encoder.encode(request))

    async def export(self, request: object, table: str, form: str) -> tuple[Path, int]:
        path, rows = await self._run(_export, _encoder.encode(request), table, form, str(self.folder))
        return Path(path), rows

    async def chart(self, request: object, chart: str, form: str = "svg") -> bytes:
        return await self._run(_chart, _encoder.encode(request), chart, form)

    async def plan(self, action: str, hall: str, request: object, now: object) -> bytes:
        """simulate, advise, replay, forecast or what_if (``counters.manage.planning``)."""
        return await self._run(_plan, action, hall, _encoder.encode(request), now.isoformat())  # type: ignore[attr-defined]

    async def plan_chart(self, request: object) -> bytes:
        return await self._run(_plan_chart, _encoder.encode(request))

    async def pdf(self, request: object, period: str, font: str) -> Path:
        return Path(await self._run(_pdf, _encoder.encode(request), period, str(self.folder), font))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        for leftover in self.folder.glob("*"):
            leftover.unlink(missing_ok=True)
        self.folder.rmdir() if self.folder.exists() and not any(self.folder.iterdir()) else None
