"""Figure 12: where a queue operation's server CPU goes, layer by layer, in process.

    python -m tests.perf --only layers         (or: python -m tests.perf.layers --rounds 1500)

The three hot requests (a kiosk issues a ticket, a clerk calls next, then completes it) sent
straight to an ASGI app as ``http_edge.py`` sends them (no socket, no uvicorn), on uvloop as
``hall serve`` runs, in a child process of their own. The process's CPU per request, in turn
(ABAB… over ``repeat`` rounds, so that a drift in the machine's load falls on all alike), for:

- **bare**: the floor's app (``bare.py``): Litestar decoding the same bodies, answering JSON
  of our answers' shape and size;
- **http**: ours, the hall answering at once with an answer it gave before: what our HTTP layer
  adds to the bare app (three middlewares, the token check, guards, dependencies, the answers);
- **hop**: the same, the kept answer coming back from another thread the way the hall's
  worker answers (a ``SimpleQueue`` there, ``call_soon_threadsafe`` back): the thread hand-off;
- **full**: ours with the hall on SQLite (``synchronous=FULL``), logging as a deployment does
  (INFO, JSON, one line per event, to a file); split between the event loop's thread and the
  halls' worker thread (per-thread CPU from /proc).

Each with one client (a hall's pace: nothing to batch) and, for bare and full, ``clients``
clients at once, one at each no-difference counter (closed loop: the worker groups their
commands in one commit). Then, one client again, **the worker's steps**: the thread CPU of
each step of a command on the worker (``time.thread_time`` around it; the timing itself adds
about a microsecond a step), to say where the worker's share goes.

Not measured here: uvicorn, the sockets and the kernel's TCP work (the floor in figure 1 pays
them as ours does), and PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging.config
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from queue import SimpleQueue
from typing import Any

import msgspec

from queueing.kinds import served_items
from tests.perf.common import (
    HALL,
    KIOSK_TOKEN,
    STAFF_PASSWORD,
    Figure,
    Outcome,
    bench_hall,
    clerks,
    fmt,
    issue_pools,
    python,
    scratch_dir,
)
from tests.perf.http_edge import bench_settings, lifespan, request

__all__ = ["bench_layers"]

Asgi = Callable[..., Any]


def _thread_cpu() -> dict[str, int]:
    """Every thread of this process: its id -> utime + stime, in clock ticks."""
    found: dict[str, int] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # ended meanwhile
            continue
        found[tid] = int(fields[11]) + int(fields[12])
    return found


_TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")


class _Answers:
    """The hall's ``execute`` as the phase wants it: real, kept answers at once, or kept answers
    through another thread."""

    def __init__(self) -> None:
        self.mode = "full"
        self.kept: dict[str, Any] = {}
        self.jobs: SimpleQueue[tuple[asyncio.AbstractEventLoop, asyncio.Future, Any]] = SimpleQueue()
        threading.Thread(target=self._answer_from_a_thread, name="hop", daemon=True).start()

    def _answer_from_a_thread(self) -> None:
        while True:
            loop, waiter, answer = self.jobs.get()
            loop.call_soon_threadsafe(waiter.set_result, answer)

    def install(self) -> None:
        from queueing import service

        real = service.HallRuntime.execute
        answers = self

        async def execute(runtime: Any, command: Any, present: Any = None, also: Any = None) -> Any:
            name = type(command).__name__
            if answers.mode == "full" or name not in answers.kept:
                answers.kept[name] = answer = await real(runtime, command, present, also)
                return answer
            if answers.mode == "hop":
                loop = asyncio.get_running_loop()
                waiter = loop.create_future()
                answers.jobs.put((loop, waiter, answers.kept[name]))
                return await waiter
            return answers.kept[name]

        service.HallRuntime.execute = execute  # type: ignore[method-assign]


# The worker's steps: (label, short label, module, owner or None for a module's function, name).
# Inclusive: a step's figure holds the steps it calls ("the core" is within "deciding").
_STEPS = [
    ("all of a command on the worker", "all", "queueing.service", "HallWorker", "_step"),
    ("taking a pooled connection", "connection", "queueing.service", None, "write_transaction"),
    ("BEGIN IMMEDIATE (SQLAlchemy's begin)", "BEGIN", "sqlalchemy.engine.base", "Connection", "begin"),
    ("locking the hall's head row", "head", "queueing.store", None, "lock_head"),
    ("deciding: core, frames, answer, rows", "deciding", "queueing.service", "HallRuntime", "_decide_all"),
    ("  the core's decision (HallQueue.handle)", "core", "queueing.hall", "HallQueue", "handle"),
    ("    the estimate told at issue", "estimate", "queueing.hall", "HallQueue", "estimate"),
    ("  the screens' frames", "frames", "displays.hub", "DisplayPublisher", "observe"),
    ("  the rows (Appends.add)", "rows", "queueing.store", "Appends", "add"),
    ("sending the rows (Appends.flush)", "flush", "queueing.store", "Appends", "flush"),
    ("COMMIT (SQLAlchemy's)", "COMMIT", "sqlalchemy.engine.base", "Transaction", "commit"),
    ("  SQLite's commit: WAL written, fsynced", "SQLite", "sqlalchemy.engine.default", "DefaultDialect", "do_commit"),
    ("giving the connection back", "give back", "sqlalchemy.engine.base", "Connection", "close"),
    ("the log lines", "log", "queueing.service", "_Outcome", "send"),
    ("the frames handed to the event loop", "to loop", "queueing.service", "HallRuntime", "_observe"),
    ("the answers handed to the event loop", "answers", "queueing.service", "HallWorker", "answer"),
]


class _Steps:
    def __init__(self) -> None:
        self.cpu_ns: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self._undo: list[Callable[[], None]] = []

    def _wrap(self, label: str, _short: str, module: str, owner: str | None, name: str) -> None:
        holder: Any = sys.modules[module] if owner is None else getattr(sys.modules[module], owner)
        original = getattr(holder, name)
        cpu_ns, calls = self.cpu_ns, self.calls
        worker = threading.current_thread  # the event loop's thread is not counted

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if worker().name != "halls":
                return original(*args, **kwargs)
            started = time.thread_time_ns()
            try:
                return original(*args, **kwargs)
            finally:
                cpu_ns[label] += time.thread_time_ns() - started
                calls[label] += 1

        setattr(holder, name, timed)
        self._undo.append(lambda: setattr(holder, name, original))

    @contextmanager
    def timing(self) -> Iterator[None]:
        for step in _STEPS:
            self._wrap(*step)
        try:
            yield
        finally:
            while self._undo:
                self._undo.pop()()


async def _measure(rounds: int, repeat: int, clients: int, backlog: int, folder: Path) -> dict[str, Any]:
    from config.app import create_app
    from config.logging import logging_config
    from tests.perf import bare

    answers = _Answers()
    answers.install()
    app = create_app(bench_settings(folder, "INFO"), configure_logs=False)
    # As a deployment logs (INFO, JSON, through the masking filter), to a file, not the terminal.
    config = logging_config("INFO", "json")
    log_file = str(folder / "server.log")
    config["handlers"]["main"] = {"class": "logging.FileHandler", "filename": log_file, "formatter": "main"}
    config["handlers"]["main"]["filters"] = ["mask"]
    logging.config.dictConfig(config)
    stop, _ = await lifespan(app)
    floor = bare.create_app()
    hall = bench_hall()
    staff = clerks(hall)
    chosen = sorted((c for c in hall.counters if c.kind == "no_difference"), key=lambda c: c.number)[:clients]
    counters = [c.number for c in chosen]
    item = min(set.intersection(*(set(served_items(c, hall.rules.items)) for c in chosen)))  # all of them call it
    tokens: dict[int, str] = {}
    for number in counters:
        login = msgspec.json.encode({"hall": HALL, "username": staff[number], "password": STAFF_PASSWORD})
        answer = await request(app, "POST", "/api/auth/login", body=login)
        assert answer.status == 200, answer
        tokens[number] = msgspec.json.decode(answer.body)["token"]
        for action in ("sign-in", "open"):
            answer = await request(app, "POST", f"/api/halls/{HALL}/counters/{number}/{action}", tokens[number])
            assert answer.status == 200, answer
    keys = iter(range(1 << 62))

    async def issue(target: Asgi) -> int:
        body = msgspec.json.encode({"item": item, "idempotency_key": f"k{next(keys)}-{time.monotonic_ns()}"})
        answer = await request(target, "POST", f"/api/halls/{HALL}/tickets", KIOSK_TOKEN, body)
        assert answer.status == 201, answer
        return 1

    async def serve(target: Asgi, number: int) -> int:
        base = f"/api/halls/{HALL}/counters/{number}"
        answer = await request(target, "POST", f"{base}/call-next", tokens[number])
        if answer.status != 200:  # another client's call took the last one: nothing to complete
            return 1
        done = msgspec.json.encode({"ticket": msgspec.json.decode(answer.body)["id"]})
        answer = await request(target, "POST", f"{base}/complete", tokens[number], done)
        assert answer.status == 200, answer
        return 2

    async def client(target: Asgi, number: int, n: int) -> int:
        requests = 0
        for _ in range(n):
            requests += await issue(target)
            requests += await serve(target, number)
        return requests

    async def phase(mode: str, many: bool) -> dict[str, Any]:
        answers.mode = mode
        target = floor if mode == "bare" else app
        width = len(counters) if many else 1
        before, cpu, wall = _thread_cpu(), time.process_time(), time.perf_counter()
        done = sum(await asyncio.gather(*(client(target, counters[i], rounds // width) for i in range(width))))
        cpu, wall, after = time.process_time() - cpu, time.perf_counter() - wall, _thread_cpu()
        main = threading.main_thread().native_id
        worker = next((t.native_id for t in threading.enumerate() if t.name == "halls"), None)
        by_thread = {str(main): "loop", str(worker): "worker"}
        threads: dict[str, float] = {}
        for tid, ticks in after.items():
            name = by_thread.get(tid, "other")
            threads[name] = threads.get(name, 0.0) + (ticks - before.get(tid, 0)) * _TICK_US / done
        return {"us_per_request": cpu / done * 1e6, "wall_us": wall / done * 1e6, "requests": done, "threads": threads}

    for _ in range(30):  # the hall's state, the caches and the kept answers, warm
        await client(app, counters[0], 1)
    pools = issue_pools(hall)
    for i in range(max(backlog, 3 * len(counters))):  # waiting, as in figure 1: something for every counter to call
        pool = pools[i % len(pools)]
        body = msgspec.json.encode({"item": pool[i // len(pools) % len(pool)]})
        answer = await request(app, "POST", f"/api/halls/{HALL}/tickets", KIOSK_TOKEN, body)
        assert answer.status == 201, answer
    phases = [("bare", False), ("http", False), ("hop", False), ("full", False), ("bare", True), ("full", True)]
    runs: dict[str, list[dict[str, Any]]] = {}
    for _ in range(repeat):
        for mode, many in phases:
            key = f"{mode}-{'clients' if many else 'one'}"
            runs.setdefault(key, []).append(await phase(mode, many))
    steps = _Steps()
    answers.mode = "full"
    with steps.timing():
        done = await client(app, counters[0], rounds)
    await stop()
    return {
        "rounds": rounds,
        "repeat": repeat,
        "clients": len(counters),
        "runs": runs,
        "steps": [
            {"step": label, "us_per_request": cpu / done / 1e3, "calls_per_request": steps.calls[label] / done}
            for label, *_ in _STEPS
            for cpu in [steps.cpu_ns[label]]
        ],
        "steps_requests": done,
    }


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def bench_layers(rounds: int = 600, repeat: int = 5, clients: int = 5, backlog: int = 420) -> Outcome:
    """The child process's measurements, as figures: the median of ``repeat`` runs each."""
    started = time.perf_counter()
    outcome = Outcome("layers")
    with scratch_dir("layers") as folder:
        out = folder / "layers.json"
        args = ["-m", "tests.perf.layers", "--rounds", str(rounds), "--repeat", str(repeat)]
        args += ["--clients", str(clients), "--backlog", str(backlog)]
        child = subprocess.run([python(), *args, "--json", str(out)], capture_output=True, text=True, timeout=900)
        if child.returncode != 0:
            raise RuntimeError(f"the layers' child failed:\n{child.stdout[-2000:]}\n{child.stderr[-4000:]}")
        found = json.loads(out.read_text())
    runs = found["runs"]

    def median(key: str, thread: str | None = None) -> float:
        return _median([r["threads"].get(thread, 0.0) if thread else r["us_per_request"] for r in runs[key]])

    bare, http, hop, full = (median(f"{m}-one") for m in ("bare", "http", "hop", "full"))
    n = found["clients"]
    rows = [
        ("bare_one", "the bare app, one client", bare, ""),
        ("http_one", "ours, the hall answering at once: the HTTP layer", http, f"+{fmt(http - bare)} µs over bare"),
        ("hop_one", "the same, the answer from another thread", hop, f"+{fmt(hop - http)} µs: the hand-off"),
        (
            "full_one",
            "ours, the hall on SQLite, one client (a hall's pace)",
            full,
            f"event loop {fmt(median('full-one', 'loop'))}, worker {fmt(median('full-one', 'worker'))} µs",
        ),
        ("bare_clients", f"the bare app, {n} clients", median("bare-clients"), ""),
        (
            "full_clients",
            f"ours, the hall on SQLite, {n} clients (commits grouped)",
            median("full-clients"),
            f"event loop {fmt(median('full-clients', 'loop'))}, worker {fmt(median('full-clients', 'worker'))} µs",
        ),
    ]
    for key, label, value, more in rows:
        outcome.figures.append(
            Figure(
                key=f"layers.{key}_us",
                label=f"in process, CPU per request: {label}",
                value=round(value, 1),
                unit="µs",
                text=f"{fmt(value)} µs" + (f" ({more})" if more else ""),
            )
        )
    steps = {s["step"]: s["us_per_request"] for s in found["steps"]}
    outcome.figures.append(
        Figure(
            key="layers.worker_steps_us",
            label="in process, one client: the worker's CPU per request, by step",
            value=round(steps[_STEPS[0][0]], 1),
            unit="µs",
            text=", ".join(f"{short} {fmt(steps[label])}" for label, short, *_ in _STEPS) + " µs",
        )
    )
    outcome.details = found
    outcome.seconds = time.perf_counter() - started
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=600, help="issue + call-next + complete, per phase")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of every phase, in turn")
    parser.add_argument("--clients", type=int, default=5, help="clients at once in the closed-loop phases")
    parser.add_argument("--backlog", type=int, default=420, help="tickets waiting before the measuring (figure 1's)")
    parser.add_argument("--json", type=Path, help="write the measurements here (else print them)")
    args = parser.parse_args()
    import uvloop

    uvloop.install()  # as ``hall serve`` runs
    with tempfile.TemporaryDirectory(prefix="hallq_layers_") as folder:
        found = asyncio.run(_measure(args.rounds, args.repeat, args.clients, args.backlog, Path(folder)))
    text = json.dumps(found, indent=1)
    if args.json:
        args.json.write_text(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
