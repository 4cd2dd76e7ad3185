"""The HTTP layer's CPU per queue operation, in process: the three hot requests (a kiosk issues
a ticket, a clerk calls next, then completes it) sent straight to the ASGI app, no socket.

    python -m tests.perf.http_edge [--rounds 3000] [--repeat 5] [--stub]

Prints the process's CPU time (every thread: the hall's and the database's too) per request,
best of ``--repeat`` runs. ``--stub``: the hall's ``execute`` answers at once with an answer
of the right shape, so that what is left is the HTTP layer alone (middlewares, guards,
dependencies, body decoding, the answer's JSON): the figure to compare before and after a
change to config/app.py, config/auth.py, config/limits.py, config/audit/ or the handlers.
On a busy machine CPU time varies by half from run to run: compare the best of runs
alternated between two trees, or count instructions (``valgrind --tool=callgrind``, the
difference between two values of ``--rounds``), which repeat to within 1 %.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from queue import SimpleQueue
from typing import Any

import msgspec

from config.app import create_app
from config.halls import HallDefinition
from config.settings import Settings, load_settings
from queueing.service import HallRuntime
from tests.perf.common import (
    BENCH_HALL,
    HALL,
    KIOSK_TOKEN,
    STAFF_PASSWORD,
    bench_hall,
    clerks,
    issue_pools,
    scratch_dir,
)
from tests.support import REAL_HALL

__all__ = ["Asgi", "KeptAnswers", "bench_settings", "clerk_token", "lifespan", "main", "request"]

Asgi = Callable[..., Any]


class Answer(msgspec.Struct):
    status: int
    body: bytes


async def request(app: Asgi, method: str, path: str, token: str = "", body: bytes = b"") -> Answer:
    headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench"), (b"accept", b"*/*")]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False

    async def receive() -> dict:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    status, chunks = 0, []

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return Answer(status, b"".join(chunks))


async def lifespan(app: Asgi) -> tuple[Callable[[], Any], asyncio.Task]:
    inbox: asyncio.Queue = asyncio.Queue()
    outbox: asyncio.Queue = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    task = asyncio.ensure_future(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, outbox.put)
    )
    started = await outbox.get()
    assert started["type"] == "lifespan.startup.complete", started

    async def stop() -> None:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task

    return stop, task


def bench_settings(folder: Path, log_level: str = "WARNING") -> Settings:
    """The benchmark hall on a SQLite file in ``folder``, as a deployment sets it."""
    return load_settings(
        env={},
        halls=[str(BENCH_HALL)],
        data_dir=str(folder / "var"),
        database_url=f"sqlite:///{folder / 'hall.db'}",
        log_format="json",
        log_level=log_level,
        **REAL_HALL,
    )


async def clerk_token(app: Asgi, hall: HallDefinition, number: int) -> str:
    """Log the clerk of counter ``number`` in, sign in there and open the counter: the token."""
    login = msgspec.json.encode({"hall": HALL, "username": clerks(hall)[number], "password": STAFF_PASSWORD})
    answer = await request(app, "POST", "/api/auth/login", body=login)
    assert answer.status == 200, answer
    token: str = msgspec.json.decode(answer.body)["token"]
    for action in ("sign-in", "open"):
        answer = await request(app, "POST", f"/api/halls/{HALL}/counters/{number}/{action}", token)
        assert answer.status == 200, answer
    return token


class KeptAnswers:
    """Every hall's ``execute``, while in use (``with``), as ``mode`` says: ``real`` (as it is);
    ``kept`` (at once, the answer the hall last gave to a command of that kind: what is left is
    the HTTP layer); ``hop`` (that kept answer handed back from the thread ``THREAD``, as the
    hall's worker hands its answers: a ``SimpleQueue`` there, ``call_soon_threadsafe`` back).
    ``answered`` counts each way."""

    THREAD = "hop"

    def __init__(self) -> None:
        self.mode = "real"
        self.answered: Counter[str] = Counter()
        self._kept: dict[str, Any] = {}
        self._hops: SimpleQueue[tuple[asyncio.AbstractEventLoop, asyncio.Future, Any] | None] = SimpleQueue()
        self._real = HallRuntime.execute

    def __enter__(self) -> KeptAnswers:
        threading.Thread(target=self._hand_back, name=self.THREAD, daemon=True).start()
        real, answers = self._real, self

        async def execute(runtime: HallRuntime, command: Any, present: Any = None, also: Any = None) -> Any:
            name = type(command).__name__
            if answers.mode == "real" or name not in answers._kept:
                answers.answered["real"] += 1
                answers._kept[name] = answer = await real(runtime, command, present, also)
                return answer
            answers.answered[answers.mode] += 1
            if answers.mode == "kept":
                return answers._kept[name]
            loop = asyncio.get_running_loop()
            waiter = loop.create_future()
            answers._hops.put((loop, waiter, answers._kept[name]))
            return await waiter

        HallRuntime.execute = execute  # type: ignore[method-assign]
        return self

    def __exit__(self, *_: object) -> None:
        HallRuntime.execute = self._real  # type: ignore[method-assign]
        self._hops.put(None)

    def _hand_back(self) -> None:
        while (hop := self._hops.get()) is not None:
            loop, waiter, answer = hop
            loop.call_soon_threadsafe(waiter.set_result, answer)


async def run(rounds: int, repeat: int, stub: bool) -> None:
    with scratch_dir("http_edge") as folder:
        app = create_app(bench_settings(folder), configure_logs=False)
        logging.getLogger().setLevel(logging.WARNING)
        stop, _ = await lifespan(app)
        try:
            with KeptAnswers() if stub else contextlib.nullcontext() as answers:
                await _rounds(app, rounds, repeat, answers)
        finally:
            await stop()


async def _rounds(app: Asgi, rounds: int, repeat: int, answers: KeptAnswers | None) -> None:
    hall = bench_hall()
    number = min(clerks(hall))
    item = issue_pools(hall)[0][0]
    token = await clerk_token(app, hall, number)
    base = f"/api/halls/{HALL}/counters/{number}"

    async def one_round(i: int) -> None:
        issue = msgspec.json.encode({"item": item, "idempotency_key": f"k{i}-{time.monotonic_ns()}"})
        answer = await request(app, "POST", f"/api/halls/{HALL}/tickets", KIOSK_TOKEN, issue)
        assert answer.status == 201, answer
        answer = await request(app, "POST", f"{base}/call-next", token)
        assert answer.status == 200, answer
        ticket = msgspec.json.decode(answer.body)["id"]
        done = msgspec.json.encode({"ticket": ticket})
        answer = await request(app, "POST", f"{base}/complete", token, done)
        assert answer.status == 200, answer

    for i in range(50):
        await one_round(10_000 + i)
    if answers is not None:
        answers.mode = "kept"  # the answers of the rounds above, at once
    best = float("inf")
    for r in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        for i in range(rounds):
            await one_round(r * rounds + i)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        per = cpu / (3 * rounds) * 1e6
        best = min(best, per)
        print(f"run {r + 1}: {per:7.1f} us CPU/request ({wall / (3 * rounds) * 1e6:7.1f} us wall)", flush=True)
    print(f"{'stub' if answers is not None else 'full'}: best {best:.1f} us CPU per request")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1000, help="issue + call-next + complete, per run")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--stub", action="store_true", help="the hall answers at once: the HTTP layer alone")
    args = parser.parse_args()
    asyncio.run(run(args.rounds, args.repeat, args.stub))


if __name__ == "__main__":
    main()
