"""PDF tickets (电子凭条) drawn where they cannot slow the hall: a bounded queue, a process of
their own, and a small cache of slips already drawn.

reportlab draws a slip in about 50 ms of pure Python. In the server's process that time is taken
from the interpreter every request shares: 20 clients fetching PDFs pushed the kiosk's p95
issue from 8 ms to 987 ms. Here a slip is drawn in a worker process (spawned, never forked from
a server with threads; it starts with the first PDF, not with the server), so the server's
process only waits for the bytes; the worker runs at a lower priority (nice 10), so where cores
are short the hall's own work comes first. At most ``waiting`` slips are queued or being drawn; past
that the answer is 503 with Retry-After at once, nothing queued (``Busy``): a flood costs the
hall a refusal, not a growing queue.

A slip shows the people ahead and the wait, which change while the ticket waits, so the cache
is keyed by what the slip says (the whole ``Slip``), not by the ticket: the same words give the
same bytes (``render_pdf`` is deterministic), new words are drawn afresh. It keeps the
``cache`` slips last drawn (about 30 KB each). Asking for a slip already being drawn waits for
that drawing rather than queueing another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Annotated

import msgspec

from printers.slip import Slip
from queueing.errors import Unavailable

__all__ = ["Busy", "PdfSettings", "SlipRenderer"]

log = logging.getLogger("hall.printers")


# A slip takes a tenth of a second to draw, a queue of them a few seconds: one not drawn by then
# never will be (a worker hung), and its place in the queue is given back.
DRAW_SECONDS = 20.0


class PdfSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How PDF tickets are drawn (``[pdf]`` in the settings file)."""

    # Processes drawing slips; 0: in the server's own threads, unbounded and uncached, as before
    # the bound (kept to measure the difference: tests/perf/pdf.py; never for a hall).
    workers: Annotated[int, msgspec.Meta(ge=0, le=8)] = 1
    waiting: Annotated[int, msgspec.Meta(ge=1)] = 16  # slips queued or being drawn at most (~50 ms each); past it 503
    cache: Annotated[int, msgspec.Meta(ge=0)] = 128  # slips last drawn, kept (about 30 KB each); 0: none


class Busy(Unavailable):
    """Too many PDF tickets waiting to be drawn: try again shortly (503, Retry-After)."""

    logged = False  # a flood of refusals would otherwise be a flood of log lines

    def __init__(self) -> None:
        super().__init__(
            "too many PDF tickets are being drawn just now: try again in a few seconds",
            "电子凭条生成繁忙，请稍后再试",
        )


def _lower_priority() -> None:
    """In the worker process, once: where cores are short the hall's own process is served first."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)


def _draw(slip: Slip, font: str) -> bytes:
    """In the worker process (the font is parsed there once)."""
    from printers.pdf import render_pdf

    return render_pdf(slip, Path(font))


class SlipRenderer:
    """PDF tickets for the slip API: ``await render(slip, font)`` or ``Busy``."""

    def __init__(self, settings: PdfSettings | None = None) -> None:
        self.settings = settings or PdfSettings()
        self._cache: OrderedDict[tuple[Slip, str], bytes] = OrderedDict()
        self._drawing: dict[tuple[Slip, str], asyncio.Future[bytes]] = {}
        self._pool: ProcessPoolExecutor | None = None
        self.drawn = 0  # slips sent to be drawn (not found in the cache or already being drawn)
        self.draw_seconds = DRAW_SECONDS

    @property
    def drawing(self) -> int:
        """Slips queued or being drawn now."""
        return len(self._drawing)

    @property
    def cached(self) -> int:
        return len(self._cache)

    def admit(self) -> None:
        """Refuse at once (``Busy``) when the queue is full, before any other work for the request."""
        if self.settings.workers and len(self._drawing) >= self.settings.waiting:
            raise Busy

    async def render(self, slip: Slip, font: Path) -> bytes:
        key = (slip, str(font))
        if (pdf := self._cache.get(key)) is not None:
            self._cache.move_to_end(key)
            return pdf
        future = self._drawing.get(key)
        if future is None:
            self.admit()
            future = self._start(key)
        try:
            # shield: a client that goes away does not cancel a drawing others may be waiting for
            return await asyncio.wait_for(asyncio.shield(future), self.draw_seconds)
        except BrokenProcessPool:  # the worker died while drawing it: nothing lost but this answer
            raise Busy from None
        except TimeoutError:  # a worker that hangs would hold every place in the queue for ever
            self._kill_worker()
            raise Busy from None

    def _start(self, key: tuple[Slip, str]) -> asyncio.Future[bytes]:
        loop = asyncio.get_running_loop()
        slip, font = key
        self.drawn += 1
        if not self.settings.workers:  # the old way: a thread of the server, nothing bounded
            from printers.pdf import render_pdf

            return asyncio.ensure_future(asyncio.to_thread(render_pdf, slip, Path(font)))
        pool = self._executor()
        try:
            future = loop.run_in_executor(pool, _draw, slip, font)
        except BrokenProcessPool:  # the worker died (killed, out of memory) since the last one
            self._forget(pool)
            pool = self._executor()
            future = loop.run_in_executor(pool, _draw, slip, font)
        self._drawing[key] = future
        future.add_done_callback(lambda done: self._finished(key, done, pool))
        return future

    def _finished(self, key: tuple[Slip, str], future: asyncio.Future[bytes], pool: ProcessPoolExecutor) -> None:
        self._drawing.pop(key, None)
        if future.cancelled():
            return
        if isinstance(future.exception(), BrokenProcessPool):
            self._forget(pool)
            return
        if future.exception() is None and self.settings.cache:
            self._cache[key] = future.result()
            while len(self._cache) > self.settings.cache:
                self._cache.popitem(last=False)

    def _forget(self, pool: ProcessPoolExecutor, why: str = "died") -> None:
        """A pool whose worker died (or was ended): the next slip starts a new one."""
        if self._pool is pool:
            log.error("the PDF worker process %s; a new one starts with the next PDF ticket", why)
            pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.settings.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_lower_priority,
            )
        return self._pool

    def _kill_worker(self) -> None:
        """The worker stopped answering: ended, and the next slip starts a new one (the slips it
        held fail as if it had died)."""
        pool = self._pool
        if pool is None:
            return
        for process in list(getattr(pool, "_processes", {}).values()):  # no public way before 3.14
            with contextlib.suppress(OSError):
                process.kill()
        self._forget(pool, f"did not draw a slip in {self.draw_seconds:g} s and was ended")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
