"""What this machine allows the device channel: the floor under figure 4.

A bare server that does nothing but keep ``devices`` websocket connections and, four times a
second, hand one call-sized message to all of them at once with the ``websockets`` package's
own ``broadcast()`` (one frame written to every connection, no per-connection task, no ASGI,
no database), and the same kind of clients as figure 4 (``websockets`` on asyncio, in one
process, timing each message on arrival). Latency: from the start of the broadcast to each
client's receipt, on the machine's one clock. Our server cannot beat this on the same machine
with the same clients; if this misses figure 4's target, the machine (or the clients) is the
limit, not the server.

    python -m tests.perf.floor server PORT DEVICES CALLS RESULT
    python -m tests.perf.floor clients PORT DEVICES SECONDS RESULT   (the benchmark starts both)
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import msgspec

from tests.perf.common import ROOT, Figure, Outcome, fmt, percentile, python, scratch_dir
from tests.support import free_port

__all__ = ["bench_floor"]

_PAD = "x" * 600  # a call message is about 700 bytes


class _Incoming(msgspec.Struct):
    type: str
    seq: int = 0


async def _server(port: int, devices: int, calls: int, result: Path) -> None:
    from websockets.asyncio.server import broadcast, serve

    connections: set = set()

    async def handler(ws) -> None:  # type: ignore[no-untyped-def]
        connections.add(ws)
        await ws.send('{"type":"snapshot","seq":0}')
        try:
            async for _ in ws:
                pass
        finally:
            connections.discard(ws)

    async with serve(handler, "127.0.0.1", port, compression=None):
        deadline = time.monotonic() + 120
        while len(connections) < devices and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(1)
        stamps = []
        for k in range(calls):
            message = msgspec.json.encode({"type": "call", "seq": k + 1, "number": f"A{k:03d}", "pad": _PAD}).decode()
            stamps.append(time.perf_counter_ns())
            broadcast(connections, message)
            await asyncio.sleep(0.25)
        result.write_bytes(msgspec.json.encode({"stamps": stamps, "connected": len(connections)}))
        await asyncio.sleep(2)


async def _clients(port: int, devices: int, seconds: float, result: Path) -> None:
    from websockets.asyncio.client import connect

    decode = msgspec.json.Decoder(_Incoming).decode
    receipts: list[tuple[int, int]] = []

    async def device() -> None:
        async with connect(f"ws://127.0.0.1:{port}", compression=None, ping_interval=None, open_timeout=60) as ws:
            async for raw in ws:
                at = time.perf_counter_ns()
                if (message := decode(raw)).type == "call":
                    receipts.append((message.seq, at))

    tasks = []
    for index in range(devices):
        tasks.append(asyncio.create_task(device()))
        if index % 100 == 99:
            await asyncio.sleep(0.1)
    await asyncio.sleep(seconds)
    result.write_bytes(msgspec.json.encode(receipts))
    os._exit(0)  # every connection at once, without 500 closing handshakes


def _run(main) -> None:  # type: ignore[no-untyped-def]
    try:
        import uvloop

        uvloop.run(main)
    except ImportError:
        asyncio.run(main)


def bench_floor(devices: int = 500, calls: int = 60) -> Outcome:
    started = time.perf_counter()
    outcome = Outcome("floor")
    port = free_port()
    with scratch_dir("floor") as folder:
        server_result, client_result = folder / "server.json", folder / "clients.json"
        server = subprocess.Popen(
            [python(), "-m", "tests.perf.floor", "server", str(port), str(devices), str(calls), str(server_result)],
            cwd=ROOT,
        )
        try:
            time.sleep(0.5)
            seconds = devices / 1000 + 2 + calls * 0.25 + 2
            subprocess.run(
                [
                    python(),
                    "-m",
                    "tests.perf.floor",
                    "clients",
                    str(port),
                    str(devices),
                    str(seconds),
                    str(client_result),
                ],
                cwd=ROOT,
                check=True,
                timeout=seconds + 120,
            )
            server.wait(timeout=60)
        finally:
            if server.poll() is None:
                server.kill()
        sent = msgspec.json.decode(server_result.read_bytes())
        receipts = msgspec.json.decode(client_result.read_bytes())
    stamps = sent["stamps"]
    latencies = sorted((at - stamps[seq - 1]) / 1e6 for seq, at in receipts if 0 < seq <= len(stamps))
    missed = devices * len(stamps) - len(latencies)
    p50, p95, p99 = (percentile(latencies, p) for p in (50, 95, 99))
    outcome.figures.append(
        Figure(
            key="floor.p99_ms",
            label=f"the machine's floor: a bare websockets broadcast to {devices:,} websockets clients",
            value=p99,
            unit="ms",
            text=f"p50 {fmt(p50)} / p95 {fmt(p95)} / p99 {fmt(p99)} / max {fmt(latencies[-1])} ms; "
            f"{len(stamps)} broadcasts, {missed} missed",
        )
    )
    outcome.details = {"devices": devices, "connected": sent["connected"], "calls": len(stamps), "missed": missed}
    outcome.seconds = time.perf_counter() - started
    return outcome


def main(argv: list[str]) -> int:
    role, port, devices, amount, result = argv
    if role == "server":
        _run(_server(int(port), int(devices), int(amount), Path(result)))
    elif role == "clients":
        _run(_clients(int(port), int(devices), float(amount), Path(result)))
    else:
        raise SystemExit(f"unknown role {role!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
