"""Figure 7: the manager's statistics on six months of a busy hall, the live view, the exports.

The record: the demo hall through ``DAYS`` working days of ``PER_DAY`` tickets (the day
simulation of ``rebuild.py``: lunches, recalls, no-shows, transfers, suspends …), made on
SQLite and copied row for row to PostgreSQL. On each, one ``hall serve`` (its statistics
worker process included) is asked over HTTP:

- a month's full report (every figure, by day, hour, weekday, item, group, domain, class,
  channel, counter, kind and clerk): the first time (every day folded from the record, then
  kept) and then again (p95 of repeats);
- six months, the same way;
- the calls a counter makes meanwhile: call-next's latency while a year's report runs,
  against without (``reading a year never slows calling``).

Then twenty such halls on one PostgreSQL (the month copied to nineteen more hall ids) and
a month's report over all twenty; the six months of per-ticket rows exported to XLSX in a
process of its own (its time and its peak memory, against one month's); and the live view
(``/ws/halls/demo/manage``) while the hall takes 20 events a second: from a call's answer to
the view that shows it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import statistics
import subprocess
import time
from pathlib import Path

import httpx
import psycopg
import sqlalchemy as sa

from config.database import connect_engine
from config.halls import load_hall
from config.migrations import upgrade
from tests.perf.common import (
    ROOT,
    Figure,
    Outcome,
    fmt,
    postgres_database,
    python,
    scratch_dir,
    summary_ms,
)
from tests.perf.rebuild import FIRST_DAY, Simulation, _Writer
from tests.support import DEMO_HALL, Server

__all__ = ["bench_stats"]

DAYS = 130  # about six months of working days
PER_DAY = 800
MONTH_TARGET_S, HALF_YEAR_TARGET_S, CITY_TARGET_S, EXPORT_TARGET_S, LIVE_TARGET_S = 0.5, 2.0, 3.0, 15.0, 1.0
CITY_HALLS = 20
_TABLES = ("hall_event", "hall_head")
KIOSK = {"Authorization": "Bearer demo-kiosk-token"}


def _make(url: str, days: int, per_day: int) -> dict:
    hall = load_hall(DEMO_HALL)
    engine = connect_engine(url)
    upgrade(engine)
    writer = _Writer(engine, hall.id)
    simulation = Simulation(hall, writer, tickets_per_day=per_day, on_day_end=writer.flush)
    simulation.run(10**9, days=days)
    writer.flush()
    engine.dispose()
    return {"events": simulation.queue.seq, "days": simulation.days, "last_day": simulation.day}


def _copy(sqlite_url: str, pg_url: str) -> None:
    """The record, row for row, from SQLite to PostgreSQL (COPY)."""
    engine = connect_engine(pg_url)
    upgrade(engine)
    engine.dispose()
    source = connect_engine(sqlite_url)
    with source.connect() as read, psycopg.connect(pg_url) as write:
        for table in _TABLES:
            columns = [c["name"] for c in sa.inspect(read).get_columns(table)]
            names = ", ".join(f'"{c}"' for c in columns)
            with write.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in read.execute(sa.text(f"SELECT {names} FROM {table}")):
                    copy.write_row(row)
        write.commit()
    source.dispose()


def _city(pg_url: str, first: dt.date, last: dt.date, folder: Path) -> list[str]:
    """Nineteen more halls: the demo hall's file under new ids, and ``first``–``last`` of its
    record (and its counters' history) copied under each."""
    demo = DEMO_HALL.read_text(encoding="utf-8")
    files = [str(DEMO_HALL)]
    with psycopg.connect(pg_url) as conn:
        for n in range(2, CITY_HALLS + 1):
            hall = f"hall-{n:02d}"
            path = folder / f"{hall}.toml"
            path.write_text(demo.replace('id = "demo"', f'id = "{hall}"', 1), encoding="utf-8")
            files.append(str(path))
            # The month's events and the counters' definitions before it, numbered again
            # without gaps (the core refuses a record with a gap); the month's first day
            # start expires nothing (the day before it is not copied).
            conn.execute(
                "INSERT INTO hall_event (hall, seq, at, day, kind, ticket_id, counter, actor, data) "
                "SELECT %s, row_number() OVER (ORDER BY seq), at, day, kind, ticket_id, counter, actor, data "
                "FROM hall_event WHERE hall = 'demo' AND ((day BETWEEN %s AND %s) OR "
                "kind IN ('counter_defined', 'counter_reconfigured', 'counter_retired') OR "
                "seq = (SELECT min(seq) FROM hall_event WHERE hall = 'demo' AND day > %s))",
                (hall, first, last, last),
            )
            conn.execute(
                "UPDATE hall_event SET data = (data::jsonb || '{\"expired\": []}'::jsonb)::text WHERE hall = %s "
                "AND seq = (SELECT min(seq) FROM hall_event WHERE hall = %s AND kind = 'day_started')",
                (hall, hall),
            )
            conn.execute(
                "INSERT INTO hall_head (hall, seq) SELECT %s, max(seq) FROM hall_event WHERE hall = %s", (hall, hall)
            )
        conn.commit()
    return files


def _login(client: httpx.Client, hall: str = "demo") -> dict[str, str]:
    answer = client.post("/api/auth/login", json={"hall": hall, "username": "manager", "password": "demo-manager"})
    answer.raise_for_status()
    return {"Authorization": "Bearer " + answer.json()["token"]}


def _timed(client: httpx.Client, path: str, headers: dict, repeats: int) -> tuple[float, list[float], dict]:
    """The first answer's seconds (cold), then ``repeats`` more (kept days)."""
    started = time.perf_counter()
    answer = client.get(path, headers=headers, timeout=600)
    answer.raise_for_status()
    cold = time.perf_counter() - started
    warm = []
    for _ in range(repeats):
        started = time.perf_counter()
        client.get(path, headers=headers, timeout=600).raise_for_status()
        warm.append(time.perf_counter() - started)
    return cold, sorted(warm), answer.json()


def _p95(values: list[float]) -> float:
    return values[min(len(values) - 1, max(0, round(0.95 * len(values)) - 1))] if values else float("nan")


def _calls_while(client: httpx.Client, headers: dict, busy: str | None, seconds: float = 12.0) -> list[float]:
    """call-next then complete at counter 1, over and over, for ``seconds``; with ``busy``, a
    report of that path is being computed meanwhile (in another thread)."""
    import threading

    stop = threading.Event()

    def reports() -> None:
        with httpx.Client(base_url=str(client.base_url), timeout=600) as other:
            while not stop.is_set():
                other.get(busy, headers=headers).raise_for_status()  # type: ignore[arg-type]

    worker = threading.Thread(target=reports) if busy else None
    if worker:
        worker.start()
        time.sleep(1.0)  # the report is under way
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        client.post(
            "/api/halls/demo/tickets", json={"item": "SB01"}, headers={"Authorization": "Bearer demo-kiosk-token"}
        )
        started = time.perf_counter()
        client.post("/api/halls/demo/counters/1/call-next", headers=headers).raise_for_status()
        latencies.append(time.perf_counter() - started)
        client.post("/api/halls/demo/counters/1/complete", headers=headers)
        time.sleep(0.05)
    stop.set()
    if worker:
        worker.join()
    return latencies


def _export_in_a_process(url: str, since: dt.date, until: dt.date) -> dict:
    """The per-ticket XLSX export as the statistics worker runs it, in a process of its own:
    its seconds and its peak memory (max RSS)."""
    program = f"""
import datetime as dt, json, resource, time, tempfile
from pathlib import Path
from config.database import connect_engine
from config.halls import load_hall
from counters.manage.report import HallParts, ReportBuilder, ReportRequest
from counters.manage.exports import export
h = load_hall({str(DEMO_HALL)!r})
builder = ReportBuilder(connect_engine({url!r}), [HallParts(h.queue_part(), h.counter_part(), h.appointment_part())])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
request = ReportRequest(halls=("demo",), since=dt.date.fromisoformat({since.isoformat()!r}),
                        until=dt.date.fromisoformat({until.isoformat()!r}), now=dt.datetime.now(dt.UTC))
started = time.perf_counter()
path, rows = export(builder, request, "tickets", "xlsx", Path(tempfile.mkdtemp()))
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "rows": rows, "bytes": Path(path).stat().st_size,
                   "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "before_mb": before / 1024}}))
"""
    done = subprocess.run([python(), "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=900)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


async def _live(url: str, seconds: float = 20.0, rate: float = 20.0) -> dict:
    """20 events a second at the hall; each call's answer to the live view that shows it."""
    import websockets

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        answer = await client.post(
            "/api/auth/login", json={"hall": "demo", "username": "manager", "password": "demo-manager"}
        )
        token = answer.json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        kiosk = KIOSK
        counters = [1, 2, 3, 4, 5]
        for counter in counters:
            await client.post(f"/api/halls/demo/counters/{counter}/open", headers=headers)
        for _ in range(20):
            await client.post("/api/halls/demo/tickets", json={"item": "SB01"}, headers=kiosk)
        shown: dict[tuple[int, str], float] = {}
        uri = url.replace("http://", "ws://") + f"/ws/halls/demo/manage?token={token}"
        async with websockets.connect(uri, max_size=2**24) as socket:

            async def listen() -> None:
                async for raw in socket:
                    now = time.perf_counter()
                    view = json.loads(raw)
                    for tile in view.get("counters", []):
                        if tile["current"]:
                            shown.setdefault((tile["number"], tile["current"]), now)

            listener = asyncio.create_task(listen())
            answered: dict[tuple[int, str], float] = {}
            events = 0
            started = time.perf_counter()
            step = 1 / rate
            turn = 0
            while time.perf_counter() - started < seconds:
                counter = counters[turn % len(counters)]
                turn += 1
                await client.post("/api/halls/demo/tickets", json={"item": "SB01"}, headers=kiosk)
                await client.post(f"/api/halls/demo/counters/{counter}/complete", headers=headers)
                called = await client.post(f"/api/halls/demo/counters/{counter}/call-next", headers=headers)
                if called.status_code == 200:
                    answered[(counter, called.json()["number"])] = time.perf_counter()
                events += 3
                await asyncio.sleep(max(0.0, started + events * step - time.perf_counter()))
            await asyncio.sleep(2.0)
            listener.cancel()
    delays = [shown[key] - at for key, at in answered.items() if key in shown]
    missed = sum(1 for key in answered if key not in shown)
    return {
        "events_per_second": round(events / seconds, 1),
        "calls": len(answered),
        "missed": missed,
        **summary_ms(delays),
    }


def bench_stats(days: int = DAYS, per_day: int = PER_DAY) -> Outcome:
    started = time.perf_counter()
    outcome = Outcome("stats")
    with scratch_dir("stats") as folder:
        sqlite_url = f"sqlite:///{folder / 'hall.db'}"
        made_at = time.perf_counter()
        made = _make(sqlite_url, days, per_day)
        outcome.details["record"] = {**made, "last_day": made["last_day"].isoformat(),
                                     "seconds": round(time.perf_counter() - made_at, 1)}  # fmt: skip
        last = made["last_day"]
        month = (last - dt.timedelta(days=30), last)
        half_year = (FIRST_DAY, last)
        with postgres_database() as pg_url:
            _copy(sqlite_url, pg_url)
            for backend, url in (("sqlite", sqlite_url), ("postgres", pg_url)):
                env = {"HALL_FILES": str(DEMO_HALL), "HALL_DATA_DIR": str(folder / backend), "DATABASE_URL": url,
                       "HALL_LOG_FORMAT": "json", "HALL_LOG_LEVEL": "WARNING"}  # fmt: skip
                server = Server(env, log=folder / f"{backend}.log").start(timeout=120)
                try:
                    with httpx.Client(base_url=server.url, timeout=600) as client:
                        headers = _login(client)
                        path = f"/api/halls/demo/stats?from={month[0]}&to={month[1]}"
                        cold, warm, body = _timed(client, path, headers, 20)
                        outcome.figures.append(
                            Figure(
                                key=f"stats.{backend}.month",
                                label=f"a month's full report, {backend} ({body['total']['arrivals']:,} tickets)",
                                value=round(_p95(warm), 3),
                                unit="s",
                                text=f"p95 {_p95(warm) * 1000:.0f} ms (first, folding the record: {cold:.2f} s)",
                                target=f"p95 < {MONTH_TARGET_S * 1000:.0f} ms",
                                ok=_p95(warm) < MONTH_TARGET_S,
                            )
                        )
                        path = f"/api/halls/demo/stats?from={half_year[0]}&to={half_year[1]}"
                        cold, warm, body = _timed(client, path, headers, 5)
                        outcome.figures.append(
                            Figure(
                                key=f"stats.{backend}.half_year",
                                label=f"six months' full report, {backend} ({body['total']['arrivals']:,} tickets)",
                                value=round(max(warm), 3),
                                unit="s",
                                text=f"{statistics.median(warm):.2f} s median, {max(warm):.2f} s max "
                                f"(first: {cold:.1f} s)",
                                target=f"< {fmt(HALF_YEAR_TARGET_S)} s",
                                ok=max(warm) < HALF_YEAR_TARGET_S,
                            )
                        )
                        if backend == "sqlite":
                            client.post("/api/halls/demo/counters/1/open", headers=headers)
                            year = f"/api/halls/demo/stats?from={last - dt.timedelta(days=364)}&to={last}"
                            quiet = _calls_while(client, headers, None)
                            busy = _calls_while(client, headers, year)
                            q, b = summary_ms(quiet), summary_ms(busy)
                            outcome.details["calls"] = {"quiet": q, "while_a_year_report": b}
                            outcome.figures.append(
                                Figure(
                                    key="stats.calls_while_reporting",
                                    label="call-next while a year's report is computed (SQLite)",
                                    value=b["p99_ms"],
                                    unit="ms",
                                    text=f"p50 {b['p50_ms']:.1f} / p99 {b['p99_ms']:.1f} ms; without: "
                                    f"p50 {q['p50_ms']:.1f} / p99 {q['p99_ms']:.1f} ms",
                                    target="(report)",
                                )
                            )
                finally:
                    server.stop()
            files = _city(pg_url, month[0], month[1], folder)
            env = {"HALL_FILES": ":".join(files), "HALL_DATA_DIR": str(folder / "city"), "DATABASE_URL": pg_url,
                   "HALL_LOG_FORMAT": "json", "HALL_LOG_LEVEL": "WARNING"}  # fmt: skip
            server = Server(env, log=folder / "city.log").start(timeout=180)
            try:
                with httpx.Client(base_url=server.url, timeout=600) as client:
                    headers = _login(client)
                    halls = ",".join(["demo", *(f"hall-{n:02d}" for n in range(2, CITY_HALLS + 1))])
                    path = f"/api/stats?halls={halls}&from={month[0]}&to={month[1]}"
                    cold, warm, body = _timed(client, path, headers, 5)
                    outcome.figures.append(
                        Figure(
                            key="stats.city.month",
                            label=f"a month's report over {CITY_HALLS} halls, PostgreSQL "
                            f"({body['total']['arrivals']:,} tickets)",
                            value=round(max(warm), 3),
                            unit="s",
                            text=f"{statistics.median(warm):.2f} s median, {max(warm):.2f} s max (first: {cold:.1f} s)",
                            target=f"< {fmt(CITY_TARGET_S)} s",
                            ok=max(warm) < CITY_TARGET_S,
                        )
                    )
            finally:
                server.stop()
        one_month = _export_in_a_process(sqlite_url, *month)
        six = _export_in_a_process(sqlite_url, *half_year)
        outcome.details["export"] = {"month": one_month, "six_months": six}
        outcome.figures.append(
            Figure(
                key="stats.export.xlsx",
                label=f"six months of per-ticket rows to XLSX ({six['rows']:,} rows)",
                value=round(six["seconds"], 2),
                unit="s",
                text=f"{six['seconds']:.1f} s, peak {six['peak_mb']:.0f} MB (a month's: {one_month['peak_mb']:.0f} MB; "
                f"{six['bytes'] / 1e6:.1f} MB file)",
                target=f"< {fmt(EXPORT_TARGET_S)} s, bounded memory",
                ok=six["seconds"] < EXPORT_TARGET_S and six["peak_mb"] < 1.5 * one_month["peak_mb"] + 50,
            )
        )
        env = {"HALL_FILES": str(DEMO_HALL), "HALL_DATA_DIR": str(folder / "live"), "HALL_LOG_FORMAT": "json",
               "HALL_LOG_LEVEL": "WARNING"}  # fmt: skip
        server = Server(env, log=folder / "live.log").start(timeout=120)
        try:
            live = asyncio.run(_live(server.url))
        finally:
            server.stop()
        outcome.details["live"] = live
        outcome.figures.append(
            Figure(
                key="stats.live",
                label=f"the live view at {live['events_per_second']:g} events/s: a call's answer → the view showing it",
                value=live.get("p99_ms", float("nan")),
                unit="ms",
                text=f"p50 {live.get('p50_ms', 0):.0f} / p99 {live.get('p99_ms', 0):.0f} / "
                f"max {live.get('max_ms', 0):.0f} ms; {live['calls']} calls, {live['missed']} never shown",
                target=f"< {LIVE_TARGET_S * 1000:.0f} ms",
                ok=live["missed"] == 0 and live.get("max_ms", 1e9) < LIVE_TARGET_S * 1000,
            )
        )
    outcome.seconds = time.perf_counter() - started
    return outcome
