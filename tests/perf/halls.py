"""Figure 11: many halls in one process (issue 15), each at a realistic rate with its screen.

N copies of the benchmark hall (``bench.toml``), each with its own id and its own device
tokens (a district's halls share no token: ``<hall>-<device>-token``; the staff keep the
bench hall's usernames and password, each hall's accounts its own), in one folder given
to ``hall serve`` as ``HALL_FILES``. Set-ups:

- ``sqlite``: 100 halls, one ``hall serve`` process (one worker) on a SQLite file;
- ``postgres``: the same on PostgreSQL;
- ``postgres-2``: 200 halls, two ``hall serve`` processes on one PostgreSQL database with
  Redis between them. Every process serves every hall (as the throughput ``postgres-2``
  set-up shares its hall): each hall's kiosk and counters are spread over both servers, as a
  load balancer would, and its screen is on one of them (the other server's calls reach it
  through Redis).

Every hall has its hall screen connected (a websocket client that keeps the sequence as
``channel.js`` does: ``displays.Device``), three of its no-difference counters open, each
worked by its own clerk, and one kiosk issuing items those counters serve. A load generator
in a process of its own (asyncio, the minimal HTTP client of ``load.py``) drives every hall
at ``rate`` operations a second (5): the kiosk issues a third of them, the counters call
next and complete the rest; each client's requests are evenly spaced with jitter (a quarter
of an interval either way) from a random phase, open loop: a request's latency counts from
when it was due. After a prefill (a few tickets waiting in every hall) and a warm-up, a
measured period: p50/p95/p99, whether the rate was kept, the servers' CPU (cores, and
microseconds per operation), RSS, threads and context switches.

Before the load, an idle period with every screen connected: the servers' CPU and wake-ups
(context switches of all their threads, per second, and which threads they were), which is
what the halls cost when nothing happens. The time for a server to start with N halls is
from the process's start until it answers; a one-hall server started first gives the
baseline of RSS, threads and start time, so that the cost per hall is the difference.

    python -m tests.perf.halls drive PLAN RESULT    the load generator (the benchmark starts it)
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
import random
import re
import subprocess
import sys
import time
from collections import Counter as Tally
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from types import SimpleNamespace

import httpx
import msgspec

from config.halls import load_hall
from queueing.kinds import served_items
from tests.perf.common import (
    BENCH_HALL,
    STAFF_PASSWORD,
    CpuWatch,
    Figure,
    Outcome,
    clerks,
    cpu_seconds,
    database,
    fmt,
    log_tail,
    scratch_dir,
    server_env,
    summary_ms,
)
from tests.perf.load import Counter, Kiosk, Recorder
from tests.perf.throughput import run_load
from tests.support import Server

__all__ = ["SETUPS", "bench_halls", "write_halls"]

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SETUPS = {  # backend, servers, halls, label
    "sqlite": ("sqlite", 1, 100, "SQLite, 1 worker"),
    "postgres": ("postgres", 1, 100, "PostgreSQL, 1 worker"),
    "postgres-2": ("postgres", 2, 200, "PostgreSQL + Redis, 2 servers"),
}


# ---------------------------------------------------------------------------- the halls


def device_token(hall: str, device: str) -> str:
    return f"{hall}-{device}-token"


_DEVICE = re.compile(
    r'(\[\[devices\]\]\nname = "([^"]+)"\n(?:[a-z_]+ = [^\n]*\n)*?)token_sha256 = "[0-9a-f]{64}"[^\n]*'
)


def write_halls(folder: Path, count: int) -> list[str]:
    """``count`` hall files in ``folder`` (h001, h002, …), copies of the benchmark hall with
    their own ids and device tokens; their ids."""
    text = BENCH_HALL.read_text()
    devices = len(_DEVICE.findall(text))
    assert devices == len(load_hall(BENCH_HALL).devices), "every device of bench.toml has its token replaced"
    folder.mkdir(parents=True, exist_ok=True)
    ids = []
    for index in range(1, count + 1):
        hall = f"h{index:03d}"

        def token(match: re.Match[str], hall: str = hall) -> str:
            digest = hashlib.sha256(device_token(hall, match[2]).encode()).hexdigest()
            return f'{match[1]}token_sha256 = "{digest}"'

        copy = text.replace('\nid = "bench"\n', f'\nid = "{hall}"\n', 1).replace(
            "（性能测试）", f"（性能测试 {hall}）", 1
        )
        (folder / f"{hall}.toml").write_text(_DEVICE.sub(token, copy))
        ids.append(hall)
    return ids


# ---------------------------------------------------------------------------- the plan


class CounterPlan(msgspec.Struct, frozen=True):
    number: int
    token: str
    url: str


class HallPlan(msgspec.Struct, frozen=True):
    hall: str
    kiosk_token: str
    kiosk_url: str
    screen_url: str  # ws://…/ws/halls/<hall>?token=…
    counters: list[CounterPlan]
    items: list[str]  # what the kiosk issues: items every open counter serves


class DrivePlan(msgspec.Struct, frozen=True):
    halls: list[HallPlan]
    server_pids: list[int]
    rate: float  # operations a second, per hall
    prefill: int  # tickets waiting in each hall before the load
    idle_seconds: float
    warmup_seconds: float
    seconds: float
    seed: int = 1


# ---------------------------------------------------------------------------- the servers, from /proc


def proc_status(pid: int) -> dict[str, int]:
    """RSS (kB), threads, and context switches of every thread of ``pid`` so far."""
    found = {"rss_kb": 0, "threads": 0, "voluntary": 0, "involuntary": 0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                found["rss_kb"] = int(line.split()[1])
            elif line.startswith("Threads:"):
                found["threads"] = int(line.split()[1])
    except OSError:
        return found
    for vol, invol in thread_switches(pid).values():
        found["voluntary"] += vol
        found["involuntary"] += invol
    return found


def thread_switches(pid: int) -> dict[str, tuple[int, int]]:
    """Per thread (``tid:name``): its voluntary and involuntary context switches so far."""
    out = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            name = (task / "comm").read_text().strip()
            vol = invol = 0
            for line in (task / "status").read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    vol = int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches:"):
                    invol = int(line.split()[1])
        except OSError:
            continue
        out[f"{task.name}:{name}"] = (vol, invol)
    return out


def python_thread_names(pid: int) -> dict[str, str]:
    """Thread id -> its Python name (``py-spy dump``, when installed: Python 3.11 gives its
    threads no name the system sees)."""
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.exists():
        return {}
    try:
        dump = subprocess.run([str(spy), "dump", "-p", str(pid)], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    return {m[1]: m[2] for m in re.finditer(r'^Thread (\d+) \([^)]*\): "([^"]*)"', dump, re.MULTILINE)}


def _family(tid: str, names: dict[str, str]) -> str:
    """A thread's kind from its name: hall-h001 -> one per hall, hall-io_3 -> hall-io."""
    number, _, name = tid.partition(":")
    name = names.get(number, name)
    if re.fullmatch(r"hall-h\d+", name):
        return "hall thread (one per hall)"
    if re.fullmatch(r"hall-h\d+-snapshot_\d+", name):
        return "snapshot thread (one per hall)"
    return re.sub(r"[_\d]+$", "", name) or name


class ServerWatch:
    """The servers' CPU, RSS, threads and wake-ups between ``start()`` and ``stop()``."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids = list(pids)
        self.start()

    def start(self) -> None:
        self._t = time.perf_counter()
        self._cpu = {pid: cpu_seconds(pid) for pid in self.pids}
        self._threads = {pid: thread_switches(pid) for pid in self.pids}

    def stop(self, ops: int = 0, name_threads: bool = False) -> dict:
        wall = max(time.perf_counter() - self._t, 1e-9)
        per_server = []
        for pid in self.pids:
            status = proc_status(pid)
            before, after = self._threads[pid], thread_switches(pid)
            names = python_thread_names(pid) if name_threads else {}
            wakes: Tally[str] = Tally()
            for tid, (vol, invol) in after.items():
                v0, i0 = before.get(tid, (0, 0))
                wakes[_family(tid, names)] += vol - v0 + invol - i0
            cpu = cpu_seconds(pid) - self._cpu[pid]
            per_server.append(
                {
                    "pid": pid,
                    "cores": round(cpu / wall, 4),
                    "rss_mb": round(status["rss_kb"] / 1024, 1),
                    "threads": status["threads"],
                    "switches_per_second": round(sum(wakes.values()) / wall, 1),
                    "switches_by_thread": {k: round(v / wall, 1) for k, v in wakes.most_common(6) if v},
                    "cpu_seconds": round(cpu, 3),
                }
            )
        cores = sum(s["cores"] for s in per_server)
        return {
            "seconds": round(wall, 2),
            "cores": round(cores, 4),
            "us_per_op": round(cores * wall / ops * 1e6, 1) if ops else None,
            "rss_mb": round(sum(s["rss_mb"] for s in per_server), 1),
            "threads": sum(s["threads"] for s in per_server),
            "switches_per_second": round(sum(s["switches_per_second"] for s in per_server), 1),
            "servers": per_server,
        }


# ---------------------------------------------------------------------------- the load generator


class _Drive:
    def __init__(self, plan: DrivePlan) -> None:
        from tests.perf.displays import Device

        self.plan = plan
        rng = random.Random(plan.seed)
        self.rng = rng
        self.kiosks: list[Kiosk] = []
        self.counters: list[list[Counter]] = []
        self.devices: list[Device] = []
        self.receipts: list = []
        for index, hall in enumerate(plan.halls):
            # what Kiosk and Counter read of a Plan: a kept-alive connection each, as a hall's devices have
            ref = SimpleNamespace(hall=hall.hall, kiosk_token=hall.kiosk_token, fresh_connections=False)
            pools = itertools.cycle([hall.items])
            self.kiosks.append(Kiosk(ref, hall.kiosk_url, random.Random(plan.seed + index), pools))  # type: ignore[arg-type]
            self.counters.append([Counter(ref, c) for c in hall.counters])  # type: ignore[arg-type]
            self.devices.append(Device(index, hall.screen_url, self.receipts))
        self.calls = [0] * len(plan.halls)  # calls that found someone, per hall (each screen hears every one)

    async def connect_screens(self) -> float:
        started = time.perf_counter()
        self._device_tasks = [asyncio.create_task(d.run()) for d in self.devices]
        await asyncio.wait_for(asyncio.gather(*(d.ready.wait() for d in self.devices)), 120)
        return time.perf_counter() - started

    async def prefill(self) -> Recorder:
        rec = Recorder()

        async def fill(kiosk: Kiosk) -> None:
            for _ in range(self.plan.prefill):
                await kiosk.step(rec, time.perf_counter())

        await asyncio.gather(*(fill(k) for k in self.kiosks))
        return rec

    async def load(self) -> tuple[Recorder, Recorder, dict, dict]:
        """The warm-up, then the measured period, on one open schedule."""
        plan = self.plan
        start = time.perf_counter() + 0.2
        measure_from = start + plan.warmup_seconds
        end = measure_from + plan.seconds
        hard_stop = end + plan.seconds + 10
        warm, measured = Recorder(), Recorder()
        watches: dict = {}

        async def client(index: int, owner: Kiosk | Counter, rate: float) -> None:
            interval = 1.0 / rate
            offset = self.rng.random() * interval
            beat = 0
            while (due := start + offset + beat * interval + (self.rng.random() - 0.5) * interval / 2) < end:
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                if time.perf_counter() > hard_stop:
                    return
                rec = measured if due >= measure_from else warm
                try:
                    found = await owner.step(rec, due)
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    rec.error(f"{type(exc).__name__}: {exc}")
                    found = False
                if found and isinstance(owner, Counter) and owner.current is not None:
                    self.calls[index] += 1  # a call that found someone: its hall's screen hears it
                beat += 1

        async def measure() -> None:
            await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
            watches["cpu"] = CpuWatch(plan.server_pids)
            watches["servers"] = ServerWatch(plan.server_pids)

        kiosk_rate = plan.rate / 3
        counter_rate = plan.rate * 2 / 3 / max(1, len(self.counters[0]))
        tasks = [measure()]
        for index, (kiosk, counters) in enumerate(zip(self.kiosks, self.counters, strict=True)):
            tasks.append(client(index, kiosk, kiosk_rate))
            tasks += [client(index, c, counter_rate) for c in counters]
        await asyncio.gather(*tasks)
        cpu = watches["cpu"].stop()
        cpu["load_generator"] = cpu.pop("this_process")
        return warm, measured, cpu, watches["servers"].stop(measured.ops)

    async def close(self) -> None:
        for device in self.devices:
            await device.close()
        for task in self._device_tasks:
            task.cancel()
        await asyncio.gather(*self._device_tasks, return_exceptions=True)
        for kiosk in self.kiosks:
            await kiosk.conn.close()
        for counters in self.counters:
            for counter in counters:
                await counter.conn.close()


def _latency(rec: Recorder, seconds: float, rate: float) -> dict:
    every = [v for values in rec.latency.values() for v in values]
    return {
        "ops": rec.ops,
        "offered": round(rate * seconds),
        "ops_per_second": round(rec.ops / seconds, 1) if seconds else 0.0,
        "latency": summary_ms(every),
        "service_latency": summary_ms([v for values in rec.service.values() for v in values]),
        "per_op": {op: summary_ms(values) for op, values in sorted(rec.latency.items())},
        "empty_calls": rec.empty_calls,
        "errors": len(rec.errors),
        "error_samples": rec.errors[:5],
    }


async def drive(plan: DrivePlan) -> dict:
    run = _Drive(plan)
    try:
        connect = await run.connect_screens()
        rec = await run.prefill()
        if rec.errors:
            raise RuntimeError(f"prefill failed: {rec.errors[:3]}")
        await asyncio.sleep(1.0)  # the prefill's fan-out delivered
        idle_watch = ServerWatch(plan.server_pids)
        idle_cpu = CpuWatch(plan.server_pids)
        await asyncio.sleep(plan.idle_seconds)
        idle = idle_watch.stop(name_threads=True)
        idle["cpu"] = idle_cpu.stop()
        warm, measured, cpu, servers = await run.load()
        await asyncio.sleep(1.5)  # the last calls reach the screens
        rate = plan.rate * len(plan.halls)
        heard = [d.calls for d in run.devices]
        missed = [i for i, (made, got) in enumerate(zip(run.calls, heard, strict=True)) if got < made]
        screens = {
            "connect_seconds": round(connect, 2),
            "calls_made": sum(run.calls),
            "calls_heard": sum(heard),
            "screens_missing_calls": len(missed),
            **{k: sum(getattr(d, k) for d in run.devices) for k in ("gaps", "resyncs", "drops", "failures")},
            "messages": sum(d.messages for d in run.devices),
        }
        return {
            "idle": idle,
            "warmup": {"errors": len(warm.errors), "error_samples": warm.errors[:5]},
            "measured": {**_latency(measured, plan.seconds, rate), "cpu": cpu, "servers": servers},
            "screens": screens,
        }
    finally:
        await run.close()


# ---------------------------------------------------------------------------- the benchmark


def _open_counters(urls: list[str], halls: list[str], numbers: Sequence[int]) -> dict[str, list[CounterPlan]]:
    """Every clerk signs in (concurrently: each sign-in is a scrypt on the server), signs in
    at his counter and opens it; counter ``j`` of hall ``i`` through ``urls[(i + j) % n]``."""
    staff = clerks(load_hall(BENCH_HALL))

    async def one(client: httpx.AsyncClient, gate: asyncio.Semaphore, i: int, hall: str, j: int, number: int):
        url = urls[(i + j) % len(urls)]
        async with gate:
            body = {"hall": hall, "username": staff[number], "password": STAFF_PASSWORD}
            response = await client.post(url + "/api/auth/login", json=body)
            response.raise_for_status()
            token = response.json()["token"]
            for action in ("sign-in", "open"):
                response = await client.post(
                    f"{url}/api/halls/{hall}/counters/{number}/{action}", headers={"Authorization": f"Bearer {token}"}
                )
                if response.status_code != 200:
                    raise RuntimeError(f"{hall} counter {number} {action}: {response.status_code} {response.text}")
        return hall, CounterPlan(number, token, url)

    async def run() -> dict[str, list[CounterPlan]]:
        gate = asyncio.Semaphore(8)
        async with httpx.AsyncClient(timeout=120) as client:
            done = await asyncio.gather(
                *(one(client, gate, i, h, j, n) for i, h in enumerate(halls) for j, n in enumerate(numbers))
            )
        found: dict[str, list[CounterPlan]] = {h: [] for h in halls}
        for hall, plan in done:
            found[hall].append(plan)
        return found

    return asyncio.run(run())


def _start(env: dict[str, str], folder: Path, index: int, stack: ExitStack) -> tuple[Server, float]:
    server = Server(env, workers=1, log=folder / f"server-{index}.log")
    stack.callback(server.stop)
    began = time.perf_counter()
    try:
        server.start(timeout=300)
    except Exception as exc:
        raise RuntimeError(f"{exc}\n--- server log tail ---\n{log_tail(server.log)}") from exc
    return server, time.perf_counter() - began


def _baseline(backend: str, folder: Path) -> dict:
    """One hall, one server, idle: what a process costs before its halls."""
    with ExitStack() as stack:
        files = folder / "one"
        write_halls(files, 1)
        url = stack.enter_context(database(backend, folder))
        env = {**server_env(folder, url), "HALL_FILES": str(files)}
        server, seconds = _start(env, folder, 99, stack)
        assert server.process is not None
        time.sleep(2.0)
        watch = ServerWatch([server.process.pid])
        time.sleep(3.0)
        idle = watch.stop()
        return {"start_seconds": round(seconds, 2), **{k: idle[k] for k in ("rss_mb", "threads", "cores")}}


def bench_halls(
    setup: str = "sqlite",
    *,
    halls: int | None = None,
    rate: float = 5.0,
    counters: Sequence[int] = (1, 2, 3),
    prefill: int = 6,
    idle_seconds: float = 10.0,
    warmup_seconds: float = 5.0,
    seconds: float = 20.0,
    baseline: bool = True,
    target_p99_ms: float = 50.0,
    env: dict[str, str] | None = None,
) -> Outcome:
    """Measure one set-up of ``SETUPS`` (``halls`` instead of its number of halls)."""
    backend, count, default_halls, label = SETUPS[setup]
    n = halls or default_halls
    label = f"{n} halls, {label}"
    began = time.perf_counter()
    outcome = Outcome(f"halls-{setup}")
    hall = load_hall(BENCH_HALL)
    spec = {c.number: c for c in hall.counters}
    items = sorted(frozenset.intersection(*(served_items(spec[c], hall.rules.items) for c in counters)))
    with scratch_dir(f"halls_{setup}") as folder, ExitStack() as stack:
        base = _baseline(backend, folder) if baseline else None
        ids = write_halls(folder / "halls", n)
        url = stack.enter_context(database(backend, folder))
        server_envs = {**server_env(folder, url), "HALL_FILES": str(folder / "halls"), **(env or {})}
        if count > 1:
            server_envs["REDIS_URL"] = REDIS_URL
        running, starts = [], []
        for index in range(count):
            server, took = _start(server_envs, folder, index, stack)
            running.append(server)
            starts.append(round(took, 2))
        urls = [s.url for s in running]
        pids = [s.process.pid for s in running if s.process]
        after_start = [proc_status(pid) for pid in pids]
        opened = _open_counters(urls, ids, counters)
        plan = DrivePlan(
            halls=[
                HallPlan(
                    hall=h,
                    kiosk_token=device_token(h, "kiosk-1"),
                    kiosk_url=urls[i % count],
                    screen_url=urls[(i + 1) % count].replace("http://", "ws://")
                    + f"/ws/halls/{h}?token={device_token(h, 'hall-screen-1')}",
                    counters=opened[h],
                    items=items,
                )
                for i, h in enumerate(ids)
            ],
            server_pids=pids,
            rate=rate,
            prefill=prefill,
            idle_seconds=idle_seconds,
            warmup_seconds=warmup_seconds,
            seconds=seconds,
        )
        budget = 180 + 3 * (idle_seconds + warmup_seconds + seconds) + n
        result = run_load(plan, folder, budget, "tests.perf.halls", "drive")
        for index, server in enumerate(running):
            if server.process is None or server.process.poll() is not None:
                raise RuntimeError(f"server {index} died during the load:\n{log_tail(server.log)}")
    m, idle, screens = result["measured"], result["idle"], result["screens"]
    # Failed requests (503: a hall that could not take a command in time) are a result, not a crash.
    errors = m["errors"] + result["warmup"]["errors"]
    lat, srv, cpu = m["latency"], m["servers"], m["cpu"]
    offered = rate * n
    kept = m["ops"] >= 0.98 * m["offered"]
    outcome.figures.append(
        Figure(
            key=f"halls-{setup}.p99_ms",
            label=f"{label}: latency at {fmt(rate)} ops/s per hall",
            value=lat["p99_ms"],
            unit="ms",
            text=f"{fmt(m['ops_per_second'])} of {fmt(offered)} ops/s done; p50 {fmt(lat['p50_ms'])} / "
            f"p95 {fmt(lat['p95_ms'])} / p99 {fmt(lat['p99_ms'])} ms" + (f"; {errors} failed" if errors else ""),
            target=f"rate kept; p99 < {fmt(target_p99_ms)} ms",
            ok=kept and lat["p99_ms"] < target_p99_ms and not errors and not screens["screens_missing_calls"],
        )
    )
    outcome.figures.append(
        Figure(
            key=f"halls-{setup}.cpu_cores",
            label=f"{label}: server CPU at {fmt(offered)} ops/s",
            value=srv["cores"],
            unit="cores",
            text=f"{srv['cores']:.2f} cores, {fmt(srv['us_per_op'] or 0)} µs/op"
            + (f"; PostgreSQL {cpu['postgres']:.2f}" if backend == "postgres" else "")
            + f"; load generator {cpu['load_generator']:.2f}, other work {cpu['others']:.2f}",
        )
    )
    outcome.figures.append(
        Figure(
            key=f"halls-{setup}.idle_cores",
            label=f"{label}: server CPU idle, screens connected",
            value=idle["cores"],
            unit="cores",
            text=f"{idle['cores']:.3f} cores, {fmt(idle['switches_per_second'])} wake-ups/s",
        )
    )
    rss_per_hall = (srv["rss_mb"] / count - base["rss_mb"]) / n * 1024 if base else srv["rss_mb"] / count / n * 1024
    outcome.figures.append(
        Figure(
            key=f"halls-{setup}.rss_mb",
            label=f"{label}: server RSS, threads, start",
            value=srv["rss_mb"],
            unit="MB",
            text=f"{fmt(srv['rss_mb'])} MB ({fmt(rss_per_hall)} kB/hall), {srv['threads']} threads, "
            f"start {'/'.join(fmt(s) for s in starts)} s"
            + (f" (1 hall: {fmt(base['rss_mb'])} MB, {base['threads']} threads, {fmt(base['start_seconds'])} s)"
               if base else ""),
        )
    )  # fmt: skip
    outcome.details = {
        "setup": {"backend": backend, "servers": count, "halls": n, "rate_per_hall": rate, "counters": list(counters)},
        "start_seconds": starts,
        "after_start": after_start,
        "baseline_one_hall": base,
        "rss_kb_per_hall": round(rss_per_hall, 1),
        **result,
    }
    outcome.seconds = time.perf_counter() - began
    return outcome


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "drive":
        plan = msgspec.json.decode(Path(argv[1]).read_bytes(), type=DrivePlan)
        try:
            import uvloop

            result = uvloop.run(drive(plan))
        except ImportError:
            result = asyncio.run(drive(plan))
        Path(argv[2]).write_bytes(msgspec.json.encode(result))
        return 0
    print(__doc__.rsplit("\n\n", 1)[-1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
