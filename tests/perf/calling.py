"""Figure 2: calling the next ticket while thousands wait.

- Over HTTP: one ``hall serve`` (SQLite), clerks signed in at all 14 counters, 5,000
  tickets waiting (issued in-process through the service, ``HallRuntime``, while the
  server runs: the server catches up from the record as another process's writes). The
  clerks call next one at a time, in turn round the counters; each call is timed from the
  request to the whole answer. Before each call a kiosk issues one ticket and after it
  the clerk completes, both untimed, so exactly 5,000 wait throughout. The same is
  measured first with 50 waiting, for comparison.
- In the core: ``HallQueue.handle(CallNext)`` (decide, apply, record) with 500, 5,000 and
  50,000 waiting, in the same way. Calling looks only at the heads of the lines a counter
  serves, so the time should not grow with the number waiting.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import itertools
import secrets
import time

import msgspec

from config.database import connect_engine
from queueing.commands import CallNext, CompleteService, DefineCounter, IssueTicket
from queueing.hall import HallQueue
from queueing.kinds import served_items
from queueing.service import HallRuntime, utc_now
from tests.perf.common import (
    HALL,
    KIOSK_TOKEN,
    CpuWatch,
    Figure,
    Outcome,
    bench_hall,
    clerks,
    database,
    fmt,
    issue_pools,
    open_counters,
    percentile,
    scratch_dir,
    server_env,
    servers,
    summary_ms,
)
from tests.perf.load import HttpConnection
from tests.support import KIOSK, MONDAY_9, sign_in_and_open, staff

__all__ = ["bench_call_next_core", "bench_call_next_http"]


# ---------------------------------------------------------------------------- over HTTP


def bench_call_next_http(
    waiting: int = 5000,
    samples: int = 420,
    baseline_waiting: int = 50,
    target_p99_ms: float = 5.0,
    env: dict[str, str] | None = None,
) -> Outcome:
    """``env`` adds to the server's environment (e.g. ``HALL_SETTINGS`` to try a setting)."""
    started = time.perf_counter()
    outcome = Outcome("call-next-http")
    hall = bench_hall()
    pools = issue_pools(hall)
    with (
        scratch_dir("calling") as folder,
        database("sqlite", folder) as url,
        servers({**server_env(folder, url), **(env or {})}, folder) as (server,),
    ):
        counters = open_counters([server.url], hall)
        pids = [server.process.pid] if server.process else []
        watch = CpuWatch(pids)
        baseline = asyncio.run(_measure(server.url, hall, counters, baseline_waiting, samples, pools))
        baseline["cpu"] = watch.stop()
        asyncio.run(_prefill(url, waiting - baseline["waiting_before"], pools))
        watch.start()
        loaded = asyncio.run(_measure(server.url, hall, counters, waiting, samples, pools))
        loaded["cpu"] = watch.stop()
    for key, result in (("baseline", baseline), ("loaded", loaded)):
        if result["waiting_before"] != result["target_waiting"] or result["waiting_after"] != result["target_waiting"]:
            raise RuntimeError(f"call-next ({key}): expected {result['target_waiting']} waiting, got {result}")
    lat = loaded["latency"]
    outcome.figures.append(
        Figure(
            key="call_next_http.p99_ms",
            label=f"call-next over HTTP, {waiting:,} waiting (SQLite)",
            value=lat["p99_ms"],
            unit="ms",
            text=f"p50 {fmt(lat['p50_ms'])} / p95 {fmt(lat['p95_ms'])} / p99 {fmt(lat['p99_ms'])} ms",
            target=f"p99 < {fmt(target_p99_ms)} ms",
            ok=lat["p99_ms"] < target_p99_ms,
        )
    )
    base = baseline["latency"]
    outcome.figures.append(
        Figure(
            key="call_next_http.baseline_p99_ms",
            label=f"call-next over HTTP, {baseline_waiting:,} waiting (same server)",
            value=base["p99_ms"],
            unit="ms",
            text=f"p50 {fmt(base['p50_ms'])} / p95 {fmt(base['p95_ms'])} / p99 {fmt(base['p99_ms'])} ms",
        )
    )
    outcome.details = {"loaded": loaded, "baseline": baseline}
    outcome.seconds = time.perf_counter() - started
    return outcome


async def _prefill(database_url: str, tickets: int, pools: list[list[str]]) -> None:
    """Issue ``tickets`` through the service in this process, as a second server would."""
    engine = connect_engine(database_url)
    runtime = HallRuntime(bench_hall().queue_part(), engine)
    await runtime.start()
    try:
        items = itertools.cycle([item for pool in pools for item in pool[:1]] + [p[-1] for p in pools])
        for start in range(0, tickets, 500):
            await asyncio.gather(
                *(
                    runtime.execute(
                        IssueTicket(
                            at=utc_now(),
                            actor=KIOSK,
                            ticket_id=secrets.token_urlsafe(12),
                            item=next(items),
                            idempotency_key=secrets.token_hex(16),
                        )
                    )
                    for _ in range(min(500, tickets - start))
                )
            )
    finally:
        await runtime.close()
        engine.dispose()


async def _measure(url: str, hall, counters: dict[int, dict], waiting: int, samples: int, pools) -> dict:
    """Time ``samples`` call-nexts round the counters with ``waiting`` tickets waiting."""
    kiosk, clerk = HttpConnection(url), HttpConnection(url)
    served = {c.number: sorted(served_items(c, hall.rules.items)) for c in hall.counters}
    numbers = itertools.cycle(sorted(counters))
    try:
        before = await _waiting(clerk)
        for index in range(max(0, waiting - before)):  # top up to ``waiting`` (the baseline case)
            await _issue(kiosk, pools[index % len(pools)][0])
        before = await _waiting(clerk)
        latencies = []
        for index in range(samples + 20):  # the first 20 warm up
            number = next(numbers)
            token = counters[number]["token"]
            await _issue(kiosk, served[number][index % len(served[number])])
            sent = time.perf_counter()
            status, data = await clerk.request("POST", f"/api/halls/{HALL}/counters/{number}/call-next", token)
            done = time.perf_counter()
            if status != 200:
                raise RuntimeError(f"call-next at {number}: {status} {data[:300]!r}")
            ticket = msgspec.json.decode(data)["id"]
            status, data = await clerk.request(
                "POST", f"/api/halls/{HALL}/counters/{number}/complete", token, msgspec.json.encode({"ticket": ticket})
            )
            if status != 200:
                raise RuntimeError(f"complete at {number}: {status} {data[:300]!r}")
            if index >= 20:
                latencies.append(done - sent)
        after = await _waiting(clerk)
    finally:
        await kiosk.close()
        await clerk.close()
    return {
        "target_waiting": waiting,
        "waiting_before": before,
        "waiting_after": after,
        "counters": len(counters),
        "latency": summary_ms(latencies),
    }


async def _waiting(conn: HttpConnection) -> int:
    status, data = await conn.request("GET", f"/api/halls/{HALL}/queue")
    if status != 200:
        raise RuntimeError(f"queue: {status} {data[:300]!r}")
    return msgspec.json.decode(data)["waiting"]


async def _issue(conn: HttpConnection, item: str) -> None:
    body = msgspec.json.encode({"item": item, "idempotency_key": secrets.token_hex(16)})
    status, data = await conn.request("POST", f"/api/halls/{HALL}/tickets", KIOSK_TOKEN, body)
    if status != 201:
        raise RuntimeError(f"issue {item}: {status} {data[:300]!r}")


# ---------------------------------------------------------------------------- in the core


def bench_call_next_core(sizes: tuple[int, ...] = (500, 5000, 50_000), samples: int = 3000) -> Outcome:
    started = time.perf_counter()
    outcome = Outcome("call-next-core")
    hall = bench_hall()
    results = {}
    for size in sizes:
        results[size] = _core_call_next(hall, size, samples)
    smallest = results[sizes[0]]
    for size in sizes:
        result = results[size]
        figure = Figure(
            key=f"call_next_core.{size}.p50_us",
            label=f"core CallNext (HallQueue.handle), {size:,} waiting",
            value=result["p50_us"],
            unit="us",
            text=f"p50 {fmt(result['p50_us'])} / p99 {fmt(result['p99_us'])} us",
        )
        if size != sizes[0]:
            ratio = result["p50_us"] / smallest["p50_us"]
            figure.target = f"p50 <= 2x that at {sizes[0]:,}"
            figure.ok = ratio <= 2.0
            figure.note = f"{ratio:.2f}x"
            figure.text += f" ({ratio:.2f}x)"
        outcome.figures.append(figure)
    outcome.details = {"samples": samples, "by_waiting": {str(k): v for k, v in results.items()}}
    outcome.seconds = time.perf_counter() - started
    return outcome


def _core_call_next(hall, size: int, samples: int) -> dict:
    """Time CallNext round all 14 counters, with ``size`` waiting throughout."""
    queue = HallQueue(hall.rules)
    at = MONDAY_9
    for spec in hall.counters:
        queue.handle(DefineCounter(at=at, spec=spec))
    names = clerks(hall)
    actors = {number: sign_in_and_open(queue, number, name, at) for number, name in names.items()}
    served = {c.number: sorted(served_items(c, hall.rules.items)) for c in hall.counters}
    pools = issue_pools(hall)
    tick = dt.timedelta(milliseconds=1)
    ids = (f"t{n:07d}" for n in itertools.count())
    built = time.perf_counter()
    for index in range(size):
        at += tick
        queue.handle(IssueTicket(at=at, actor=KIOSK, ticket_id=next(ids), item=pools[index % len(pools)][index % 2]))
    built = time.perf_counter() - built
    numbers = itertools.cycle(sorted(names))
    timings = []
    gc.collect()
    for index in range(samples):
        number = next(numbers)
        at += tick
        queue.handle(
            IssueTicket(at=at, actor=KIOSK, ticket_id=next(ids), item=served[number][index % len(served[number])])
        )
        command = CallNext(at=at, actor=actors[number], counter=number)
        t0 = time.perf_counter_ns()
        recorded = queue.handle(command)
        t1 = time.perf_counter_ns()
        if len(recorded) != 1:
            raise RuntimeError(f"CallNext at {number} with {len(queue.lines)} waiting recorded {recorded}")
        timings.append((t1 - t0) / 1000)
        queue.handle(CompleteService(at=at, actor=staff(names[number]), counter=number))
    if len(queue.lines) != size:
        raise RuntimeError(f"expected {size} waiting, {len(queue.lines)} are")
    timings.sort()
    return {
        "waiting": size,
        "samples": len(timings),
        "mean_us": round(sum(timings) / len(timings), 2),
        "p50_us": round(percentile(timings, 50), 2),
        "p99_us": round(percentile(timings, 99), 2),
        "max_us": round(timings[-1], 2),
        "build_seconds": round(built, 3),
    }
