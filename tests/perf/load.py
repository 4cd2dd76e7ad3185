"""The load generator: kiosks and counters driving ``hall serve`` over HTTP, in a process of its own.

    python -m tests.perf.load PLAN.json RESULT.json

The plan names the servers, the counters (each with its clerk's token and its server) and
the phases. Every virtual client keeps one HTTP/1.1 keep-alive connection and has at most
one request in flight, like a real kiosk or a clerk's screen:

- a kiosk issues a ticket (``POST /tickets`` with the device token and an idempotency key,
  as kiosk.js does), for an item drawn from the pools of ``common.issue_pools``;
- a counter calls the next ticket, then completes it (``{"ticket": id}``, as counter.js
  does), then calls again. A call that finds nobody (204) is counted as an empty call.

Phases:

- ``prefill``: the kiosks issue ``tickets`` tickets, not measured, so that no counter starts
  on an empty line;
- ``closed``: every client sends its next request as soon as the last one is answered,
  for ``seconds``: the most the server(s) can do with this many clients;
- ``idle``: no requests for ``seconds``: what the server spends at rest;
- ``open``: the clients together send ``rate`` requests per second on a fixed schedule,
  for ``seconds``. A request's latency counts from when it was *due*, not from when it
  could be sent, so a server that falls behind is charged for the wait (no coordinated
  omission).

A phase whose ``target`` is "floor" runs the same clients (same requests, same headers,
same tokens) against the bare servers of ``tests/perf/bare.py`` instead (``floor_urls``
maps each of our servers to its bare one), and watches those servers' CPU. Each measured
phase reports the CPU seconds its servers used (``server_cpu_seconds``, from /proc).

``fresh_connections``: each request on a new TCP connection, closed by the client once
answered (a hall's kiosks and screens send a request every few seconds or minutes, long
after the keep-alive has ended). ``one_at_a_time``: only one request of all the clients
in flight at once, the clients taking turns (at a hall's pace requests seldom overlap, so
the server cannot batch their commits).

The client is a minimal HTTP/1.1 speaker on asyncio streams (uvloop when installed): a
general-purpose client would spend more CPU per request than the server, on a machine
where the two share two cores.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

from tests.perf.common import CpuWatch, cpu_seconds, summary_ms

__all__ = ["HttpConnection", "Phase", "Plan", "run_plan"]


class CounterPlan(msgspec.Struct, frozen=True):
    number: int
    token: str
    url: str


class Phase(msgspec.Struct, frozen=True):
    name: str
    mode: str  # "prefill" | "closed" | "open" | "idle"
    seconds: float = 0.0
    rate: float = 0.0  # open: requests per second, all clients together
    tickets: int = 0  # prefill: how many
    measured: bool = True
    target: str = "ours"  # "ours" | "floor": the bare servers (Plan.floor_urls)


class Plan(msgspec.Struct, frozen=True):
    hall: str
    kiosk_token: str
    kiosk_urls: list[str]  # one kiosk per entry
    counters: list[CounterPlan]
    pools: list[list[str]]  # item pools to issue from (common.issue_pools)
    phases: list[Phase]
    server_pids: list[int] = []
    idle_wait: float = 0.05  # closed loop: a counter that found nobody waits this long
    seed: int = 1
    floor_urls: dict[str, str] = {}  # our server's URL -> its bare counterpart's
    floor_pids: list[int] = []
    fresh_connections: bool = False  # a new TCP connection for each request
    one_at_a_time: bool = False  # at most one request of all the clients in flight


# ---------------------------------------------------------------------------- HTTP


class HttpConnection:
    """One keep-alive HTTP/1.1 connection: request, then read the whole response."""

    def __init__(self, url: str, fresh: bool = False) -> None:
        self.fresh = fresh  # close the connection after each answer
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.host_header = f"{self.host}:{self.port}".encode()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
            self._reader = self._writer = None

    async def request(self, method: str, path: str, token: str | None = None, body: bytes | None = None):
        """(status, body bytes). Reconnects once if the server closed the idle connection."""
        head = [f"{method} {path} HTTP/1.1".encode(), b"Host: " + self.host_header]
        if token:
            head.append(b"Authorization: Bearer " + token.encode())
        if body is not None:
            head.append(b"Content-Type: application/json")
        head.append(b"Content-Length: %d" % (len(body) if body else 0))
        message = b"\r\n".join(head) + b"\r\n\r\n" + (body or b"")
        for attempt in (1, 2):
            if self._writer is None:
                await self._connect()
            try:
                self._writer.write(message)  # type: ignore[union-attr]
                answer = await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2 or self.fresh:
                    raise
            else:
                if self.fresh:
                    await self.close()
                return answer
        raise AssertionError("unreachable")

    async def _response(self) -> tuple[int, bytes]:
        reader = self._reader
        assert reader is not None
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, chunked, close = 0, False, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            data = b"".join(parts)
        else:
            data = await reader.readexactly(length) if length else b""
        if close:
            await self.close()
        return status, data


# ---------------------------------------------------------------------------- recording


class Recorder:
    """Latencies and outcomes of one phase."""

    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = {}  # from when the request was due
        self.service: dict[str, list[float]] = {}  # from when it was sent
        self.empty_calls = 0
        self.errors: list[str] = []
        self.ops = 0
        self.first_due: float | None = None
        self.last_done = 0.0

    def record(self, op: str, due: float, sent: float, done: float) -> None:
        self.latency.setdefault(op, []).append(done - due)
        self.service.setdefault(op, []).append(done - sent)
        self.ops += 1
        if self.first_due is None or due < self.first_due:
            self.first_due = due
        self.last_done = max(self.last_done, done)

    def error(self, message: str) -> None:
        if len(self.errors) < 1000:
            self.errors.append(message)


# ---------------------------------------------------------------------------- clients


class Kiosk:
    def __init__(self, plan: Plan, url: str, rng: random.Random, pools: itertools.cycle) -> None:
        self.conn = HttpConnection(url, plan.fresh_connections)
        self.path = f"/api/halls/{plan.hall}/tickets"
        self.token = plan.kiosk_token
        self.rng = rng
        self.pools = pools

    async def step(self, rec: Recorder, due: float) -> bool:
        item = self.rng.choice(next(self.pools))
        body = msgspec.json.encode({"item": item, "idempotency_key": uuid.uuid4().hex})
        sent = time.perf_counter()
        status, data = await self.conn.request("POST", self.path, self.token, body)
        done = time.perf_counter()
        if status != 201:
            rec.error(f"issue {item}: {status} {data[:200]!r}")
            return False
        rec.record("issue", min(due, sent), sent, done)
        return True


class Counter:
    def __init__(self, plan: Plan, counter: CounterPlan, url: str | None = None) -> None:
        self.conn = HttpConnection(url or counter.url, plan.fresh_connections)
        self.number = counter.number
        self.token = counter.token
        base = f"/api/halls/{plan.hall}/counters/{counter.number}"
        self.call_path, self.complete_path = base + "/call-next", base + "/complete"
        self.current: str | None = None  # the ticket this counter is on

    async def step(self, rec: Recorder, due: float) -> bool:
        """Call next, or complete the current ticket. False when the call found nobody."""
        sent = time.perf_counter()
        if self.current is None:
            status, data = await self.conn.request("POST", self.call_path, self.token)
            done = time.perf_counter()
            if status == 200:
                self.current = msgspec.json.decode(data)["id"]
            elif status == 204:
                rec.empty_calls += 1
            else:
                rec.error(f"call-next at {self.number}: {status} {data[:200]!r}")
                return False
            rec.record("call-next", min(due, sent), sent, done)
            return status == 200
        body = msgspec.json.encode({"ticket": self.current})
        status, data = await self.conn.request("POST", self.complete_path, self.token, body)
        done = time.perf_counter()
        if status != 200:
            rec.error(f"complete at {self.number}: {status} {data[:200]!r}")
            self.current = None  # start again from a call
            return False
        self.current = None
        rec.record("complete", min(due, sent), sent, done)
        return True


# ---------------------------------------------------------------------------- phases


async def _guarded(rec: Recorder, step, due: float) -> bool:
    try:
        return await step(rec, due)
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        rec.error(f"{type(exc).__name__}: {exc}")
        await asyncio.sleep(0.05)
        return False


async def _prefill(kiosks: list[Kiosk], tickets: int, rec: Recorder) -> None:
    left = iter(range(tickets))

    async def run(kiosk: Kiosk) -> None:
        for _ in left:
            await _guarded(rec, kiosk.step, time.perf_counter())

    await asyncio.gather(*(run(k) for k in kiosks))


async def _closed(clients: list, seconds: float, idle_wait: float, rec: Recorder, one_at_a_time: bool) -> None:
    end = time.perf_counter() + seconds
    turn = asyncio.Lock() if one_at_a_time else contextlib.nullcontext()  # asyncio's lock is fair: in turn

    async def run(client) -> None:
        while time.perf_counter() < end:
            async with turn:
                if time.perf_counter() >= end:
                    break
                done = await _guarded(rec, client.step, time.perf_counter())
            if not done and isinstance(client, Counter):
                await asyncio.sleep(idle_wait)  # nobody waiting for this counter: look again shortly

    await asyncio.gather(*(run(c) for c in clients))


async def _open(clients: list, seconds: float, rate: float, rec: Recorder) -> None:
    n = len(clients)
    interval = n / rate  # each client's share of the schedule
    start = time.perf_counter() + 0.05
    hard_stop = start + seconds * 1.5 + 5  # a server far behind: give up, the figures say so

    async def run(index: int, client) -> None:
        # Offsets from the start, counted in whole intervals: adding floats to a large clock
        # reading would let a request slip in at the very end now and then.
        beat = 0
        while (offset := (index / n + beat) * interval) < seconds - 1e-9 and time.perf_counter() < hard_stop:
            due = start + offset
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await _guarded(rec, client.step, due)
            beat += 1

    await asyncio.gather(*(run(i, c) for i, c in enumerate(clients)))


def _phase_result(phase: Phase, rec: Recorder, wall: float, cpu: dict[str, float], server_cpu: float) -> dict:
    every = [v for values in rec.latency.values() for v in values]
    served = [v for values in rec.service.values() for v in values]
    span = max(phase.seconds, rec.last_done - rec.first_due) if rec.first_due is not None else wall
    return {
        "phase": phase.name,
        "mode": phase.mode,
        "seconds": phase.seconds,
        "offered_rate": phase.rate or None,
        "ops": rec.ops,
        "elapsed": round(span, 3),
        "ops_per_second": round(rec.ops / span, 1) if span > 0 else 0.0,
        "latency": summary_ms(every),
        "service_latency": summary_ms(served),
        "per_op": {op: summary_ms(values) for op, values in sorted(rec.latency.items())},
        "empty_calls": rec.empty_calls,
        "errors": len(rec.errors),
        "error_samples": rec.errors[:5],
        "target": phase.target,
        "wall_seconds": round(wall, 3),
        "server_cpu_seconds": round(server_cpu, 3),
        "server_cpu_us_per_op": round(server_cpu / rec.ops * 1e6, 1) if rec.ops else None,
        "cpu": cpu,
    }


def _clients(plan: Plan, url_of: dict[str, str] | None = None) -> tuple[list[Kiosk], list]:
    """The kiosks, and every client (kiosks and counters), of ``plan``; against the servers
    ``url_of`` maps ours to (the bare ones), when given."""

    def url(ours: str) -> str:
        return url_of[ours] if url_of is not None else ours

    rng = random.Random(plan.seed)
    pools = list(plan.pools)
    rng.shuffle(pools)
    kiosks = [
        Kiosk(plan, url(u), random.Random(plan.seed + i), itertools.cycle(pools)) for i, u in enumerate(plan.kiosk_urls)
    ]
    # Each kiosk walks the pools from its own starting point.
    for i, kiosk in enumerate(kiosks):
        for _ in range(i):
            next(kiosk.pools)
    counters = [Counter(plan, c, url(c.url)) for c in plan.counters]
    # Interleave kiosks and counters, so that an open schedule spreads each kind evenly.
    clients: list = []
    for pair in itertools.zip_longest(counters, kiosks):
        clients += [c for c in pair if c is not None]
    return kiosks, clients


async def run_plan(plan: Plan) -> dict:
    kiosks, clients = _clients(plan)
    floor_kiosks, floor_clients = _clients(plan, plan.floor_urls) if plan.floor_urls else ([], [])
    results = []
    try:
        for phase in plan.phases:
            if phase.target == "floor" and not plan.floor_urls:
                raise ValueError(f"phase {phase.name!r} is against the floor, but the plan has no floor_urls")
            on_floor = phase.target == "floor"
            pids = plan.floor_pids if on_floor else plan.server_pids
            rec = Recorder()
            watch = CpuWatch(pids)
            before = sum(cpu_seconds(pid) for pid in pids)
            started = time.perf_counter()
            if phase.mode == "prefill":
                await _prefill(floor_kiosks if on_floor else kiosks, phase.tickets, rec)
            elif phase.mode == "closed":
                together = floor_clients if on_floor else clients
                await _closed(together, phase.seconds, plan.idle_wait, rec, plan.one_at_a_time)
            elif phase.mode == "idle":
                await asyncio.sleep(phase.seconds)
            elif phase.mode == "open":
                await _open(floor_clients if on_floor else clients, phase.seconds, phase.rate, rec)
            else:
                raise ValueError(f"unknown phase mode {phase.mode!r}")
            wall = time.perf_counter() - started
            server_cpu = sum(cpu_seconds(pid) for pid in pids) - before
            cpu = watch.stop()
            cpu["load_generator"] = cpu.pop("this_process")
            if phase.measured:
                results.append(_phase_result(phase, rec, wall, cpu, server_cpu))
            elif rec.errors:
                results.append({"phase": phase.name, "errors": len(rec.errors), "error_samples": rec.errors[:5]})
    finally:
        for client in clients + floor_clients:
            await client.conn.close()
    return {"phases": results, "clients": {"kiosks": len(kiosks), "counters": len(clients) - len(kiosks)}}


def main(argv: list[str]) -> int:
    plan_path, result_path = argv
    plan = msgspec.json.decode(Path(plan_path).read_bytes(), type=Plan)
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    result = runner(run_plan(plan))
    Path(result_path).write_bytes(msgspec.json.encode(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
