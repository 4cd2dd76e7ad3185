"""What the benchmarks share: figures, percentiles, the machine, scratch databases and servers."""

from __future__ import annotations

import math
import os
import platform
import resource
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
import psycopg

from config.halls import HallDefinition, load_hall
from queueing.kinds import served_items
from tests.support import ROOT, Server

BENCH_HALL = Path(__file__).resolve().parent / "bench.toml"
HALL = "bench"
KIOSK_TOKEN = "demo-kiosk-token"
STAFF_PASSWORD = "demo-staff"
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ARTIFACTS = ROOT / "test-artifacts"


# ---------------------------------------------------------------------------- figures


@dataclass
class Figure:
    """One line of the table: a measured value, and the target it is held to (if any)."""

    key: str
    label: str
    value: float
    unit: str
    text: str = ""  # how the value is shown, when not just the number (e.g. "p50 / p95 / p99")
    target: str = ""  # e.g. "p99 < 50 ms"; empty: reported for information
    ok: bool | None = None  # None: no target
    note: str = ""
    error: bool = False  # the benchmark did not run

    @property
    def result(self) -> str:
        if self.error:
            return "ERROR"
        return "info" if self.ok is None else ("PASS" if self.ok else "MISS")

    def shown(self) -> str:
        return self.text or f"{fmt(self.value)} {self.unit}".strip()


@dataclass
class Outcome:
    """What one benchmark hands back: its figures and the details behind them (for the JSON)."""

    name: str
    figures: list[Figure] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    seconds: float = 0.0

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "seconds": round(self.seconds, 2),
            "figures": [{**asdict(f), "result": f.result} for f in self.figures],
            "details": self.details,
        }


def fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summary_ms(seconds: Sequence[float]) -> dict:
    """Count, mean and percentiles, in milliseconds, of latencies given in seconds."""
    values = sorted(seconds)
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "mean_ms": round(sum(values) / len(values) * 1000, 3),
        "p50_ms": round(percentile(values, 50) * 1000, 3),
        "p95_ms": round(percentile(values, 95) * 1000, 3),
        "p99_ms": round(percentile(values, 99) * 1000, 3),
        "max_ms": round(values[-1] * 1000, 3),
    }


def table(figures: list[Figure]) -> str:
    rows = [("figure", "value", "target", "result")]
    rows += [(f.label, f.shown(), f.target or "-", f.result) for f in figures]
    widths = [max(_width(r[i]) for r in rows) for i in range(4)]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)  # CJK characters take two columns


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


# ---------------------------------------------------------------------------- the machine


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        load = []
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "system": f"{platform.system()} {platform.release()}",
        "load_average": " ".join(load),
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores, every process), from /proc/stat."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return math.nan
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def processes_cpu_seconds(command: str) -> dict[int, float]:
    """CPU seconds used so far by each process whose name is ``command`` (e.g. postgres)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command:
                    found[int(entry.name)] = cpu_seconds(int(entry.name))
            except OSError:
                continue
    return found


class CpuWatch:
    """Where the machine's CPU went between ``start()`` and ``stop()``, in cores (CPU seconds
    per second): the servers, PostgreSQL, this process, and everything else ("others": work
    on the machine that is not ours, which disturbs the figures)."""

    def __init__(self, server_pids: Sequence[int] = ()) -> None:
        self.server_pids = list(server_pids)
        self.start()

    def _sample(self) -> tuple[float, dict[int, float], dict[int, float], float, float]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        return (
            time.perf_counter(),
            {pid: cpu_seconds(pid) for pid in self.server_pids},
            processes_cpu_seconds("postgres"),
            own.ru_utime + own.ru_stime,
            machine_busy_seconds(),
        )

    def start(self) -> None:
        self._begin = self._sample()

    def stop(self) -> dict[str, float]:
        (t0, servers0, pg0, own0, all0), (t1, servers1, pg1, own1, all1) = self._begin, self._sample()
        wall = max(t1 - t0, 1e-9)
        cores = {f"server_{pid}": round((servers1[pid] - servers0[pid]) / wall, 3) for pid in self.server_pids}
        # A PostgreSQL process that ended in between takes its time with it: an undercount, never negative.
        postgres = sum(max(0.0, used - pg0.get(pid, 0.0)) for pid, used in pg1.items() if not math.isnan(used))
        cores["postgres"] = round(postgres / wall, 3)
        cores["this_process"] = round((own1 - own0) / wall, 3)
        cores["whole_machine"] = round((all1 - all0) / wall, 3)
        others = cores["whole_machine"] - sum(v for k, v in cores.items() if k != "whole_machine")
        cores["others"] = round(max(0.0, others), 3)  # slightly below zero: sampling jitter
        return cores


# ---------------------------------------------------------------------------- the hall


def bench_hall() -> HallDefinition:
    return load_hall(BENCH_HALL)


def clerks(hall: HallDefinition) -> dict[int, str]:
    """Counter number -> the clerk who works there (the hall's staff, in order, one per counter)."""
    staff = [s.username for s in hall.staff if s.role == "staff"]
    numbers = sorted(c.number for c in hall.counters)
    if len(staff) < len(numbers):
        raise RuntimeError(f"{hall.path}: {len(numbers)} counters but only {len(staff)} clerks")
    return dict(zip(numbers, staff, strict=False))


def issue_pools(hall: HallDefinition) -> list[list[str]]:
    """Item pools to issue from, one per counter, so that every counter has about as many
    tickets to call as the others.

    A specialised counter (a domain, cross-province or pick-up counter) gets the pool of
    the items it serves. The no-difference counters serve everything those domain counters
    serve; each of them gets one domain counter's pool in turn, so that every domain has as
    many tickets as it has counters able to call them.
    """
    served = {c.number: sorted(served_items(c, hall.rules.items)) for c in hall.counters}
    general = [c.number for c in hall.counters if c.kind == "no_difference"]
    general_items = {code for number in general for code in served[number]}
    pools = [served[c.number] for c in sorted(hall.counters, key=lambda c: c.number) if c.kind != "no_difference"]
    shared: list[list[str]] = []
    for pool in pools:
        if set(pool) <= general_items and pool not in shared:
            shared.append(pool)
    for index in range(len(general)):
        pools.append(shared[index % len(shared)] if shared else sorted(general_items))
    return pools


def login(url: str, username: str, password: str = STAFF_PASSWORD, hall: str = HALL) -> str:
    response = httpx.post(
        url + "/api/auth/login", json={"hall": hall, "username": username, "password": password}, timeout=30
    )
    response.raise_for_status()
    return response.json()["token"]


def open_counters(urls: list[str], hall: HallDefinition, counters: Sequence[int] | None = None) -> dict[int, dict]:
    """Log every clerk in, sign them in and open their counters; counter -> {token, url}.

    Counter ``n`` is worked through ``urls[i % len(urls)]`` (its index ``i``): the load is
    split evenly between the servers.
    """
    staff = clerks(hall)
    numbers = list(counters) if counters is not None else sorted(staff)

    def one(index: int, number: int) -> dict:
        url = urls[index % len(urls)]
        token = login(url, staff[number])
        headers = {"Authorization": f"Bearer {token}"}
        for action in ("sign-in", "open"):
            response = httpx.post(f"{url}/api/halls/{HALL}/counters/{number}/{action}", headers=headers, timeout=30)
            if response.status_code != 200:
                raise RuntimeError(f"counter {number} {action}: {response.status_code} {response.text}")
        return {"token": token, "url": url, "clerk": staff[number]}

    # A few at once: a login's scrypt runs in a server thread without the GIL, so the set-up
    # of 14 counters takes half the time on two cores.
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = [pool.submit(one, index, number) for index, number in enumerate(numbers)]
        return {number: future.result() for number, future in zip(numbers, done, strict=True)}


# ---------------------------------------------------------------------------- scratch places


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A temporary folder on the machine's disk (SQLite files there fsync for real)."""
    path = Path(tempfile.mkdtemp(prefix=f"hallq_perf_{prefix}_"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new PostgreSQL database on the local server, dropped afterwards whatever happened."""
    name = f"hallq_perf_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def database(backend: str, folder: Path) -> Iterator[str]:
    """A fresh database URL: a SQLite file in ``folder``, or a new PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'hall.db'}"
    elif backend == "postgres":
        with postgres_database() as url:
            yield url
    else:
        raise ValueError(f"unknown backend {backend!r}")


def server_env(folder: Path, database_url: str) -> dict[str, str]:
    """The environment of a benchmark server: the benchmark hall, production log settings.

    Logging stays as a deployment has it (INFO, JSON, one line per recorded event); it goes
    to a file in ``folder``. Every server of one benchmark shares the signing key.
    """
    return {
        "HALL_FILES": str(BENCH_HALL),
        "HALL_DATA_DIR": str(folder),
        "DATABASE_URL": database_url,
        "HALL_SECRET_KEY": secrets.token_hex(32),
        "HALL_LOG_FORMAT": "json",
        "HALL_LOG_LEVEL": "INFO",
        "REDIS_URL": "",
    }


@contextmanager
def servers(env: dict[str, str], folder: Path, count: int = 1) -> Iterator[list[Server]]:
    """``count`` ``hall serve`` processes (one uvicorn worker each), started one after the
    other (the first creates the schema), all stopped on the way out."""
    with ExitStack() as stack:
        started: list[Server] = []
        for index in range(count):
            server = Server(env, workers=1, log=folder / f"server-{index}.log")
            stack.callback(server.stop)
            try:
                server.start(timeout=60)
            except Exception as exc:
                raise RuntimeError(f"{exc}\n--- server log tail ---\n{log_tail(server.log)}") from exc
            started.append(server)
        yield started


def log_tail(path: Path | None, lines: int = 30) -> str:
    if path is None or not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def python() -> str:
    return sys.executable
