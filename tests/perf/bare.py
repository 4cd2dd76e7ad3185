"""The floor under figure 1 and the pace benchmark: a bare Litestar endpoint.

The routes the load generator's kiosks and counters use (issue, call-next, complete), each of
which decodes the same small body as ours with msgspec and answers JSON of the same shape and
size as ours: a ticket (about 540 bytes) for issue and call-next, a counter and its ticket
(about 1,060 bytes) for complete. No database, no authentication (the clients' Authorization
header is ignored), no middleware, no logging of requests.

Served by uvicorn as ``hall serve`` serves ours (``config/cli/admin.py``): one process, the
same event loop ("auto": uvloop when installed), the httptools HTTP/1.1 parser, access log
off, the same log configuration. One difference: uvicorn's own ``httptools`` protocol, not our
``GuardedHttpProtocol`` subclass (its request deadlines are our code, so their cost counts as
ours).

Whatever our server spends per operation above this, it spends in our code (or in the parts
of Litestar only our app uses: dependencies, guards, middleware).

    python -m tests.perf.bare PORT        (the benchmarks start it: ``bare_servers``)
"""

from __future__ import annotations

import datetime as dt
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated

import httpx
import msgspec
from litestar import Litestar, get, post

from counters.schemas import CounterActionResult
from queueing.commands import Priority
from queueing.kinds import CounterKind
from queueing.lifecycle import CounterState, TicketState
from queueing.schemas import IssuedTicket, IssueRequest
from queueing.views import CounterView, TicketView
from tests.perf.common import ROOT, log_tail, python
from tests.support import free_port, stop_group

__all__ = ["BareServer", "bare_servers"]


class _Complete(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """As ``counters.schemas.OnTicket``: the ticket the clerk completes."""

    ticket: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


_ITEMS = (
    "BD01",
    "BD02",
    "BD03",
    "GJ01",
    "GJ02",
    "HZ01",
    "HZ02",
    "HZ03",
    "QY01",
    "QY02",
    "QY03",
    "QY04",
    "SB01",
    "SB02",
    "SB03",
    "SB04",
    "SW01",
    "SW02",
    "SW03",
)
_COUNTER_NAME = "1号 无差别综合窗口"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _ticket(item: str, state: TicketState, counter: int | None = None, **more: object) -> TicketView:
    """A ticket view filled as a real one is (our own wire type: the same shape and size)."""
    now = _now()
    return TicketView(
        id=secrets.token_urlsafe(12), number="A001", item=item, item_name="企业设立登记",
        item_name_en="Company registration", group="A", priority=Priority.WALK_IN, state=state,
        people_ahead=0 if counter is None else None, estimated_wait_minutes=0 if counter is None else None,
        issued_at=now, counter=counter, counter_name=_COUNTER_NAME if counter is not None else None,
        called_at=now if counter is not None else None, counters=(1,) if counter is None else (), **more,
    )  # type: ignore[arg-type]  # fmt: skip


@get("/api/halls", sync_to_thread=False)
def halls() -> list[str]:
    return []


@post("/api/halls/{hall:str}/tickets", sync_to_thread=False)
def issue(hall: str, data: IssueRequest) -> IssuedTicket:
    view = _ticket(data.item, TicketState.WAITING)
    return IssuedTicket(**msgspec.structs.asdict(view), rating_key=secrets.token_urlsafe(12))


@post("/api/halls/{hall:str}/counters/{number:int}/call-next", status_code=200, sync_to_thread=False)
def call_next(hall: str, number: int) -> TicketView:
    return _ticket("QY01", TicketState.CALLED, number)


@post("/api/halls/{hall:str}/counters/{number:int}/complete", status_code=200, sync_to_thread=False)
def complete(hall: str, number: int, data: _Complete) -> CounterActionResult:
    ticket = msgspec.structs.replace(_ticket("QY01", TicketState.COMPLETED, number), id=data.ticket, ended_at=_now())
    counter = CounterView(
        number=number, name=_COUNTER_NAME, kind=CounterKind.NO_DIFFERENCE, kind_name="无差别综合窗口", domains=(),
        items=_ITEMS, profile="longest_waiting", state=CounterState.OPEN, state_since=_now(), pause_reason="",
        staff="zhangwei", staff_name="张伟", current=None, suspended=[], waiting=0,
    )  # fmt: skip
    return CounterActionResult(counter=counter, ticket=ticket)


def create_app() -> Litestar:
    return Litestar(route_handlers=[halls, issue, call_next, complete], logging_config=None, openapi_config=None)


class BareServer:
    """``python -m tests.perf.bare PORT`` in a child process of its own session."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [python(), "-m", "tests.perf.bare", str(self.port)],
                cwd=ROOT,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"the bare server exited:\n{log_tail(self.log)}")
            try:
                if httpx.get(self.url + "/api/halls", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"the bare server on {self.url} did not come up:\n{log_tail(self.log)}")

    def stop(self) -> None:
        stop_group(self.process)


@contextmanager
def bare_servers(folder: Path, count: int = 1) -> Iterator[list[BareServer]]:
    """``count`` bare servers, started (not yet ready: call ``wait_ready``, so that they can
    start while ours do), all stopped on the way out."""
    with ExitStack() as stack:
        started = []
        for index in range(count):
            server = BareServer(folder / f"bare-{index}.log")
            stack.callback(server.stop)
            server.start()
            started.append(server)
        yield started


def main(argv: list[str]) -> int:
    import uvicorn

    from config.logging import logging_config

    (port,) = argv
    uvicorn.run(
        "tests.perf.bare:create_app",
        factory=True,
        host="127.0.0.1",
        port=int(port),
        log_config=logging_config("INFO", "json"),
        access_log=False,
        timeout_graceful_shutdown=5,
        http="httptools",
        ws_per_message_deflate=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
