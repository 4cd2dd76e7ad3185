"""Figure 4: the device channel, from a call at a counter to every hall screen.

Devices are real websocket clients (the ``websockets`` package on asyncio, offering
permessage-deflate as browsers do) on ``/ws/halls/bench?token=demo-screen-token``, spread
over a few child processes of their own; each keeps the sequence as ``displays/static/
channel.js`` does: a snapshot on connect, then every message in order; a gap (or a
heartbeat announcing a newer ``seq``) makes it ask for a fresh snapshot; every heartbeat is
answered with ``{"type": "pong"}``; a channel the server closes is reopened. Gaps, resyncs,
snapshots, heartbeats and drops are counted per device: there should be no gaps, no
resyncs and no drops.

A caller, in a child process of its own, works the counters over HTTP (each counter's
signed-in clerk): ``call-next`` (timed), then ``complete`` and a kiosk issuing one ticket
the counter serves, so as many wait throughout (a prefill makes sure no counter calls in
vain). Every call therefore sends each device three messages (call, counter, queue).
Latency per (device, call) is the device's receipt of the ``call`` message with that
ticket's number minus the caller's receipt of the call-next answer. The fan-out starts at
the commit on the server's event loop, before the answer is written, so a device may hear
of a call before the caller does: negative latencies are real and reported as they are.
The answer is written by the same event loop that sends to the devices and may wait behind
part of the fan-out, which flatters this figure; so the same is also given from when the
call-next request was sent, which bounds the whole way from the clerk's click.

One clock for every process: ``time.perf_counter_ns()`` is CLOCK_MONOTONIC on Linux, one
clock for the whole machine, so readings taken in different processes compare directly.

Measured:

- 500 devices on one ``hall serve`` (one worker, SQLite), calls a few a second, each call's
  fan-out on its own (complete and issue come half a period after the call);
- 5,000 devices on one worker (report only), fewer calls a second;
- the Redis path: two ``hall serve`` processes on one PostgreSQL database with ``REDIS_URL``,
  half the devices on each, calls through the first: devices on the calling server and on
  the other one;
- the most calls a second one worker delivers to 500 devices with p99 under 100 ms (from
  the answer), every device receiving every call and the rate kept: calls spread over all
  14 counters (so one counter's call/complete round trip does not limit them), the rate
  doubled from 5 a second until a step misses, then halved twice between the last step
  that passed and the first that missed; every step's figures are in the JSON.

The servers keep the deployment's heartbeat period (``HALL_DEVICE_HEARTBEAT``, 15 s unless
``heartbeat`` says otherwise): heartbeats come every period, busy or quiet, so each device
is sent some during the measurement and answers them. A phase ends when every device has
reached the hall's last ``seq`` (asked of the server after the last call): everything it
was sent has arrived.

    python -m tests.perf.displays devices PLAN RESULT   a device process (the benchmark starts it)
    python -m tests.perf.displays caller PLAN RESULT    the caller (likewise)

Both take commands on stdin and answer on stdout, one JSON object a line.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import queue
import resource
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

import msgspec

from queueing.kinds import served_items
from tests.perf.common import (
    HALL,
    KIOSK_TOKEN,
    ROOT,
    CpuWatch,
    Figure,
    Outcome,
    bench_hall,
    database,
    fmt,
    log_tail,
    open_counters,
    percentile,
    processes_cpu_seconds,
    python,
    scratch_dir,
    server_env,
    servers,
)
from tests.perf.load import HttpConnection

__all__ = ["bench_displays"]

SCREEN_TOKEN = "demo-screen-token"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PARTS = ("one", "many", "redis", "rate")


# ---------------------------------------------------------------------------- plans


class DevicePlan(msgspec.Struct, frozen=True):
    urls: list[str]  # device i connects to urls[i % len(urls)]
    devices: int
    first: int  # the global index of this process's first device
    hall: str = HALL
    token: str = SCREEN_TOKEN
    batch: int = 100  # connections opened at a time
    connect_timeout: float = 60.0
    compression: str | None = "deflate"  # permessage-deflate offered, as browsers do


class CounterPlan(msgspec.Struct, frozen=True):
    number: int
    token: str
    url: str
    items: list[str]  # what its kiosk issues: items this counter serves


class CallerPlan(msgspec.Struct, frozen=True):
    hall: str
    kiosk_token: str
    counters: list[CounterPlan]


def _limit_open_files() -> int:
    """Raise this process's open-files limit to the hard limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _say(message: dict) -> None:
    sys.stdout.write(msgspec.json.encode(message).decode() + "\n")
    sys.stdout.flush()


async def _commands() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


def _run(main) -> None:
    try:
        import uvloop

        uvloop.run(main)
    except ImportError:
        asyncio.run(main)


# ---------------------------------------------------------------------------- the devices


class _Called(msgspec.Struct):
    number: str
    counter: int


class _Incoming(msgspec.Struct):
    """What a device looks at in a message (the rest is skipped undecoded)."""

    type: str
    seq: int = 0
    call: _Called | None = None


_decode = msgspec.json.Decoder(_Incoming).decode
_PONG = '{"type":"pong"}'
_RESYNC = '{"type":"resync"}'


class Device:
    """A hall screen: keeps the sequence like channel.js, answers heartbeats, reconnects."""

    def __init__(self, index: int, uri: str, receipts: list, compression: str | None = "deflate") -> None:
        self.index, self.uri, self.receipts, self.compression = index, uri, receipts, compression
        self.seq = -1
        self.resyncing = False
        self.ws = None
        self.ready = asyncio.Event()
        self.stopping = False
        self.connect_ns = 0  # first connection: from the attempt to the snapshot
        self.messages = self.calls = self.gaps = self.resyncs = self.snapshots = 0
        self.heartbeats = self.behind_at_heartbeat = self.stale = self.drops = self.failures = 0
        self.error = ""

    async def run(self) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidHandshake

        backoff = 1.0
        while not self.stopping:
            began = time.perf_counter_ns()
            try:
                async with connect(
                    self.uri,
                    compression=self.compression,
                    ping_interval=None,  # browsers do not ping; they answer the server's pings
                    open_timeout=60,
                    close_timeout=2,
                    proxy=None,
                ) as ws:
                    self.ws = ws
                    backoff = 1.0
                    await self._receive(ws, began)
            except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError) as exc:
                self.ws = None
                if self.stopping:
                    return
                if isinstance(exc, ConnectionClosed):
                    self.drops += 1  # the server closed a channel that was open
                else:
                    self.failures += 1
                self.error = f"{type(exc).__name__}: {exc}"[:300]
                await asyncio.sleep(backoff * (0.75 + 0.5 * (self.index % 7) / 7))
                backoff = min(backoff * 2, 15.0)

    async def _receive(self, ws, began: int) -> None:
        recv, send, receipts, index = ws.recv, ws.send, self.receipts, self.index
        while True:
            raw = await recv(decode=False)
            now = time.perf_counter_ns()
            message = _decode(raw)
            kind = message.type
            self.messages += 1
            if kind == "snapshot":
                self.seq, self.resyncing = message.seq, False
                self.snapshots += 1
                if not self.ready.is_set():
                    self.connect_ns = now - began
                    self.ready.set()
                continue
            if kind == "heartbeat":
                self.heartbeats += 1
                await send(_PONG)
                if message.seq > self.seq:  # missed the latest message
                    self.behind_at_heartbeat += 1
                    await self._resync(send)
                continue
            if message.seq <= self.seq:
                self.stale += 1  # already in the snapshot
                continue
            if message.seq != self.seq + 1 or kind == "reset":
                self.gaps += 1
                await self._resync(send)
                continue
            self.seq = message.seq
            if kind == "call":
                self.calls += 1
                receipts.append((message.call.number, index, now))

    async def _resync(self, send) -> None:
        if not self.resyncing:
            self.resyncing = True
            self.resyncs += 1
            await send(_RESYNC)

    async def close(self) -> None:
        self.stopping = True
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()

    def stats(self) -> list[int]:
        return [
            self.index,
            self.messages,
            self.calls,
            self.gaps,
            self.resyncs,
            self.snapshots,
            self.heartbeats,
            self.behind_at_heartbeat,
            self.stale,
            self.drops,
            self.failures,
            self.connect_ns,
        ]


STAT_FIELDS = (
    "index",
    "messages",
    "calls",
    "gaps",
    "resyncs",
    "snapshots",
    "heartbeats",
    "behind_at_heartbeat",
    "stale",
    "drops",
    "failures",
    "connect_ns",
)


TROUBLE = (
    "gaps",
    "resyncs",
    "snapshots",
    "heartbeats",
    "behind_at_heartbeat",
    "drops",
    "failures",
    "calls",
    "messages",
)


def _by_number(receipts: list[tuple[str, int, int]]) -> dict[str, list[list[int]]]:
    """Receipts of call messages by ticket number: [[device, ...], [perf_counter_ns, ...]]."""
    by_number: dict[str, list[list[int]]] = {}
    for number, index, at in receipts:
        entry = by_number.setdefault(number, [[], []])
        entry[0].append(index)
        entry[1].append(at)
    return by_number


async def _devices_main(plan: DevicePlan, result_path: Path) -> None:
    limit = _limit_open_files()
    receipts: list[tuple[str, int, int]] = []
    base = [url.replace("http://", "ws://") + f"/ws/halls/{plan.hall}?token={plan.token}" for url in plan.urls]
    devices = [
        Device(plan.first + i, base[(plan.first + i) % len(base)], receipts, plan.compression)
        for i in range(plan.devices)
    ]
    tasks: list[asyncio.Task] = []
    commands = await _commands()
    started = time.perf_counter()
    for start in range(0, len(devices), plan.batch):  # gently: a batch at a time
        batch = devices[start : start + plan.batch]
        tasks += [asyncio.create_task(d.run()) for d in batch]
        waiting = [asyncio.create_task(d.ready.wait()) for d in batch]
        _, late = await asyncio.wait(waiting, timeout=plan.connect_timeout)
        for task in late:
            task.cancel()
    connected = sum(d.ready.is_set() for d in devices)
    _say(
        {"event": "ready", "connected": connected, "seconds": round(time.perf_counter() - started, 3), "nofile": limit}
    )
    while line := await commands.readline():
        command = msgspec.json.decode(line)
        if command["cmd"] == "sync":
            # Every device has reached the hall's last seq (from a message or a snapshot):
            # whatever it was sent before has arrived.
            target, began = command["seq"], time.perf_counter()
            deadline = began + command["timeout"]
            while time.perf_counter() < deadline and any(d.seq < target or d.resyncing for d in devices):
                await asyncio.sleep(0.01)
            reached = sum(d.seq >= target and not d.resyncing for d in devices)
            path = result_path.with_name(f"{result_path.name}.{command['name']}")
            path.write_bytes(msgspec.msgpack.encode(_by_number(receipts)))
            receipts.clear()
            totals = {k: sum(getattr(d, k) for d in devices) for k in TROUBLE}
            seconds = round(time.perf_counter() - began, 3)
            _say({"event": "synced", "reached": reached, "seconds": seconds, "receipts": str(path), **totals})
        elif command["cmd"] == "stop":
            break
    for start in range(0, len(devices), 500):
        await asyncio.gather(*(d.close() for d in devices[start : start + 500]))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    errors = sorted({d.error for d in devices if d.error})[:5]
    result = {"stats": [d.stats() for d in devices], "errors": errors}
    result_path.write_bytes(msgspec.msgpack.encode(result))
    _say({"event": "done"})


# ---------------------------------------------------------------------------- the caller


class Call(msgspec.Struct, array_like=True):
    round: str
    counter: int
    due: int  # perf_counter_ns
    sent: int
    answered: int
    status: int
    number: str = ""


class _Counter:
    def __init__(self, hall: str, plan: CounterPlan) -> None:
        self.plan = plan
        self.conn = HttpConnection(plan.url)
        base = f"/api/halls/{hall}/counters/{plan.number}"
        self.call_path, self.complete_path = base + "/call-next", base + "/complete"
        self.issue_path = f"/api/halls/{hall}/tickets"
        self.lock = asyncio.Lock()
        self.issued = 0

    async def issue(self, kiosk_token: str) -> str | None:
        item = self.plan.items[self.issued % len(self.plan.items)]
        self.issued += 1
        body = msgspec.json.encode({"item": item, "idempotency_key": secrets.token_hex(16)})
        status, data = await self.conn.request("POST", self.issue_path, kiosk_token, body)
        return None if status == 201 else f"issue {item}: {status} {data[:200]!r}"


async def _caller_main(plan: CallerPlan, result_path: Path) -> None:
    counters = [_Counter(plan.hall, c) for c in plan.counters]
    calls: list[Call] = []
    errors: list[str] = []
    commands = await _commands()

    def error(message: str) -> None:
        if len(errors) < 200:
            errors.append(message)

    async def cycle(name: str, counter: _Counter, due: float, settle: float) -> None:
        async with counter.lock:  # one call at a time at a counter: call, complete, call again
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            token = counter.plan.token
            try:
                sent = time.perf_counter_ns()
                status, data = await counter.conn.request("POST", counter.call_path, token)
                answered = time.perf_counter_ns()
                call = Call(name, counter.plan.number, round(due * 1e9), sent, answered, status)
                calls.append(call)
                if status != 200:
                    if status != 204:
                        error(f"call-next at {counter.plan.number}: {status} {data[:200]!r}")
                    return
                ticket = msgspec.json.decode(data)
                call.number = ticket["number"]
                if settle > 0:  # let the call's fan-out go out on its own
                    await asyncio.sleep(max(0.0, due + settle - time.perf_counter()))
                body = msgspec.json.encode({"ticket": ticket["id"]})
                status, data = await counter.conn.request("POST", counter.complete_path, token, body)
                if status != 200:
                    error(f"complete at {counter.plan.number}: {status} {data[:200]!r}")
                if problem := await counter.issue(plan.kiosk_token):
                    error(problem)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                error(f"{type(exc).__name__}: {exc}")

    try:
        while line := await commands.readline():
            command = msgspec.json.decode(line)
            if command["cmd"] == "prefill":  # each counter's kiosk issues this many it serves
                for _ in range(command["per_counter"]):
                    for problem in await asyncio.gather(*(c.issue(plan.kiosk_token) for c in counters)):
                        if problem:
                            error(problem)
                _say({"event": "prefilled", "errors": len(errors)})
            elif command["cmd"] == "round":
                # Call k is due at start + k / rate, at counter k mod n; with ``settle`` the
                # counter completes and issues that long after the call, else right away.
                name, rate, count = command["name"], command["rate"], command["calls"]
                settle, before = command.get("settle", 0.0), len(calls)
                start = time.perf_counter() + 0.05
                await asyncio.gather(
                    *(cycle(name, counters[k % len(counters)], start + k / rate, settle) for k in range(count))
                )
                status, data = await counters[0].conn.request("GET", f"/api/halls/{plan.hall}/queue")
                if status != 200:
                    raise RuntimeError(f"queue: {status} {data[:200]!r}")
                _say({"event": "round", "calls": calls[before:], "seq": msgspec.json.decode(data)["seq"]})
            elif command["cmd"] == "stop":
                break
    finally:
        for counter in counters:
            await counter.conn.close()
    result_path.write_bytes(msgspec.msgpack.encode({"calls": calls, "errors": errors}))
    _say({"event": "done"})


# ---------------------------------------------------------------------------- child processes


class Child:
    """A device process or the caller: commands on its stdin, answers from its stdout."""

    def __init__(self, role: str, plan: msgspec.Struct, folder: Path, name: str) -> None:
        self.name = name
        self.plan_path, self.result_path = folder / f"{name}.plan.json", folder / f"{name}.result"
        self.log = folder / f"{name}.log"
        self.plan_path.write_bytes(msgspec.json.encode(plan))
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [python(), "-m", "tests.perf.displays", role, str(self.plan_path), str(self.result_path)],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        self._lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(b"")

    def send(self, **command: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(msgspec.json.encode(command) + b"\n")
        self.process.stdin.flush()

    def expect(self, event: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"{self.name}: no {event!r} within {timeout:.0f} s:\n{log_tail(self.log)}") from None
            if not line:
                code = self.process.wait()
                raise RuntimeError(f"{self.name} exited with {code} before {event!r}:\n{log_tail(self.log)}")
            message = msgspec.json.decode(line)
            if message.get("event") == event:
                return message

    def finish(self, timeout: float = 60) -> dict:
        self.send(cmd="stop")
        self.expect("done", timeout)
        self.process.wait(timeout=10)
        return msgspec.msgpack.decode(self.result_path.read_bytes())

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                stream.close()  # type: ignore[union-attr]


class _Cpu:
    """CpuWatch over the servers, devices and caller; Redis counted apart from other work."""

    def __init__(self, servers: Sequence[int], devices: Sequence[int], caller: int) -> None:
        self.servers, self.devices, self.caller = list(servers), list(devices), caller
        self.watch = CpuWatch([*servers, *devices, caller])
        self.redis0 = processes_cpu_seconds("redis-server")
        self.began = time.perf_counter()

    def stop(self) -> dict[str, float]:
        raw = self.watch.stop()
        wall = max(time.perf_counter() - self.began, 1e-9)
        redis1 = processes_cpu_seconds("redis-server")
        redis = sum(max(0.0, used - self.redis0.get(pid, 0.0)) for pid, used in redis1.items()) / wall
        cores = {
            "servers": round(sum(raw[f"server_{p}"] for p in self.servers), 3),
            "devices": round(sum(raw[f"server_{p}"] for p in self.devices), 3),
            "caller": raw[f"server_{self.caller}"],
            "postgres": raw["postgres"],
            "redis": round(redis, 3),
            "this_process": raw["this_process"],
            "whole_machine": raw["whole_machine"],
        }
        cores["others"] = round(max(0.0, raw["others"] - redis), 3)
        return cores


class _Setup:
    """Servers, the caller (its counters open, tickets waiting) and the connected devices."""

    def __init__(
        self,
        stack: ExitStack,
        folder: Path,
        running: list,
        devices: int,
        processes: int,
        split: bool,
        compression: str | None = "deflate",
    ) -> None:
        self.running = running
        urls = [s.url for s in running]
        hall = bench_hall()
        opened = open_counters(urls[:1], hall)  # every call goes through the first server
        served = {c.number: sorted(served_items(c, hall.rules.items)) for c in hall.counters}
        caller_plan = CallerPlan(
            hall=HALL,
            kiosk_token=KIOSK_TOKEN,
            counters=[CounterPlan(n, c["token"], c["url"], served[n]) for n, c in sorted(opened.items())],
        )
        self.started: list[Child] = []
        stack.callback(lambda: [child.kill() for child in self.started])  # whatever happens
        self.caller = Child("caller", caller_plan, folder, "caller")
        self.started.append(self.caller)
        self.folder, self.urls, self.split, self.compression = folder, urls, split, compression
        self.processes, self.total = processes, devices
        self.devices: list[Child] = []
        # With ``split`` device i connects to server i mod n (so each process has devices of every server).
        self.server_of = {i: (i % len(urls) if split else 0) for i in range(devices)}
        self.receipts: dict[str, tuple[list[int], list[int]]] = {}
        self.totals: dict[str, int] = {}

    def prefill(self, per_counter: int) -> None:
        """Tickets waiting at every counter, before any device connects."""
        self.caller.send(cmd="prefill", per_counter=per_counter)
        answer = self.caller.expect("prefilled", 120)
        if answer["errors"]:
            raise RuntimeError(f"prefill: {answer['errors']} requests failed; see {self.caller.log}")

    def connect(self, timeout: float) -> dict:
        """Start the device processes; each connects its devices a batch at a time."""
        began = time.perf_counter()
        share = [self.total // self.processes + (i < self.total % self.processes) for i in range(self.processes)]
        first = 0
        for index, count in enumerate(share):
            urls = self.urls if self.split else self.urls[:1]
            plan = DevicePlan(urls=urls, devices=count, first=first, compression=self.compression)
            self.devices.append(Child("devices", plan, self.folder, f"devices-{index}"))
            self.started.append(self.devices[-1])
            first += count
        answers = [child.expect("ready", timeout) for child in self.devices]
        connected = sum(a["connected"] for a in answers)
        if connected != self.total:
            raise RuntimeError(f"only {connected} of {self.total} devices connected; see {self.devices[0].log}")
        self.sync("connected", 0, timeout)  # the counts so far: what a phase adds is told apart
        return {
            "connected": connected,
            "seconds": round(time.perf_counter() - began, 2),
            "nofile": answers[0]["nofile"],
        }

    def cpu(self) -> _Cpu:
        return _Cpu([s.process.pid for s in self.running], [c.pid for c in self.devices], self.caller.pid)

    def round(self, name: str, rate: float, calls: int, settle: float) -> tuple[list[Call], int]:
        """``calls`` calls at ``rate``; what they were, and the hall's seq after them."""
        self.caller.send(cmd="round", name=name, rate=rate, calls=calls, settle=settle)
        answer = self.caller.expect("round", calls / rate * 3 + 60)
        return [msgspec.convert(c, Call) for c in answer["calls"]], answer["seq"]

    def sync(self, name: str, seq: int, timeout: float) -> dict:
        """Wait until every device has reached ``seq``; gather the receipts so far."""
        for child in self.devices:
            child.send(cmd="sync", name=name, seq=seq, timeout=timeout)
        answers = [child.expect("synced", timeout + 30) for child in self.devices]
        for answer in answers:
            path = Path(answer["receipts"])
            for number, (devices, times) in msgspec.msgpack.decode(path.read_bytes()).items():
                entry = self.receipts.setdefault(number, ([], []))
                entry[0].extend(devices)
                entry[1].extend(times)
            path.unlink()
        self.totals = {k: sum(a[k] for a in answers) for k in TROUBLE}
        return {"reached": sum(a["reached"] for a in answers), "seconds": max(a["seconds"] for a in answers)}

    def finish(self) -> tuple[list[list[int]], list[str]]:
        stats: list[list[int]] = []
        errors: list[str] = []
        for child in self.devices:
            result = child.finish()
            stats += result["stats"]
            errors += result["errors"]
        errors = self.caller.finish()["errors"] + errors
        for index, server in enumerate(self.running):
            if server.process is None or server.process.poll() is not None:
                raise RuntimeError(f"server {index} died:\n{log_tail(server.log)}")
        return stats, errors


# ---------------------------------------------------------------------------- figures


def _summary(values_ns: Sequence[int]) -> dict:
    values = sorted(values_ns)
    if not values:
        return {"count": 0}
    ms = 1e-6
    return {
        "count": len(values),
        "min_ms": round(values[0] * ms, 3),
        "mean_ms": round(sum(values) / len(values) * ms, 3),
        "p50_ms": round(percentile(values, 50) * ms, 3),
        "p95_ms": round(percentile(values, 95) * ms, 3),
        "p99_ms": round(percentile(values, 99) * ms, 3),
        "max_ms": round(values[-1] * ms, 3),
        "negative": sum(v < 0 for v in values),
    }


def _delivery(calls: list[Call], receipts: dict, members: set[int]) -> dict:
    """For the devices ``members``: latency of each (device, call) from the call-next answer
    and from its request, how long each call took to reach its last device, what was missed."""
    from_answer, from_request, last, missed_by = [], [], [], {}
    answered = [c for c in calls if c.status == 200]
    for call in answered:
        devices, times = receipts.get(call.number, ((), ()))
        heard, latest = set(), None
        for device, at in zip(devices, times, strict=True):
            if device in members:
                heard.add(device)
                from_answer.append(at - call.answered)
                from_request.append(at - call.sent)
                latest = at if latest is None else max(latest, at)
        if latest is not None:
            last.append(latest - call.answered)
        for device in members - heard:
            missed_by[device] = missed_by.get(device, 0) + 1
    return {
        "devices": len(members),
        "calls": len(answered),
        "from_answer": _summary(from_answer),
        "from_request": _summary(from_request),
        "last_device_from_answer": _summary(last),
        "missed": sum(missed_by.values()),
        "devices_that_missed": len(missed_by),
        "missed_by_device": {str(k): v for k, v in sorted(missed_by.items())[:20]},
    }


def _http(calls: list[Call]) -> dict:
    if not calls:
        return {"calls": 0}
    span = (max(c.answered for c in calls) - min(c.due for c in calls)) / 1e9
    return {
        "calls": len(calls),
        "answered_200": sum(c.status == 200 for c in calls),
        "empty_204": sum(c.status == 204 for c in calls),
        "failed": sum(c.status not in (200, 204) for c in calls),
        "calls_per_second": round(len(calls) / span, 2) if span > 0 else 0.0,
        "call_next": _summary([c.answered - c.sent for c in calls]),
        "call_next_from_due": _summary([c.answered - c.due for c in calls]),
    }


def _device_totals(stats: list[list[int]], members: set[int] | None = None) -> dict:
    rows = [dict(zip(STAT_FIELDS, row, strict=True)) for row in stats]
    if members is not None:
        rows = [r for r in rows if r["index"] in members]
    totals: dict = {k: sum(r[k] for r in rows) for k in STAT_FIELDS if k not in ("index", "connect_ns")}
    totals["devices"] = len(rows)
    totals["snapshots_after_connect"] = totals["snapshots"] - len(rows)
    totals["devices_with_gaps"] = sum(r["gaps"] > 0 for r in rows)
    totals["devices_dropped"] = sum(r["drops"] > 0 for r in rows)
    totals["devices_without_heartbeat"] = sum(r["heartbeats"] == 0 for r in rows)
    totals["connect"] = _summary([r["connect_ns"] for r in rows if r["connect_ns"]])
    return totals


def _shown(lat: dict) -> str:
    if not lat.get("count"):
        return "no receipts"
    return (
        f"p50 {fmt(lat['p50_ms'])} / p95 {fmt(lat['p95_ms'])} / p99 {fmt(lat['p99_ms'])} / max {fmt(lat['max_ms'])} ms"
    )


def _delivered(part: dict, trouble: dict) -> str:
    missed = part["missed"]
    text = f"{part['calls']} calls, " + (
        "none missed" if not missed else f"{missed} missed by {part['devices_that_missed']} devices"
    )
    bad = [f"{trouble[k]} {k}" for k in ("gaps", "resyncs", "drops") if trouble.get(k)]
    return text + (f" ({', '.join(bad)})" if bad else "")


def _p99(lat: dict) -> float:
    return lat["p99_ms"] if lat.get("count") else math.nan


# ---------------------------------------------------------------------------- measuring


def _measure(
    setup: _Setup, name: str, rate: float, calls: int, groups: dict[str, set[int]], spaced: bool = True
) -> dict:
    """``calls`` calls at ``rate``, then wait until every device has all it was sent.
    ``spaced``: a counter completes and issues half a period after its call, so that each
    call's fan-out goes out on its own; else right after the call."""
    before = dict(setup.totals)
    watch = setup.cpu()
    made, seq = setup.round(name, rate, calls, 0.5 / rate if spaced else 0.0)
    cpu = watch.stop()
    synced = setup.sync(name, seq, timeout=60 + calls / rate)
    return {
        "rate": rate,
        "spaced": spaced,
        "http": _http(made),
        "delivery": {group: _delivery(made, setup.receipts, members) for group, members in groups.items()},
        "devices": {k: setup.totals[k] - before.get(k, 0) for k in TROUBLE},
        "synced": synced,
        "cpu": cpu,
    }


def _search(attempt: Callable[[float], bool], steps: Sequence[float], refine: int) -> None:
    """Up the ``steps`` until one misses, then ``refine`` halvings between the highest rate
    that passed and the lowest that missed."""
    passed, missed = 0.0, None
    for step in steps:
        if attempt(step):
            passed = step
        else:
            missed = step
            break
    for _ in range(refine if missed is not None else 0):
        middle = round((passed + missed) / 2, 2)
        if middle in (passed, missed) or middle <= 0:
            break
        if attempt(middle):
            passed = middle
        else:
            missed = middle


def _step_passes(phase: dict, step: float, p99_ms: float) -> bool:
    part, http = phase["delivery"]["all"], phase["http"]
    lat = part["from_answer"]
    phase["kept_rate"] = http.get("calls_per_second", 0) >= 0.95 * step and http.get("failed", 1) == 0
    phase["passes"] = (
        phase["kept_rate"]
        and part["calls"] > 0
        and part["missed"] == 0
        and bool(lat.get("count"))
        and lat["p99_ms"] < p99_ms
    )
    return phase["passes"]


# ---------------------------------------------------------------------------- the benchmark


def bench_displays(
    parts: Sequence[str] = PARTS,
    *,
    devices: int = 500,
    device_processes: int = 1,
    rate: float = 4.0,
    calls: int = 72,
    many_devices: int = 5000,
    many_processes: int = 4,
    many_rate: float = 0.25,
    many_calls: int = 10,
    redis_devices: int = 500,
    redis_calls: int = 48,
    steps: Sequence[float] = (5, 10, 20, 40, 80),
    refine: int = 2,
    step_seconds: float = 5.0,
    step_p99_ms: float = 100.0,
    heartbeat: float | None = None,
    prefill: int = 30,
    compression: str | None = "deflate",
    target_p50_ms: float = 5.0,
    target_p99_ms: float = 25.0,
    env: dict[str, str] | None = None,
) -> Outcome:
    """The parts of ``PARTS`` asked for; ``env`` adds to the servers' environment;
    ``compression=None``: devices that do not offer permessage-deflate (browsers do)."""
    if unknown := set(parts) - set(PARTS):
        raise ValueError(f"unknown parts {sorted(unknown)}; known: {PARTS}")
    started = time.perf_counter()
    outcome = Outcome("displays")
    nofile = _limit_open_files()  # the servers inherit it: 5,000 devices are 5,000 sockets
    details: dict = {
        "heartbeat_seconds": heartbeat or "the deployment's (15 s)",
        "open_files": nofile,
        "compression": compression,
    }
    extra = ({"HALL_DEVICE_HEARTBEAT": f"{heartbeat:g}"} if heartbeat else {}) | (env or {})

    if "one" in parts or "rate" in parts:
        with ExitStack() as stack:
            folder = stack.enter_context(scratch_dir("displays"))
            url = stack.enter_context(database("sqlite", folder))
            running = stack.enter_context(servers({**server_env(folder, url), **extra}, folder))
            setup = _Setup(stack, folder, running, devices, device_processes, split=False, compression=compression)
            setup.prefill(prefill)
            connected = setup.connect(120)
            everyone = {"all": set(range(devices))}
            phases: dict[str, dict] = {}
            if "one" in parts:
                phases["latency"] = _measure(setup, "latency", rate, calls, everyone)
            ladder: list[tuple[float, dict]] = []

            def attempt(step: float) -> bool:
                name = f"rate-{step:g}"
                phase = _measure(setup, name, step, round(step * step_seconds), everyone, spaced=False)
                phases[name] = phase
                ladder.append((step, phase))
                return _step_passes(phase, step, step_p99_ms)

            if "rate" in parts:
                _search(attempt, steps, refine)
            stats, errors = setup.finish()
        details["one_worker"] = {
            "devices": devices,
            "device_processes": device_processes,
            "connect": connected,
            "phases": phases,
            "device_totals": _device_totals(stats),
            "errors": errors[:10],
        }
        if "one" in parts:
            _latency_figures(outcome, phases["latency"], devices, rate, target_p50_ms, target_p99_ms)
        if "rate" in parts:
            _rate_figure(outcome, ladder, devices, step_p99_ms, details)

    if "many" in parts:
        with ExitStack() as stack:
            folder = stack.enter_context(scratch_dir("displays_many"))
            url = stack.enter_context(database("sqlite", folder))
            running = stack.enter_context(servers({**server_env(folder, url), **extra}, folder))
            setup = _Setup(stack, folder, running, many_devices, many_processes, split=False, compression=compression)
            setup.prefill(max(2, prefill // 3))
            connected = setup.connect(300)
            phase = _measure(setup, "many", many_rate, many_calls, {"all": set(range(many_devices))})
            stats, errors = setup.finish()
        details["many"] = {
            "devices": many_devices,
            "device_processes": many_processes,
            "connect": connected,
            "phase": phase,
            "device_totals": _device_totals(stats),
            "errors": errors[:10],
        }
        part = phase["delivery"]["all"]
        lat = part["from_answer"]
        outcome.figures.append(
            Figure(
                key="displays.many.p99_ms",
                label=f"device channel, {many_devices:,} devices, 1 worker (SQLite): call-next answer → every device",
                value=_p99(lat),
                unit="ms",
                text=f"{_shown(lat)}; {_delivered(part, phase['devices'])} at {fmt(many_rate)}/s",
            )
        )
        cpu = phase["cpu"]
        outcome.figures.append(
            Figure(
                key="displays.many.cpu_cores",
                label=f"device channel, {many_devices:,} devices: CPU cores busy at {fmt(many_rate)} calls/s",
                value=cpu["servers"],
                unit="cores",
                text=f"server {cpu['servers']:.2f}, devices {cpu['devices']:.2f}, other work {cpu['others']:.2f} "
                f"(of {os.cpu_count()})",
            )
        )

    if "redis" in parts:
        with ExitStack() as stack:
            folder = stack.enter_context(scratch_dir("displays_redis"))
            url = stack.enter_context(database("postgres", folder))
            env2 = {**server_env(folder, url), **extra, "REDIS_URL": REDIS_URL}
            running = stack.enter_context(servers(env2, folder, 2))
            setup = _Setup(stack, folder, running, redis_devices, 2, split=True, compression=compression)
            setup.prefill(prefill)
            connected = setup.connect(120)
            groups = {
                "same_server": {i for i, s in setup.server_of.items() if s == 0},
                "other_server": {i for i, s in setup.server_of.items() if s == 1},
            }
            phase = _measure(setup, "redis", rate, redis_calls, groups)
            stats, errors = setup.finish()
        details["redis"] = {
            "devices": redis_devices,
            "servers": 2,
            "connect": connected,
            "phase": phase,
            "device_totals": {g: _device_totals(stats, members) for g, members in groups.items()},
            "errors": errors[:10],
        }
        for group, words in (("same_server", "on the calling server"), ("other_server", "on the other server")):
            part = phase["delivery"][group]
            lat = part["from_answer"]
            outcome.figures.append(
                Figure(
                    key=f"displays.redis.{group}.p99_ms",
                    label=f"device channel, Redis, 2 servers (PostgreSQL): {part['devices']:,} devices {words}",
                    value=_p99(lat),
                    unit="ms",
                    text=f"{_shown(lat)}; {_delivered(part, {})}",
                )
            )
        cpu = phase["cpu"]
        trouble = _delivered({"calls": 0, "missed": 0}, phase["devices"]).partition("(")[2].rstrip(")")
        outcome.figures.append(
            Figure(
                key="displays.redis.cpu_cores",
                label=f"device channel, Redis, 2 servers: CPU cores busy at {fmt(rate)} calls/s",
                value=cpu["servers"],
                unit="cores",
                text=f"servers {cpu['servers']:.2f}, PostgreSQL {cpu['postgres']:.2f}, Redis {cpu['redis']:.2f}, "
                f"devices {cpu['devices']:.2f}, other work {cpu['others']:.2f} (of {os.cpu_count()})"
                + (f"; {trouble}" if trouble else ""),
            )
        )

    outcome.details = details
    outcome.seconds = time.perf_counter() - started
    return outcome


def _latency_figures(outcome: Outcome, phase: dict, devices: int, rate: float, p50: float, p99: float) -> None:
    part = phase["delivery"]["all"]
    lat, sent = part["from_answer"], part["from_request"]
    ok = bool(lat.get("count")) and lat["p50_ms"] < p50 and lat["p99_ms"] < p99 and part["missed"] == 0
    outcome.figures.append(
        Figure(
            key="displays.one.p99_ms",
            label=f"device channel, {devices:,} devices, 1 worker (SQLite): call-next answer → every device",
            value=_p99(lat),
            unit="ms",
            text=f"{_shown(lat)}; {_delivered(part, phase['devices'])}",
            target=f"p50 < {fmt(p50)} ms; p99 < {fmt(p99)} ms; none missed",
            ok=ok,
        )
    )
    outcome.figures.append(
        Figure(
            key="displays.one.from_request_p99_ms",
            label=f"device channel, {devices:,} devices: from the call-next request sent",
            value=_p99(sent),
            unit="ms",
            text=f"{_shown(sent)}; min {fmt(lat['min_ms'])} ms from the answer ({lat['negative']:,} of "
            f"{lat['count']:,} before it)"
            if lat.get("count")
            else "no receipts",
        )
    )
    cpu = phase["cpu"]
    outcome.figures.append(
        Figure(
            key="displays.one.cpu_cores",
            label=f"device channel, {devices:,} devices: CPU cores busy at {fmt(rate)} calls/s",
            value=cpu["servers"],
            unit="cores",
            text=f"server {cpu['servers']:.2f}, devices {cpu['devices']:.2f}, caller {cpu['caller']:.2f}, "
            f"other work {cpu['others']:.2f} (of {os.cpu_count()})",
        )
    )


def _rate_figure(outcome: Outcome, ladder: list[tuple[float, dict]], devices: int, p99: float, details: dict) -> None:
    steps = []
    for step, phase in ladder:
        part = phase["delivery"]["all"]
        lat = part["from_answer"]
        steps.append(
            {
                "rate": step,
                "passes": phase["passes"],
                "kept_rate": phase["kept_rate"],
                "calls_per_second": phase["http"].get("calls_per_second"),
                "p50_ms": lat.get("p50_ms"),
                "p99_ms": lat.get("p99_ms"),
                "max_ms": lat.get("max_ms"),
                "from_request_p99_ms": part["from_request"].get("p99_ms"),
                "missed": part["missed"],
                **{k: phase["devices"][k] for k in ("gaps", "resyncs", "drops")},
                "server_cores": phase["cpu"]["servers"],
                "device_cores": phase["cpu"]["devices"],
                "other_cores": phase["cpu"]["others"],
            }
        )
    best = max((s["rate"] for s in steps if s["passes"]), default=0.0)
    miss = min((s for s in steps if not s["passes"] and s["rate"] > best), key=lambda s: s["rate"], default=None)
    details["rate_steps"] = steps
    text = f"{fmt(best)} calls/s ({fmt(best * 3 * devices)} messages/s sent)"
    if miss is not None:
        text += (
            f"; at {fmt(miss['rate'])}: {fmt(miss['calls_per_second'] or 0)} done, p99 "
            f"{fmt(miss['p99_ms'] if miss['p99_ms'] is not None else math.nan)} ms, {miss['missed']} missed, "
            f"server {miss['server_cores']:.2f} / devices {miss['device_cores']:.2f} cores"
        )
    else:
        text += "; every step passed"
    outcome.figures.append(
        Figure(
            key="displays.max_calls_per_second",
            label=f"device channel, most calls/s one worker delivers to {devices:,} devices, p99 < {fmt(p99)} ms",
            value=best,
            unit="calls/s",
            text=text,
        )
    )


# ---------------------------------------------------------------------------- entry point


def main(argv: list[str]) -> int:
    role, plan_path, result_path = argv
    if role == "devices":
        plan = msgspec.json.decode(Path(plan_path).read_bytes(), type=DevicePlan)
        _run(_devices_main(plan, Path(result_path)))
    elif role == "caller":
        plan = msgspec.json.decode(Path(plan_path).read_bytes(), type=CallerPlan)
        _run(_caller_main(plan, Path(result_path)))
    else:
        raise SystemExit(f"unknown role {role!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
