"""Run the benchmarks and print their figures: ``python -m tests.perf`` (``make perf``).

    python -m tests.perf                      everything (a few minutes)
    python -m tests.perf --only sqlite,core   some of them: sqlite, postgres, postgres-2,
                                              pace, pace-postgres, calling, core, rebuild, displays,
                                              floor, printing, appointments, stats, simulation,
                                              estimates, pdf, halls-sqlite, halls-postgres,
                                              halls-postgres-2, layers
    python -m tests.perf --strict             exit 1 if a figure misses its target

Prints the machine and a table, one line per figure with its target and PASS, MISS or
info; writes the figures and the details behind them to test-artifacts/perf.json. A
benchmark that fails to run is reported as ERROR and makes the exit status 2.

PostgreSQL: $TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
each benchmark creates a database of its own and drops it afterwards. Redis (the displays
benchmark's two-server part): $TEST_REDIS_URL (default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from tests.perf.appointments import bench_appointments
from tests.perf.calling import bench_call_next_core, bench_call_next_http
from tests.perf.common import ARTIFACTS, ROOT, Figure, Outcome, machine, table
from tests.perf.displays import bench_displays
from tests.perf.estimates import bench_estimates
from tests.perf.floor import bench_floor
from tests.perf.halls import bench_halls
from tests.perf.layers import bench_layers
from tests.perf.pace import bench_pace
from tests.perf.pdf import bench_pdf
from tests.perf.printing import bench_printing
from tests.perf.rebuild import bench_rebuild
from tests.perf.simulation import bench_simulation
from tests.perf.stats import bench_stats
from tests.perf.throughput import bench_throughput

BENCHMARKS: dict[str, tuple[str, Callable[[], Outcome]]] = {
    "sqlite": ("1. ops/s, SQLite, one worker", lambda: bench_throughput("sqlite")),
    "postgres": ("1. ops/s, PostgreSQL, one worker", lambda: bench_throughput("postgres")),
    "postgres-2": ("1. ops/s, PostgreSQL, two servers", lambda: bench_throughput("postgres-2")),
    "pace": ("1. server CPU per operation at a hall's pace, SQLite, against a bare endpoint", lambda: bench_pace()),
    "pace-postgres": (
        "1. server CPU per operation at a hall's pace, PostgreSQL, against a bare endpoint",
        lambda: bench_pace("postgres"),
    ),
    "calling": ("2. call-next over HTTP with 5,000 waiting", lambda: bench_call_next_http()),
    "core": ("2. the core's call-next at 500 / 5,000 / 50,000 waiting", lambda: bench_call_next_core()),
    "rebuild": ("3. rebuild from 100,000 events", lambda: bench_rebuild()),
    "displays": ("4. device channel: 500 / 5,000 devices, Redis, most calls/s", lambda: bench_displays()),
    "floor": ("4. the machine's floor: a bare broadcast to 500 devices", lambda: bench_floor()),
    "printing": ("5. 1,000 slips to the dummy printer", lambda: bench_printing()),
    "appointments": ("6. a week of slots; 200 clients racing for one slot", lambda: bench_appointments()),
    "stats": ("7. statistics on six months of a busy hall; the live view; exports", lambda: bench_stats()),
    "simulation": ("8. the simulator against ciw; the advice; what-if from now", lambda: bench_simulation()),
    "estimates": ("9. the waits quoted at issue against the waits that followed", lambda: bench_estimates()),
    "pdf": ("10. the kiosk's issue while 20 clients fetch PDF tickets, before and after", lambda: bench_pdf()),
    "halls-sqlite": ("11. 100 halls at 5 ops/s each with their screens, SQLite, one worker", lambda: bench_halls()),
    "halls-postgres": ("11. 100 halls at 5 ops/s each, PostgreSQL, one worker", lambda: bench_halls("postgres")),
    "halls-postgres-2": (
        "11. 200 halls at 5 ops/s each, PostgreSQL + Redis, two servers",
        lambda: bench_halls("postgres-2"),
    ),
    "layers": ("12. where an operation's CPU goes, layer by layer, in process", lambda: bench_layers()),
}


def _stop_on_sigterm() -> None:
    """A SIGTERM unwinds like Ctrl-C, so every server and database is cleaned up."""

    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return "unknown"
    return head.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def _disturbances(outcomes: list[Outcome], limit: float = 0.25) -> list[str]:
    """Warnings for measurements during which other work on the machine took CPU."""
    found = []

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            others = node.get("others")
            if isinstance(others, float) and "whole_machine" in node and others > limit:
                found.append(f"warning: other work on the machine used {others:.2f} cores during {where}")
            for key, value in node.items():
                walk(value, where if key in ("cpu", "phases") else f"{where} {key}")
        elif isinstance(node, list):
            for value in node:
                phase = value.get("phase") if isinstance(value, dict) else None
                walk(value, f"{where}, {phase} phase" if phase else where)

    for outcome in outcomes:
        walk(outcome.details, outcome.name)
    if found:
        found.append(
            "         (figures measured on a busy machine are worse than the code; run again when it is quiet)"
        )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated: " + ", ".join(BENCHMARKS))
    parser.add_argument("--strict", action="store_true", help="exit 1 if a figure misses its target")
    parser.add_argument("--json", type=Path, default=ARTIFACTS / "perf.json", help="where to write the figures")
    args = parser.parse_args(argv)
    names = list(BENCHMARKS)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        if unknown := [n for n in names if n not in BENCHMARKS]:
            parser.error(f"unknown benchmarks {unknown}; known: {', '.join(BENCHMARKS)}")
    _stop_on_sigterm()

    started = time.perf_counter()
    when = dt.datetime.now(dt.UTC)
    host = machine()
    print(f"hall queue benchmarks, {when:%Y-%m-%d %H:%M} UTC, commit {_commit()}")
    print(
        f"machine: {host['cpu']}, {host['cores']} cores ({host['usable_cores']} usable), "
        f"Python {host['python']} ({host['implementation']}), {host['system']}; "
        f"load average at start {host['load_average']}",
        flush=True,
    )
    outcomes: list[Outcome] = []
    errors: dict[str, str] = {}
    for index, name in enumerate(names, 1):
        title = BENCHMARKS[name][0]
        print(f"[{index}/{len(names)}] {title} ...", file=sys.stderr, flush=True)
        began = time.perf_counter()
        try:
            outcome = BENCHMARKS[name][1]()
        except Exception as exc:
            errors[name] = "".join(traceback.format_exception(exc))
            print(f"      ERROR: {exc}", file=sys.stderr, flush=True)
            continue
        outcomes.append(outcome)
        print(f"      {time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)
    figures: list[Figure] = [f for o in outcomes for f in o.figures]
    figures += [
        Figure(f"{name}.error", BENCHMARKS[name][0], float("nan"), "", text="did not run", error=True)
        for name in errors
    ]
    took = time.perf_counter() - started
    print()
    print(table(figures))
    passed = sum(f.ok is True for f in figures)
    missed = sum(f.ok is False for f in figures if not f.error)
    print()
    print(
        f"{passed} PASS, {missed} MISS, {len(errors)} ERROR; took {took:.0f} s; "
        f"load average at end {machine()['load_average']}; figures in {args.json}"
    )
    for warning in _disturbances(outcomes):
        print(warning)
    for name, trace in errors.items():
        print(f"\n--- {name} failed:\n{trace}", file=sys.stderr)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "started_at": when.isoformat(timespec="seconds"),
        "seconds": round(took, 1),
        "commit": _commit(),
        "machine": host,
        "load_average_at_end": machine()["load_average"],
        "summary": {"pass": passed, "miss": missed, "error": len(errors)},
        "figures": [
            {
                "key": f.key,
                "label": f.label,
                "value": f.value,
                "unit": f.unit,
                "shown": f.shown(),
                "target": f.target,
                "result": f.result,
            }
            for f in figures
            if not f.error
        ],
        "benchmarks": [o.as_json() for o in outcomes],
        "errors": errors,
    }
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    if errors:
        return 2
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
