"""Server CPU per operation at a hall's own pace, against a bare Litestar endpoint's.

A hall's devices are few and unhurried: here two kiosks issuing and three clerks, each
signed in at a counter of their own, calling next and completing. At a hall's pace a
request comes every few seconds, long after the previous connection's keep-alive has
ended, and seldom while another is being answered, so the server cannot batch commits and
pays for a new connection each time. Measuring that at its real pace would take minutes
per figure (the CPU counters of /proc tick in 10 ms), so it is compressed: the five
clients take turns with one request in flight at a time (never two at once: no batching),
each on a new TCP connection closed once answered, back to back (closed loop). The server
does exactly the per-request work of the slow pace, only without the idle time between.
(The client closes each connection, so the TIME_WAITs are on its side; Linux reuses them
for new loopback connections, tcp_tw_reuse = 2 by default, so ports do not run out.)

The same clients, in the same way, against the bare endpoint of ``bare.py`` (same routes,
bodies, headers and answer sizes; no database, authentication or logging), in turn with
ours, ABBA (ours, floor, floor, ours, ...), so that both see the same machine. Reported:
the server CPU per operation of each (utime + stime of the server process over the
rounds, from /proc, over the operations done; PostgreSQL's own CPU is not in it, it is in
the details) and their ratio. The issue's goal: at most 4× the bare endpoint. Then
``idle_seconds`` without requests: what our server spends at rest (per second), shown with
its CPU per operation, since at a few dozen operations a second it is in that figure.
"""

from __future__ import annotations

import time

from queueing.kinds import served_items
from tests.perf.bare import bare_servers
from tests.perf.common import (
    HALL,
    KIOSK_TOKEN,
    Figure,
    Outcome,
    bench_hall,
    database,
    fmt,
    log_tail,
    open_counters,
    scratch_dir,
    server_env,
    servers,
)
from tests.perf.load import CounterPlan, Phase, Plan
from tests.perf.throughput import floor_phases, floor_totals, run_load

__all__ = ["bench_pace"]

_BACKENDS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def bench_pace(
    backend: str = "sqlite",
    *,
    rounds: int = 2,
    seconds: float = 5.0,
    warmup_seconds: float = 1.0,
    kiosks: int = 2,
    clerks: int = 3,
    backlog: int = 30,
    idle_seconds: float = 2.0,
    target_ratio: float = 4.0,
) -> Outcome:
    """One server of ``backend`` and one bare server; ``rounds`` rounds of ``seconds`` each."""
    name = "pace" if backend == "sqlite" else f"pace-{backend}"
    label = f"{_BACKENDS[backend]} at a hall's pace ({kiosks} kiosks, {clerks} clerks, in turn, new connections)"
    started = time.perf_counter()
    outcome = Outcome(name)
    hall = bench_hall()
    # Counters that serve everything the kiosks issue between them: the no-difference ones.
    chosen = sorted((c for c in hall.counters if c.kind == "no_difference"), key=lambda c: c.number)[:clerks]
    if len(chosen) < clerks:
        raise RuntimeError(f"the bench hall has only {len(chosen)} no-difference counters")
    with (
        scratch_dir(name) as folder,
        database(backend, folder) as url,
        bare_servers(folder, 1) as (bare,),
        servers(server_env(folder, url), folder, 1) as (server,),
    ):
        bare.wait_ready()
        counters = open_counters([server.url], hall, [c.number for c in chosen])
        phases = [Phase("prefill", "prefill", tickets=backlog, measured=False)]
        if warmup_seconds > 0:
            phases += [
                Phase("warm-up", "closed", seconds=warmup_seconds, measured=False),
                Phase("floor warm-up", "closed", seconds=warmup_seconds, measured=False, target="floor"),
            ]
        phases += floor_phases(rounds, seconds)
        if idle_seconds > 0:
            phases.append(Phase("idle", "idle", seconds=idle_seconds))
        plan = Plan(
            hall=HALL,
            kiosk_token=KIOSK_TOKEN,
            kiosk_urls=[server.url] * kiosks,
            counters=[CounterPlan(n, c["token"], c["url"]) for n, c in sorted(counters.items())],
            pools=[sorted(served_items(c, hall.rules.items)) for c in chosen],
            phases=phases,
            server_pids=[server.process.pid] if server.process else [],
            floor_urls={server.url: bare.url},
            floor_pids=[bare.process.pid] if bare.process else [],
            fresh_connections=True,
            one_at_a_time=True,
        )
        result = run_load(plan, folder, 60 + 3 * (2 * rounds * seconds + 2 * warmup_seconds) + backlog / 5)
        if server.process is None or server.process.poll() is not None:
            raise RuntimeError(f"the server died during the load:\n{log_tail(server.log)}")
    failed = [p for p in result["phases"] if p.get("errors")]
    if failed:
        raise RuntimeError(f"{label}: requests failed: {failed}")
    measured = [p for p in result["phases"] if p["phase"].startswith(("ours-", "floor-"))]
    idle = next((p for p in result["phases"] if p["phase"] == "idle"), None)
    # What our server spends at rest (timers, heartbeats) counts in its CPU per operation, at
    # so few operations per second: said, so that it is not taken for the cost of a request.
    rest = idle["server_cpu_seconds"] / idle["wall_seconds"] if idle else None
    totals = floor_totals(measured)
    ours, floor = totals["ours"], totals["floor"]
    ratio = ours["cpu_us_per_op"] / floor["cpu_us_per_op"]
    postgres = sum(p["cpu"]["postgres"] * p["wall_seconds"] for p in measured if p["target"] == "ours")
    outcome.figures += [
        Figure(
            key=f"{name}.cpu_us_per_op",
            label=f"{label}: server CPU per operation",
            value=ours["cpu_us_per_op"],
            unit="µs",
            text=f"{fmt(ours['cpu_us_per_op'])} µs (rounds: {', '.join(map(fmt, ours['by_round_cpu_us_per_op']))}); "
            f"{fmt(ours['ops_per_second'])} ops/s" + (f"; at rest {rest * 1e3:.1f} ms/s" if rest is not None else ""),
        ),
        Figure(
            key=f"{name}.floor_cpu_us_per_op",
            label=f"{label}: the bare endpoint's CPU per operation",
            value=floor["cpu_us_per_op"],
            unit="µs",
            text=f"{fmt(floor['cpu_us_per_op'])} µs (rounds: "
            f"{', '.join(map(fmt, floor['by_round_cpu_us_per_op']))}); {fmt(floor['ops_per_second'])} ops/s",
        ),
        Figure(
            key=f"{name}.cpu_ratio",
            label=f"{label}: CPU per operation, ours ÷ the bare endpoint's",
            value=round(ratio, 2),
            unit="×",
            text=f"{ratio:.1f}×",
            target=f"≤ {target_ratio:g}×",
            ok=ratio <= target_ratio,
        ),
    ]
    outcome.details = {
        "setup": {"backend": backend, "servers": 1, "workers_per_server": 1, "label": label},
        "clients": result["clients"],
        "counters": [c.number for c in chosen],
        "backlog": backlog,
        "pattern": "closed loop, one request of all the clients in flight at once, a new TCP connection each",
        "rounds": measured,
        "totals": totals,
        "server_cpu_at_rest_ms_per_s": round(rest * 1e3, 2) if rest is not None else None,
    }
    if backend == "postgres" and ours["ops"]:
        outcome.details["postgres_cpu_us_per_op"] = round(postgres / ours["ops"] * 1e6, 1)
    outcome.seconds = time.perf_counter() - started
    return outcome
