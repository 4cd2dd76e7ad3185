"""Figure 12: where a queue operation's server CPU goes, layer by layer, in process.

    python -m tests.perf --only layers

The three hot requests (a kiosk issues a ticket, a clerk calls next, then completes it) sent
straight to an ASGI app as ``http_edge.py`` sends them (no socket, no uvicorn), on uvloop as
``hall serve`` runs, in a child process of their own. The CPU per request of each layer, the
layers in turn (``repeat`` runs of ``rounds`` rounds each, so that a drift in the machine's
load falls on all alike; the medians are reported), split between the event loop's thread,
the halls' worker thread and the rest (each thread's scheduler time, schedstat):

- **bare**: the floor's app (``bare.py``): Litestar decoding the same bodies, answering JSON
  of our answers' shape and size;
- **http**: ours, the hall answering at once with the answer it gave last time to a command of
  that kind: what our HTTP layer adds to the bare app (three middlewares, the token check,
  guards, dependencies, the answers' size);
- **hop**: the same, the kept answer handed back from another thread the way the hall's worker
  answers (a ``SimpleQueue`` there, ``call_soon_threadsafe`` back): the thread hand-off;
- **full**: ours with the hall on SQLite (``synchronous=FULL``), logging as a deployment does
  (INFO, JSON, one line per event, to a file).

Each with one client (a hall's pace: nothing to batch) and, for bare and full, ``clients``
clients at once, one at each no-difference counter (closed loop: the worker groups their
commands in one commit), after ``backlog`` tickets were issued (figure 1's 420). Then, one
client again, **the worker's steps**: the thread CPU of each step of a command on the worker,
timed around it; what the timing costs (to the step timed and to the steps around it) is
measured and taken off, and the worker's whole CPU over those rounds is given beside them.

Not measured here: uvicorn and the sockets (in figure 1 the floor pays them too; ours also runs
``GuardedHttpProtocol``), two busy threads and a load generator sharing the machine's cores
under load, and PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import json
import logging
import logging.config
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

from queueing.kinds import served_items
from tests.perf.common import HALL, KIOSK_TOKEN, Figure, Outcome, bench_hall, fmt, issue_pools, python, scratch_dir
from tests.perf.http_edge import Asgi, KeptAnswers, bench_settings, clerk_token, lifespan, request

__all__ = ["bench_layers"]

WORKER = "halls"  # the name of the halls' worker thread (queueing.service.HallWorker)


def _threads_cpu_ns() -> dict[int, int]:
    """Every thread of this process: its kernel id -> the CPU time it has had, in ns (Linux's
    schedstat: exact, unlike the 10 ms ticks of ``stat``). The phases start and end no thread."""
    found: dict[int, int] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/schedstat") as schedstat:
                found[int(tid)] = int(schedstat.read().split()[0])
        except FileNotFoundError:  # ended meanwhile
            continue
    return found


def _roles() -> dict[int, str]:
    """Kernel thread id -> "loop", "worker", "hop" or "other"."""
    named = {WORKER: "worker", KeptAnswers.THREAD: "hop"}
    roles = {t.native_id: named.get(t.name, "other") for t in threading.enumerate() if t.native_id is not None}
    roles[threading.main_thread().native_id] = "loop"  # type: ignore[index]
    return roles


def _key(mode: str, many: bool) -> str:
    return f"{mode}-{'clients' if many else 'one'}"


class _Step(NamedTuple):
    label: str  # what the README calls it
    short: str  # in the figure's text
    module: str
    owner: str | None  # the class, or None for a function of the module
    name: str


# Inclusive: a step's figure holds the steps it calls ("the core" is within "deciding").
_STEPS = [
    _Step("all of a command on the worker", "all", "queueing.service", "HallWorker", "_step"),
    _Step("taking a pooled connection", "connection", "queueing.service", None, "write_transaction"),
    _Step("BEGIN IMMEDIATE (SQLAlchemy's begin)", "BEGIN", "sqlalchemy.engine.base", "Connection", "begin"),
    _Step("locking the hall's head row", "head", "queueing.store", None, "lock_head"),
    _Step("deciding: core, frames, answer, rows", "deciding", "queueing.service", "HallRuntime", "_decide_all"),
    _Step("  the core's decision (HallQueue.handle)", "core", "queueing.hall", "HallQueue", "handle"),
    _Step("  the estimates (at issue; the answers' views)", "estimates", "queueing.hall", "HallQueue", "estimate"),
    _Step("  the screens' frames", "frames", "displays.hub", "DisplayPublisher", "observe"),
    _Step("  the rows (Appends.add)", "rows", "queueing.store", "Appends", "add"),
    _Step("sending the rows (Appends.flush)", "flush", "queueing.store", "Appends", "flush"),
    _Step("COMMIT (SQLAlchemy's, and our listener)", "COMMIT", "sqlalchemy.engine.base", "Transaction", "commit"),
    _Step(
        "  SQLite's commit: WAL written, fsynced", "SQLite", "sqlalchemy.engine.default", "DefaultDialect", "do_commit"
    ),
    _Step("giving the connection back", "give back", "sqlalchemy.engine.base", "Connection", "close"),
    _Step("the log lines", "log", "queueing.service", "_Outcome", "send"),
    _Step("the frames handed to the event loop", "to loop", "queueing.service", "HallRuntime", "_observe"),
    _Step("the answers handed to the event loop", "answers", "queueing.service", "HallWorker", "answer"),
]


class _Steps:
    """The worker's steps, each timed with the thread's CPU clock around it. What the timing
    costs is measured (``calibrate``) and taken off: the part of a timed call that falls within
    its own clock reads (``inside_ns``), and all of each timed call within it (``overhead_ns``)."""

    def __init__(self) -> None:
        self.cpu_ns: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self.overhead_ns = self.inside_ns = 0.0
        self.thread: int | None = None  # the one thread timed
        self._open: list[list[int]] = []  # the steps under way: [started, timed calls within]

    def _timed(self, label: str, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() != self.thread:
                return original(*args, **kwargs)
            step = [time.thread_time_ns(), 0]
            self._open.append(step)
            try:
                return original(*args, **kwargs)
            finally:
                spent = time.thread_time_ns() - step[0]
                self._open.pop()
                self.cpu_ns[label] += spent - self.inside_ns - step[1] * self.overhead_ns
                self.calls[label] += 1
                if self._open:
                    self._open[-1][1] += 1 + step[1]

        return timed

    def calibrate(self, calls: int = 20_000) -> None:
        """What one timed call of nothing adds to the step around it, and measures of itself."""
        self.thread = threading.get_ident()
        nothing = self._timed("calibration", lambda: None)
        started = time.thread_time_ns()
        for _ in range(calls):
            nothing()
        self.overhead_ns = (time.thread_time_ns() - started) / calls
        self.inside_ns = self.cpu_ns["calibration"] / calls
        self.cpu_ns.clear()
        self.calls.clear()

    @contextmanager
    def timing(self, thread: int) -> Iterator[None]:
        self.thread = thread
        undo: list[Callable[[], None]] = []
        try:
            for step in _STEPS:
                holder: Any = sys.modules[step.module]
                if step.owner is not None:
                    holder = getattr(holder, step.owner)
                original = getattr(holder, step.name)
                setattr(holder, step.name, self._timed(step.label, original))
                undo.append(functools.partial(setattr, holder, step.name, original))
            yield
        finally:
            for restore in reversed(undo):
                restore()


def _log_line_alone(lines: int = 5_000) -> float:
    """µs of CPU for one of the hall's event log lines, written in a loop of their own (the same
    logger, filter, formatter and file as the hall's)."""
    log = logging.getLogger("hall.queue")
    fields = {"hall": HALL, "seq": 1, "ticket": "A001", "counter": 1, "actor": "zhangwei"}
    started = time.thread_time_ns()
    for seq in range(lines):
        fields["seq"], fields["ticket"] = seq, f"A{seq % 1000:03d}"
        log.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, "ticket_called", (), None, "send", fields))
    return (time.thread_time_ns() - started) / lines / 1e3


async def _measure(rounds: int, repeat: int, clients: int, backlog: int, folder: Path) -> dict[str, Any]:
    from config.app import create_app
    from config.logging import logging_config

    app = create_app(bench_settings(folder, "INFO"), configure_logs=False)
    # As a deployment logs (INFO, JSON, through the masking filter), to a file, not the terminal.
    config = logging_config("INFO", "json")
    config["handlers"]["main"] = {
        "class": "logging.FileHandler",
        "filename": str(folder / "server.log"),
        "formatter": "main",
        "filters": ["mask"],
    }
    logging.config.dictConfig(config)
    stop, _ = await lifespan(app)
    try:
        with KeptAnswers() as answers:
            return await _layers(app, answers, rounds, repeat, clients, backlog)
    finally:
        await stop()


async def _layers(app: Asgi, answers: KeptAnswers, rounds: int, repeat: int, clients: int, backlog: int) -> dict:
    from tests.perf import bare

    floor = bare.create_app()
    hall = bench_hall()
    chosen = sorted((c for c in hall.counters if c.kind == "no_difference"), key=lambda c: c.number)[:clients]
    counters = [c.number for c in chosen]
    tokens = {number: await clerk_token(app, hall, number) for number in counters}
    # The measured rounds issue, in turn, each item that every chosen counter calls.
    items = itertools.cycle(sorted(set.intersection(*(set(served_items(c, hall.rules.items)) for c in chosen))))
    keys = itertools.count()
    nothing_waiting = Counter[str]()

    async def issue(target: Asgi, item: str | None = None) -> int:
        body = msgspec.json.encode({"item": item or next(items), "idempotency_key": f"k{next(keys)}"})
        answer = await request(target, "POST", f"/api/halls/{HALL}/tickets", KIOSK_TOKEN, body)
        assert answer.status == 201, answer
        return 1

    async def serve(target: Asgi, number: int, phase: str) -> int:
        base = f"/api/halls/{HALL}/counters/{number}"
        answer = await request(target, "POST", f"{base}/call-next", tokens[number])
        if answer.status == 204:  # another client's call took the last one: nothing to complete
            nothing_waiting[phase] += 1
            return 1
        assert answer.status == 200, answer
        done = msgspec.json.encode({"ticket": msgspec.json.decode(answer.body)["id"]})
        answer = await request(target, "POST", f"{base}/complete", tokens[number], done)
        assert answer.status == 200, answer
        return 2

    async def client(target: Asgi, number: int, n: int, phase: str) -> int:
        requests = 0
        for _ in range(n):
            requests += await issue(target)
            requests += await serve(target, number, phase)
        return requests

    async def phase(mode: str, many: bool, n: int) -> dict[str, Any]:
        answers.mode = {"bare": "real", "http": "kept", "hop": "hop", "full": "real"}[mode]
        target = floor if mode == "bare" else app
        width = len(counters) if many else 1
        before, cpu = _threads_cpu_ns(), time.process_time()
        done = sum(
            await asyncio.gather(*(client(target, counters[i], n // width, _key(mode, many)) for i in range(width)))
        )
        cpu, after, roles = time.process_time() - cpu, _threads_cpu_ns(), _roles()
        threads: defaultdict[str, float] = defaultdict(float)
        for tid, ns in after.items():
            threads[roles.get(tid, "other")] += (ns - before.get(tid, 0)) / done / 1e3
        return {"us_per_request": cpu / done * 1e6, "requests": done, "threads": dict(threads)}

    for _ in range(30):  # the hall's state, its caches and the kept answers, warm
        await client(app, counters[0], 1, "warm-up")
    worker = next((t for t in threading.enumerate() if t.name == WORKER), None)
    assert worker is not None, f"no thread named {WORKER!r}: its share and its steps would go unseen"
    pools = issue_pools(hall)
    for i in range(backlog):  # waiting in figure 1's mix: each counter's pool in turn
        pool = pools[i % len(pools)]
        await issue(app, pool[i // len(pools) % len(pool)])
    layers = [("bare", False), ("http", False), ("hop", False), ("full", False), ("bare", True), ("full", True)]
    for mode, many in layers:  # each layer's code warm before the first measured run
        await phase(mode, many, max(rounds // 10, len(counters)))
    answered_before = Counter(answers.answered)
    measured: dict[str, list[dict[str, Any]]] = {}
    for _ in range(repeat):
        for mode, many in layers:
            measured.setdefault(_key(mode, many), []).append(await phase(mode, many, rounds))
    answered = dict(Counter(answers.answered) - answered_before)
    answers.mode = "real"
    steps = _Steps()
    steps.calibrate()
    worker_cpu = _threads_cpu_ns()[worker.native_id]  # type: ignore[index]
    with steps.timing(worker.ident):  # type: ignore[arg-type]
        done = await client(app, counters[0], rounds, "steps")
    worker_cpu = _threads_cpu_ns()[worker.native_id] - worker_cpu  # type: ignore[index]
    return {
        "rounds": rounds,
        "repeat": repeat,
        "clients": len(counters),
        "backlog": backlog,
        "runs": measured,
        "answered": answered,  # by the hall (real), at once (kept), from another thread (hop)
        "nothing_waiting": dict(nothing_waiting),
        "steps": [
            {
                "step": s.label,
                "us_per_request": steps.cpu_ns[s.label] / done / 1e3,
                "calls": steps.calls[s.label] / done,
            }
            for s in _STEPS
        ],
        "steps_requests": done,
        "steps_worker_thread_us": worker_cpu / done / 1e3,  # the worker's whole CPU meanwhile, timing included
        "timing_us": {"outside": steps.overhead_ns / 1e3, "inside": steps.inside_ns / 1e3},
        "log_line_alone_us": _log_line_alone(),
    }


def bench_layers(rounds: int = 600, repeat: int = 5, clients: int = 5, backlog: int = 420) -> Outcome:
    """The child process's measurements, as figures: each the median of ``repeat`` runs."""
    started = time.perf_counter()
    outcome = Outcome("layers")
    with scratch_dir("layers") as folder:
        out = folder / "layers.json"
        args = ["-m", "tests.perf.layers", "--rounds", str(rounds), "--repeat", str(repeat), "--clients", str(clients)]
        args += ["--backlog", str(backlog), "--folder", str(folder), "--json", str(out)]
        child = subprocess.run([python(), *args], capture_output=True, text=True, timeout=900)
        if child.returncode != 0:
            raise RuntimeError(f"the layers' child failed:\n{child.stdout[-2000:]}\n{child.stderr[-4000:]}")
        found = json.loads(out.read_text())
    runs = found["runs"]

    def median(key: str, thread: str | None = None) -> float:
        return statistics.median(r["threads"].get(thread, 0.0) if thread else r["us_per_request"] for r in runs[key])

    def split(key: str, than: str | None = None) -> str:
        """The threads' shares of ``key``'s figure, or (``than``) what each adds to ``than``'s."""
        shares = []
        for role in ("loop", "worker", "hop"):
            us = median(key, role) - (median(than, role) if than else 0.0)
            if abs(us) >= 0.5:
                shares.append(f"{role} {'+' if than else ''}{fmt(us)}")
        return ", ".join(shares)

    bare, http, hop, full = (median(f"{m}-one") for m in ("bare", "http", "hop", "full"))
    hop_loop, n = median("hop-one", "loop"), found["clients"]
    rows = [
        ("bare_one", "the bare app, one client", bare, ""),
        ("http_one", "ours, the hall answering at once: the HTTP layer", http, f"+{fmt(http - bare)} µs over bare"),
        ("hop_one", "the same, the answer from another thread", hop, f"over the last: {split('hop-one', 'http-one')}"),
        (
            "full_one",
            "ours, the hall on SQLite, one client (a hall's pace)",
            full,
            f"{split('full-one')}; the loop +{fmt(median('full-one', 'loop') - hop_loop)} over the hop's",
        ),
        ("bare_clients", f"the bare app, {n} clients", median("bare-clients"), ""),
        ("full_clients", f"ours, the hall on SQLite, {n} clients", median("full-clients"), split("full-clients")),
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
    steps = {s["step"]: s for s in found["steps"]}
    outcome.figures.append(
        Figure(
            key="layers.worker_steps_us",
            label="in process, one client: the worker's CPU per request, by step",
            value=round(steps[_STEPS[0].label]["us_per_request"], 1),
            unit="µs",
            text=", ".join(f"{s.short} {fmt(steps[s.label]['us_per_request'])}" for s in _STEPS)
            + f" µs (the worker's thread meanwhile {fmt(found['steps_worker_thread_us'])}; "
            f"a log line alone {fmt(found['log_line_alone_us'])})",
        )
    )
    outcome.details = found
    outcome.seconds = time.perf_counter() - started
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, required=True, help="issue + call-next + complete, per run")
    parser.add_argument("--repeat", type=int, required=True, help="runs of every layer, in turn")
    parser.add_argument("--clients", type=int, required=True, help="clients at once in the closed-loop runs")
    parser.add_argument("--backlog", type=int, required=True, help="tickets waiting before the runs")
    parser.add_argument("--folder", type=Path, required=True, help="for the database and the log")
    parser.add_argument("--json", type=Path, required=True, help="where the measurements go")
    args = parser.parse_args()
    import uvloop

    uvloop.install()  # as ``hall serve`` runs
    found = asyncio.run(_measure(args.rounds, args.repeat, args.clients, args.backlog, args.folder))
    args.json.write_text(json.dumps(found, indent=1))


if __name__ == "__main__":
    main()
