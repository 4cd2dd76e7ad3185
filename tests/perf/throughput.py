"""Figure 1: queue operations per second against ``hall serve``, over real HTTP.

One ``hall serve`` process (one uvicorn worker) on a SQLite file, the same on PostgreSQL,
and two ``hall serve`` processes on different ports sharing one PostgreSQL database with
the load split between them. The load generator (``load.py``) runs in a process of its
own: 7 kiosks issuing tickets and the 14 counters of the benchmark hall, each worked by
its own signed-in clerk, calling next and completing. Issue, call-next and complete come
out in about equal numbers.

Two measurements per set-up, after a prefill of waiting tickets and a warm-up:

- at a fixed offered rate (the target, 500 operations per second): the latency of every
  operation from when it was due, and whether the rate was kept up;
- closed loop: every client goes as fast as the answers come, which gives the most the
  set-up can do with 21 clients, and the latency at that load.

Then the floor (``floor_rounds`` rounds, ``floor_seconds`` each): the same clients, closed
loop, in turn against ours and against a bare Litestar endpoint served the same way
(``bare.py``, one per server of ours), ABBA (ours, floor, floor, ours, ...) so that both
see the same machine and a drift in its load cancels out. Reported: our operations per
second over the floor's (the issue's goal: at least 0.4), and the server CPU per operation
of each (utime + stime of the server processes over the rounds, from /proc, over the
operations done; PostgreSQL's own CPU is not in it).
"""

from __future__ import annotations

import subprocess
import time
from os import cpu_count

import httpx
import msgspec

from tests.perf.bare import bare_servers
from tests.perf.common import (
    HALL,
    KIOSK_TOKEN,
    ROOT,
    Figure,
    Outcome,
    bench_hall,
    database,
    fmt,
    issue_pools,
    log_tail,
    open_counters,
    python,
    scratch_dir,
    server_env,
    servers,
)
from tests.perf.load import CounterPlan, Phase, Plan

__all__ = ["SETUPS", "bench_throughput"]

SETUPS = {
    "sqlite": ("sqlite", 1, "SQLite, 1 worker"),
    "postgres": ("postgres", 1, "PostgreSQL, 1 worker"),
    "postgres-2": ("postgres", 2, "PostgreSQL, 2 servers"),
}


def bench_throughput(
    setup: str = "sqlite",
    *,
    rate: float = 500.0,
    rate_seconds: float = 10.0,
    closed_seconds: float = 8.0,
    warmup_seconds: float = 2.0,
    kiosks: int = 7,
    backlog: int = 420,
    target_ops: float = 500.0,
    target_p99_ms: float = 50.0,
    floor_rounds: int = 2,
    floor_seconds: float = 4.0,
    target_floor_ratio: float = 0.4,
    target_cpu_us: float = 300.0,
    env: dict[str, str] | None = None,
) -> Outcome:
    """Measure one set-up of ``SETUPS``; ``env`` adds to the servers' environment (e.g.
    ``HALL_SETTINGS`` to try a setting). ``floor_rounds`` 0: no floor."""
    backend, count, label = SETUPS[setup]
    started = time.perf_counter()
    outcome = Outcome(f"throughput-{setup}")
    hall = bench_hall()
    with (
        scratch_dir(setup) as folder,
        database(backend, folder) as url,
        bare_servers(folder, count if floor_rounds > 0 else 0) as bare,  # they start while ours do
        servers({**server_env(folder, url), **(env or {})}, folder, count) as running,
    ):
        for server in bare:
            server.wait_ready()
        urls = [s.url for s in running]
        counters = open_counters(urls, hall)
        phases = [Phase("prefill", "prefill", tickets=backlog, measured=False)]
        if warmup_seconds > 0:
            phases.append(Phase("warm-up", "closed", seconds=warmup_seconds, measured=False))
        phases += [
            Phase("rate", "open", seconds=rate_seconds, rate=rate),
            Phase("closed", "closed", seconds=closed_seconds),
        ]
        phases += floor_phases(floor_rounds, floor_seconds)
        plan = Plan(
            hall=HALL,
            kiosk_token=KIOSK_TOKEN,
            kiosk_urls=[urls[i % len(urls)] for i in range(kiosks)],
            counters=[CounterPlan(n, c["token"], c["url"]) for n, c in sorted(counters.items())],
            pools=issue_pools(hall),
            phases=phases,
            server_pids=[s.process.pid for s in running if s.process],
            floor_urls={ours: b.url for ours, b in zip(urls, bare, strict=False)},
            floor_pids=[b.process.pid for b in bare if b.process],
        )
        budget = 60 + 3 * (rate_seconds + closed_seconds + warmup_seconds + 2 * floor_rounds * floor_seconds)
        budget += backlog / 20
        result = run_load(plan, folder, budget)
        for index, server in enumerate(running):
            if server.process is None or server.process.poll() is not None:
                raise RuntimeError(f"server {index} died during the load:\n{log_tail(server.log)}")
        queue = httpx.get(f"{urls[0]}/api/halls/{HALL}/queue", timeout=30).json()
    failed = [p for p in result["phases"] if p.get("errors")]
    if failed:
        raise RuntimeError(f"{label}: requests failed: {failed}")
    interleaved = [p for p in result["phases"] if p["phase"].startswith(("ours-", "floor-"))]
    by_phase = {p["phase"]: p for p in result["phases"] if p not in interleaved}
    at_rate, closed = by_phase["rate"], by_phase["closed"]
    lat = at_rate["latency"]
    keeps_up = at_rate["ops_per_second"] >= 0.98 * rate
    outcome.figures.append(
        Figure(
            key=f"{setup}.at_rate_p99_ms",
            label=f"{label}: latency at {fmt(rate)} ops/s offered",
            value=lat["p99_ms"],
            unit="ms",
            text=f"{fmt(at_rate['ops_per_second'])} ops/s done; p50 {fmt(lat['p50_ms'])} / "
            f"p95 {fmt(lat['p95_ms'])} / p99 {fmt(lat['p99_ms'])} ms",
            target=f">= {fmt(0.98 * rate)} ops/s done; p99 < {fmt(target_p99_ms)} ms",
            ok=keeps_up and lat["p99_ms"] < target_p99_ms,
        )
    )
    clat = closed["latency"]
    outcome.figures.append(
        Figure(
            key=f"{setup}.max_ops_per_second",
            label=f"{label}: most ops/s (closed loop, {len(plan.kiosk_urls) + len(plan.counters)} clients)",
            value=closed["ops_per_second"],
            unit="ops/s",
            text=f"{fmt(closed['ops_per_second'])} ops/s; p50 {fmt(clat['p50_ms'])} / "
            f"p95 {fmt(clat['p95_ms'])} / p99 {fmt(clat['p99_ms'])} ms",
            target=f">= {fmt(target_ops)} ops/s",
            ok=closed["ops_per_second"] >= target_ops,
        )
    )
    cpu = at_rate["cpu"]
    servers_cpu = sum(v for k, v in cpu.items() if k.startswith("server_") and v is not None)
    outcome.figures.append(
        Figure(
            key=f"{setup}.at_rate_cpu_cores",
            label=f"{label}: CPU cores busy at {fmt(rate)} ops/s",
            value=round(servers_cpu, 2),
            unit="cores",
            text=f"server{'s' if count > 1 else ''} {servers_cpu:.2f}"
            + (f", PostgreSQL {cpu['postgres']:.2f}" if backend == "postgres" else "")
            + f", load generator {cpu['load_generator']:.2f}, other work {cpu['others']:.2f} (of {cpu_count()})",
        )
    )
    if interleaved:
        outcome.figures += floor_figures(setup, label, interleaved, target_floor_ratio, target_cpu_us)
    outcome.details = {
        "setup": {"backend": backend, "servers": count, "workers_per_server": 1, "label": label},
        "clients": result["clients"],
        "backlog": backlog,
        "phases": list(by_phase.values()),
        "final_queue": {"seq": queue["seq"], "waiting": queue["waiting"]},
    }
    if interleaved:
        outcome.details["floor"] = {"rounds": interleaved, "totals": floor_totals(interleaved)}
    outcome.seconds = time.perf_counter() - started
    return outcome


def floor_phases(rounds: int, seconds: float) -> list[Phase]:
    """Ours and the floor, closed loop, in turn: ABBA (ours, floor, floor, ours, ...)."""
    phases = []
    for index in range(1, rounds + 1):
        pair = [Phase(f"ours-{index}", "closed", seconds=seconds)]
        pair.append(Phase(f"floor-{index}", "closed", seconds=seconds, target="floor"))
        phases += pair if index % 2 else pair[::-1]
    return phases


def floor_totals(rounds: list[dict]) -> dict[str, dict]:
    """Ours and the floor over all their rounds: operations, seconds, ops/s, server CPU per op."""
    totals = {}
    for target in ("ours", "floor"):
        mine = [p for p in rounds if p["target"] == target]
        ops = sum(p["ops"] for p in mine)
        seconds = sum(p["elapsed"] for p in mine)
        cpu = sum(p["server_cpu_seconds"] for p in mine)
        totals[target] = {
            "rounds": len(mine),
            "ops": ops,
            "seconds": round(seconds, 3),
            "ops_per_second": round(ops / seconds, 1) if seconds else 0.0,
            "server_cpu_seconds": round(cpu, 3),
            "cpu_us_per_op": round(cpu / ops * 1e6, 1) if ops else float("nan"),
            "by_round_ops_per_second": [p["ops_per_second"] for p in mine],
            "by_round_cpu_us_per_op": [p["server_cpu_us_per_op"] for p in mine],
        }
    return totals


def floor_figures(
    setup: str, label: str, rounds: list[dict], target_ratio: float, target_cpu_us: float
) -> list[Figure]:
    totals = floor_totals(rounds)
    ours, floor = totals["ours"], totals["floor"]
    ratio = ours["ops_per_second"] / floor["ops_per_second"]
    spread = ", ".join(f"{fmt(v)}" for v in ours["by_round_cpu_us_per_op"])
    floor_spread = ", ".join(f"{fmt(v)}" for v in floor["by_round_cpu_us_per_op"])
    return [
        Figure(
            key=f"{setup}.floor_ratio",
            label=f"{label}: ops/s, ours ÷ a bare Litestar endpoint (closed loop, in turn)",
            value=round(ratio, 3),
            unit="",
            text=f"{ratio:.2f} ({fmt(ours['ops_per_second'])} ÷ {fmt(floor['ops_per_second'])} ops/s, "
            f"{ours['rounds']} round{'s' if ours['rounds'] > 1 else ''} each)",
            target=f"≥ {target_ratio:g}",
            ok=ratio >= target_ratio,
        ),
        Figure(
            key=f"{setup}.cpu_us_per_op",
            label=f"{label}: server CPU per operation (closed loop)",
            value=ours["cpu_us_per_op"],
            unit="µs",
            text=f"{fmt(ours['cpu_us_per_op'])} µs (rounds: {spread}); "
            f"{ours['cpu_us_per_op'] / floor['cpu_us_per_op']:.1f}× the floor's",
            target=f"≤ {fmt(target_cpu_us)} µs",
            ok=ours["cpu_us_per_op"] <= target_cpu_us,
        ),
        Figure(
            key=f"{setup}.floor_cpu_us_per_op",
            label=f"{label}: the bare endpoint's CPU per operation (closed loop)",
            value=floor["cpu_us_per_op"],
            unit="µs",
            text=f"{fmt(floor['cpu_us_per_op'])} µs (rounds: {floor_spread})",
        ),
    ]


def run_load(plan: msgspec.Struct, folder, timeout: float, module: str = "tests.perf.load", name: str = "") -> dict:
    """Run a load generator (``python -m module [drive] PLAN RESULT``) in a child process; its
    result, or an error with its output. ``name``: its files' prefix and its subcommand."""
    prefix = f"{name}-" if name else ""
    plan_path, result_path = folder / f"{prefix}plan.json", folder / f"{prefix}result.json"
    log_path = folder / f"{prefix}load.log"
    plan_path.write_bytes(msgspec.json.encode(plan))
    command = [python(), "-m", module, *([name] if name else []), str(plan_path), str(result_path)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=log)
        try:
            code = process.wait(timeout=timeout)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    if code != 0 or not result_path.exists():
        raise RuntimeError(f"load generator exited with {code}:\n{log_tail(log_path)}")
    return msgspec.json.decode(result_path.read_bytes())
