"""What drives the boards: ``ConsoleDriver`` prints a line per update; ``TcpDriver`` sends
frames (``frame.py``) to an LED controller. A driver (``BoardDriver``: ``async show(board)``,
``async close()``) must not block: the bridge awaits ``show`` between two channel messages.
Write one for another controller."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from typing import Protocol, TextIO

from displays.client import Backoff, why
from displays.led.boards import BoardText
from displays.led.frame import encode_frame

__all__ = ["BoardDriver", "ConsoleDriver", "TcpDriver"]

log = logging.getLogger("hall.led")


class BoardDriver(Protocol):
    """What drives the boards. ``show`` must return quickly: the channel waits for it."""

    async def show(self, board: BoardText) -> None: ...

    async def close(self) -> None: ...


class ConsoleDriver:
    """One line per update on standard output: ``[3] 3号 无差别综合窗口 | A001``."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out

    async def show(self, board: BoardText) -> None:
        print(board, file=self.out or sys.stdout, flush=True)

    async def close(self) -> None:
        pass


class TcpDriver:
    """Frames to an LED controller over one TCP connection, kept open and reopened with
    backoff when it drops. ``show`` only records the board's newest frame and returns: a
    controller that is down or slow never holds up the channel. Every (re)connection sends
    every board's current frame; while disconnected only the newest frame per board waits."""

    def __init__(
        self, host: str, port: int, *, backoff: Backoff | None = None, timeout: float = 5.0, name: str = ""
    ) -> None:
        self.host, self.port = host, port
        self.name = name or f"{host}:{port}"
        self.backoff = backoff or Backoff()
        self.timeout = timeout  # to connect, and for the controller to take a frame
        self.frames: dict[int, bytes] = {}  # the newest frame of each board
        self._pending: dict[int, None] = {}  # boards whose newest frame is not yet sent (in order)
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.connections = 0
        self.sent = 0

    async def show(self, board: BoardText) -> None:
        try:
            frame = encode_frame(board.counter, board.lines)
        except ValueError as exc:
            log.warning("board %s not sent to the controller: %s", board.counter, exc)
            return
        self.frames[board.counter] = frame
        self._pending.pop(board.counter, None)
        self._pending[board.counter] = None
        self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"led-controller {self.name}")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), self.timeout)
            except (OSError, TimeoutError) as exc:
                delay = self.backoff.next()
                log.warning("LED controller %s unreachable (%s); retrying in %.1f s", self.name, why(exc), delay)
                await asyncio.sleep(delay)
                continue
            self.connections += 1
            log.info("LED controller %s connected; sending all %d boards", self.name, len(self.frames))
            try:
                await self._send_while_open(reader, writer)
            except (OSError, TimeoutError, ConnectionError) as exc:
                delay = self.backoff.next()
                log.warning("LED controller %s lost (%s); reconnecting in %.1f s", self.name, why(exc), delay)
                await asyncio.sleep(delay)
            finally:
                writer.close()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(writer.wait_closed(), 1)

    async def _send_while_open(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for number in self.frames:  # a new connection: the controller may have restarted
            self._pending.setdefault(number, None)
        eof = asyncio.create_task(_until_eof(reader))
        try:
            while True:
                if eof.done():
                    raise ConnectionError("closed by the controller")
                if not self._pending:
                    self._wake.clear()
                    woken = asyncio.create_task(self._wake.wait())
                    await asyncio.wait({woken, eof}, return_when=asyncio.FIRST_COMPLETED)
                    woken.cancel()
                    continue
                number = next(iter(self._pending))
                del self._pending[number]
                writer.write(self.frames[number])
                try:
                    await asyncio.wait_for(writer.drain(), self.timeout)
                except BaseException:
                    self._pending[number] = None  # not known to have arrived
                    raise
                self.sent += 1
                self.backoff.reset()
        finally:
            eof.cancel()


async def _until_eof(reader: asyncio.StreamReader) -> None:
    with contextlib.suppress(OSError):
        while await reader.read(4096):
            pass  # the controller has nothing to say to us; read it anyway
