"""The LED bridge: follows a hall's (or one counter's) device channel and drives physical
counter LED boards (窗口屏) through a driver.

    hall led-bridge --server http://127.0.0.1:8000 --hall demo --token TOKEN \\
                    [--counter 3] [--driver console|tcp] [--controller HOST:PORT] [--heartbeat 15]

What a board shows (``board_text``), like the browser board (``static/board.js``):

- line 1: the counter's name (``3号 无差别综合窗口``; ``3号窗口`` if the hall gives none);
- line 2: the ticket number being served (``A001``), else ``请稍候`` (open, nobody called),
  ``暂停服务`` (paused) or ``已关闭`` (closed).

The channel (``BoardState``, pure, no I/O) is followed exactly as ``static/channel.js`` does:
a snapshot sets every board; the message with the next ``seq`` is applied (a call, recall or
counter message updates that counter's board; tick, queue and announcement change no board);
an older one is ignored; a later one, a ``reset``, or a heartbeat with a newer ``seq`` asks
for a fresh snapshot (``{"type": "resync"}``); every heartbeat is answered with
``{"type": "pong"}``. The bridge (``LedBridge``) also sends a pong after a heartbeat period in
which it sent nothing, so that it stays known to a server whose heartbeat period differs from
``--heartbeat``. Nothing received for three heartbeat periods: the connection is presumed
dead and closed. Every disconnection is followed by a
reconnection with exponential backoff and jitter (0.5 s doubling to 30 s); a refused token
(HTTP 403 at the handshake) is reported and retried the same way. Each (re)connection
starts with a snapshot, which sends every board again.

Drivers (``BoardDriver``: ``async show(board)``, ``async close()``) must not block: the
bridge awaits ``show`` between two channel messages. ``ConsoleDriver`` prints a line per
update; ``TcpDriver`` sends frames to an LED controller.

The TCP controller frame
------------------------

The bridge keeps one TCP connection to the controller (``--controller HOST:PORT``) and sends
one frame per board update; the controller sends nothing back (whatever it sends is read
and discarded)::

    offset  size  field
    0       1     STX 0x02
    1       1     address: the board's counter number, 1-255
    2       2     N, the length of the text in bytes, big-endian (0-65535)
    4       N     the text in GB18030 (GB2312 text encodes identically); lines separated
                  by LF 0x0A, no trailing LF; no other control characters
    4+N     1     checksum: XOR of the address byte, the two length bytes and every text byte
    5+N     1     ETX 0x03

Counter 3 showing ``3号窗口`` / ``A001``::

    02 03 00 0C 33 BA C5 B4 B0 BF DA 0A 41 30 30 31 58 03

An empty text (N = 0) blanks the board (its counter left the hall). When the connection to
the controller opens (the first time and after every drop) the bridge sends every board's
current text; while the controller is unreachable, updates are kept per board and only the
newest is sent. ``encode_frame``, ``decode_frame`` and ``read_frame`` are the reference
implementation, for controller firmware and simulators alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Protocol, TextIO
from urllib.parse import quote

import msgspec

from displays.messages import (
    Call,
    CounterBoard,
    CounterChanged,
    Heartbeat,
    Message,
    Pong,
    Recall,
    Reset,
    Resync,
    Snapshot,
)

__all__ = [
    "ETX",
    "STX",
    "Backoff",
    "BoardDriver",
    "BoardState",
    "BoardText",
    "ConsoleDriver",
    "FrameError",
    "LedBridge",
    "Reaction",
    "TcpDriver",
    "board_text",
    "channel_url",
    "decode_frame",
    "encode_frame",
    "read_frame",
]

log = logging.getLogger("hall.led")

STX, ETX, LF = 0x02, 0x03, 0x0A
ENCODING = "gb18030"
MAX_TEXT = 0xFFFF


# ---------------------------------------------------------------- what a board shows


@dataclass(frozen=True)
class BoardText:
    """The text of one board: its counter number (the controller address) and its lines."""

    counter: int
    lines: tuple[str, ...]

    def __str__(self) -> str:
        return f"[{self.counter}] " + " | ".join(self.lines)


def board_text(board: CounterBoard) -> BoardText:
    """The two lines of a counter's board, as the browser board shows them."""
    serving = board.current is not None and board.state != "closed"
    if serving:
        second = board.current
    elif board.state == "open":
        second = "请稍候"
    else:
        second = board.state_text  # 暂停服务 / 已关闭
    return BoardText(board.number, (board.name or f"{board.number}号窗口", second))


# ---------------------------------------------------------------- the frame


class FrameError(ValueError):
    """Not a valid frame."""


def _clean(line: str) -> str:
    return "".join(" " if ord(char) < 0x20 or ord(char) == 0x7F else char for char in line)


def _checksum(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


def encode_frame(address: int, lines: list[str] | tuple[str, ...]) -> bytes:
    """One frame: STX, address, length (big-endian), GB18030 text, XOR checksum, ETX.

    Control characters inside a line become spaces (LF separates the lines); a character
    GB18030 cannot hold (a lone surrogate) becomes ``?``."""
    if not 0 <= address <= 0xFF:
        raise ValueError(f"board address {address} does not fit in one byte (0-255)")
    text = "\n".join(_clean(line) for line in lines).encode(ENCODING, errors="replace")
    if len(text) > MAX_TEXT:
        raise ValueError(f"board text of {len(text)} bytes is longer than {MAX_TEXT}")
    body = bytes([address]) + len(text).to_bytes(2, "big") + text
    return bytes([STX]) + body + bytes([_checksum(body), ETX])


def decode_frame(frame: bytes) -> tuple[int, list[str]]:
    """``(address, lines)`` of exactly one frame; ``FrameError`` if anything is wrong."""
    if len(frame) < 6:
        raise FrameError(f"a frame has at least 6 bytes, this one {len(frame)}")
    if frame[0] != STX:
        raise FrameError(f"a frame starts with STX 0x02, not 0x{frame[0]:02X}")
    length = int.from_bytes(frame[2:4], "big")
    if len(frame) != length + 6:
        raise FrameError(f"the length field says {length} text bytes, the frame holds {len(frame) - 6}")
    if frame[-1] != ETX:
        raise FrameError(f"a frame ends with ETX 0x03, not 0x{frame[-1]:02X}")
    body = frame[1 : 4 + length]
    if _checksum(body) != frame[-2]:
        raise FrameError(f"checksum 0x{frame[-2]:02X}, expected 0x{_checksum(body):02X}")
    try:
        text = body[3:].decode(ENCODING)
    except UnicodeDecodeError as exc:
        raise FrameError(f"the text is not GB18030: {exc}") from None
    return body[0], text.split("\n") if text else []


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, list[str]]:
    """The next frame from a stream (a controller's side of the connection).

    ``asyncio.IncompleteReadError`` at the end of the stream, ``FrameError`` on a bad frame."""
    head = await reader.readexactly(4)
    if head[0] != STX:
        raise FrameError(f"a frame starts with STX 0x02, not 0x{head[0]:02X}")
    rest = await reader.readexactly(int.from_bytes(head[2:4], "big") + 2)
    return decode_frame(head + rest)


# ---------------------------------------------------------------- the channel, without I/O

_message_decoder = msgspec.json.Decoder(Message)


class _Envelope(msgspec.Struct):
    type: str
    seq: int | None = None


_envelope_decoder = msgspec.json.Decoder(_Envelope)
_RESYNC = msgspec.json.encode(Resync()).decode()
_PONG = msgspec.json.encode(Pong()).decode()


@dataclass
class Reaction:
    """What one message asks for: boards to show, and replies to send to the server."""

    boards: list[BoardText] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)


class BoardState:
    """The boards of a hall (or of one counter) from the channel's messages, kept in
    sequence exactly like ``static/channel.js``."""

    def __init__(self, counter: int | None = None) -> None:
        self.counter = counter  # only this counter's board; None: every counter of the hall
        self.seq = -1
        self.resyncing = False
        self.boards: dict[int, BoardText] = {}
        self.snapshots = 0

    def connected(self) -> None:
        """A new connection: the server starts it with a snapshot; no resync is pending."""
        self.resyncing = False

    def _resync(self, reaction: Reaction) -> None:
        if not self.resyncing:
            self.resyncing = True
            reaction.replies.append(_RESYNC)

    def receive(self, raw: str | bytes) -> Reaction:
        reaction = Reaction()
        try:
            message: object = _message_decoder.decode(raw)
        except msgspec.DecodeError:
            # A message this bridge does not know (a newer server): it still takes its place
            # in the sequence, like a tick; something that is not a message at all is ignored.
            try:
                message = _envelope_decoder.decode(raw)
            except msgspec.DecodeError:
                log.warning("ignoring a message that is not one: %.200r", raw)
                return reaction
            if message.seq is None:
                return reaction
        if isinstance(message, Snapshot):
            self._snapshot(message, reaction)
            return reaction
        if isinstance(message, Heartbeat):
            reaction.replies.append(_PONG)
            if message.seq > self.seq:  # we missed the latest message
                self._resync(reaction)
            return reaction
        seq: int = message.seq  # type: ignore[attr-defined]
        if seq <= self.seq:
            return reaction  # already in the snapshot
        if seq != self.seq + 1 or isinstance(message, Reset):
            self._resync(reaction)
            return reaction
        self.seq = seq
        if isinstance(message, Call | Recall | CounterChanged):
            self._board(message.counter, reaction, always=not isinstance(message, CounterChanged))
        return reaction

    def _mine(self, number: int) -> bool:
        return self.counter is None or number == self.counter

    def _board(self, board: CounterBoard, reaction: Reaction, always: bool) -> None:
        if not self._mine(board.number):
            return
        text = board_text(board)
        if always or self.boards.get(board.number) != text:  # a call or recall is shown again
            self.boards[board.number] = text
            reaction.boards.append(text)

    def _snapshot(self, snapshot: Snapshot, reaction: Reaction) -> None:
        self.seq = snapshot.seq
        self.resyncing = False
        self.snapshots += 1
        fresh = {b.number: board_text(b) for b in snapshot.counters if self._mine(b.number)}
        gone = [BoardText(number, ()) for number in self.boards if number not in fresh]  # blanked
        self.boards = fresh
        reaction.boards.extend(gone)
        reaction.boards.extend(fresh[number] for number in sorted(fresh))  # every board, again


# ---------------------------------------------------------------- drivers


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


class Backoff:
    """Exponential backoff with jitter: ``first`` doubling up to ``cap``, each delay ±25 %."""

    def __init__(self, first: float = 0.5, cap: float = 30.0, rng: random.Random | None = None) -> None:
        self.first, self.cap = first, cap
        self.rng = rng or random.Random()
        self.base = first

    def next(self) -> float:
        delay = self.base * self.rng.uniform(0.75, 1.25)
        self.base = min(self.base * 2, self.cap)
        return min(delay, self.cap)

    def reset(self) -> None:
        self.base = self.first


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
                log.warning("LED controller %s unreachable (%s); retrying in %.1f s", self.name, _why(exc), delay)
                await asyncio.sleep(delay)
                continue
            self.connections += 1
            log.info("LED controller %s connected; sending all %d boards", self.name, len(self.frames))
            try:
                await self._send_while_open(reader, writer)
            except (OSError, TimeoutError, ConnectionError) as exc:
                delay = self.backoff.next()
                log.warning("LED controller %s lost (%s); reconnecting in %.1f s", self.name, _why(exc), delay)
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


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


# ---------------------------------------------------------------- the bridge


def websocket_base(server: str) -> str:
    """``http://host:port`` (or ``https://``, or a bare ``host:port``) → ``ws://host:port``."""
    base = server.rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base.removeprefix("https://")
    if base.startswith("http://"):
        return "ws://" + base.removeprefix("http://")
    return base if base.startswith(("ws://", "wss://")) else "ws://" + base


def channel_url(server: str, hall: str, counter: int | None, token: str) -> str:
    """``http://host:port`` (or ``https://``) and a hall → its device channel's websocket URL."""
    base = websocket_base(server)
    path = f"/ws/halls/{quote(hall, safe='')}" + (f"/counters/{counter}" if counter is not None else "")
    return f"{base}{path}?token={quote(token, safe='')}"


class _Silent(Exception):
    pass


class LedBridge:
    """Follows one device channel and shows its boards through a driver, forever."""

    def __init__(
        self,
        server: str,
        hall: str,
        token: str,
        driver: BoardDriver,
        *,
        counter: int | None = None,
        heartbeat: float = 15.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.url = channel_url(server, hall, counter, token)
        self.where = f"{server.rstrip('/')} hall {hall}" + (f" counter {counter}" if counter is not None else "")
        self.hall, self.counter = hall, counter
        self.driver = driver
        self.heartbeat = heartbeat
        self.backoff = backoff or Backoff()
        self.state = BoardState(counter)
        self.connections = 0

    async def run(self) -> None:
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

        while True:
            try:
                await self._follow()
                problem = "the server closed the channel"
            except InvalidURI as exc:
                problem = f"bad server address: {exc}"
            except InvalidStatus as exc:
                status = exc.response.status_code
                if status == 403:
                    problem = (
                        f"the server refused the channel (HTTP 403): the token is not a device token of hall "
                        f"{self.hall!r}, or the hall or counter does not exist; check --token, --hall and --counter"
                    )
                else:
                    problem = f"the server answered HTTP {status} instead of opening the channel"
            except _Silent:
                problem = f"nothing heard for {3 * self.heartbeat:g} s (three heartbeats): the connection is dead"
            except ConnectionClosed as exc:
                problem = f"the connection closed ({_why(exc)})"
            except (OSError, TimeoutError, InvalidHandshake, EOFError) as exc:
                problem = f"cannot reach the server ({_why(exc)})"
            except Exception as exc:  # a bridge on a kiosk PC keeps going whatever happens
                log.exception("%s: unexpected error", self.where)
                problem = f"unexpected error ({_why(exc)})"
            delay = self.backoff.next()
            log.warning("%s: %s; reconnecting in %.1f s", self.where, problem, delay)
            await asyncio.sleep(delay)

    async def _follow(self) -> None:
        from websockets.asyncio.client import connect

        async with connect(
            self.url, open_timeout=10, close_timeout=2, max_size=16 * 2**20, user_agent_header="hall-led-bridge"
        ) as ws:
            self.connections += 1
            self.state.connected()
            clock = time.monotonic
            heard = said = clock()
            snapshots = self.state.snapshots
            while True:
                now = clock()
                dead, keepalive = heard + 3 * self.heartbeat, said + self.heartbeat
                try:  # never a zero timeout: what has arrived is read before the connection is judged dead
                    raw = await asyncio.wait_for(ws.recv(), max(min(dead, keepalive) - now, 0.05))
                except TimeoutError:
                    now = clock()
                    if now >= dead:
                        raise _Silent() from None
                    if now >= keepalive:  # the server drops a device it has not heard from for long
                        await ws.send(_PONG)
                        said = now
                    continue
                heard = clock()
                reaction = self.state.receive(raw)
                for reply in reaction.replies:
                    await ws.send(reply)
                    said = clock()
                if snapshots is not None and self.state.snapshots > snapshots:  # this connection's first
                    snapshots = None
                    self.backoff.reset()
                    log.info("%s: connected (seq %d, %d boards)", self.where, self.state.seq, len(self.state.boards))
                for board in reaction.boards:
                    await self.driver.show(board)
