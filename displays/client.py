"""The client side of a device channel, shared by the device agents (``hall led-bridge``,
``hall print-agent``) that run on the PCs wired to LED boards or printers.

``DeviceClient.run(session)`` connects and, whenever the connection is lost or cannot be
made, reconnects through the ``websockets`` client's own reconnection (``async for ws in
connect(…)``) with our delays (``Backoff``: 0.5 s doubling to 30 s, ±25 % jitter) and a
refusal it retries too (a token the server refuses today may be added to the hall file
tomorrow). ``session(channel)`` follows one connection; ``channel.messages()`` yields what
the server sends and gives up on a server silent for three heartbeats; a quiet agent says
it is alive (``keepalive``) so the server keeps it. Every problem is said once, in words an
operator can act on (``refused`` explains an HTTP 403).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

__all__ = ["Backoff", "Channel", "DeviceClient", "Silent", "channel_url", "websocket_base"]

log = logging.getLogger("hall.device")


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

    def delays(self) -> Generator[float]:
        """The delays ``websockets`` waits between attempts to connect: they go on growing until
        a connection works (``reset``), however many times it asks."""
        while True:
            yield self.next()


def websocket_base(server: str) -> str:
    """``http://host:port`` (or ``https://``, or a bare ``host:port``) → ``ws://host:port``."""
    base = server.rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base.removeprefix("https://")
    if base.startswith("http://"):
        return "ws://" + base.removeprefix("http://")
    return base if base.startswith(("ws://", "wss://")) else "ws://" + base


def channel_url(server: str, path: str, token: str) -> str:
    """The websocket URL of a channel ``path`` (``/ws/halls/demo``) of ``server``, with the token."""
    return f"{websocket_base(server)}{path}?token={quote(token, safe='')}"


class Silent(Exception):
    """Nothing heard from the server for three heartbeats: the connection is dead."""


def why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class Channel:
    """One connection to the server, as a session uses it."""

    def __init__(self, ws: ClientConnection, heartbeat: float, keepalive: str | None, backoff: Backoff) -> None:
        self.ws = ws
        self.heartbeat = heartbeat  # the server's period; a session may learn it from the server
        self.keepalive = keepalive
        self.heard = self.said = time.monotonic()
        self._backoff = backoff

    def working(self) -> None:
        """The session got what a working connection gives (a snapshot, a hello): the next
        problem starts the delays from the shortest again."""
        self._backoff.reset()

    async def send(self, text: str) -> None:
        await self.ws.send(text)
        self.said = time.monotonic()

    async def messages(self) -> AsyncIterator[str | bytes]:
        """What the server sends, until it closes; ``Silent`` after three quiet heartbeats."""
        while True:
            now = time.monotonic()
            dead = self.heard + 3 * self.heartbeat
            wake = min(dead, self.said + self.heartbeat) if self.keepalive is not None else dead
            try:  # never a zero timeout: what has arrived is read before the connection is judged dead
                raw = await asyncio.wait_for(self.ws.recv(), max(wake - now, 0.05))
            except TimeoutError:
                now = time.monotonic()
                if now >= dead:
                    raise Silent() from None
                if self.keepalive is not None and now >= self.said + self.heartbeat:
                    await self.send(self.keepalive)  # the server drops a device it has not heard from
                continue
            self.heard = time.monotonic()
            yield raw


class DeviceClient:
    """Follows one channel forever: ``session`` for each connection, reconnecting in between."""

    def __init__(
        self,
        url: str,
        where: str,
        *,
        heartbeat: float = 15.0,
        backoff: Backoff | None = None,
        keepalive: str | None = None,
        refused: str = "",
        calls_itself: str = "channel",
        user_agent: str = "hall-device",
        max_size: int = 16 * 2**20,
    ) -> None:
        self.url, self.where = url, where
        self.heartbeat = heartbeat
        self.backoff = backoff or Backoff()
        self.keepalive = keepalive
        self.refused = refused  # what an HTTP 403 at the handshake means for this agent
        self.calls_itself = calls_itself  # "the server refused the <channel>"
        self.user_agent, self.max_size = user_agent, max_size

    def _retry(self, exc: Exception) -> Exception | None:
        """Every failure to connect is retried (``websockets`` waits the next delay); each is said."""
        if isinstance(exc, InvalidURI):
            problem = f"bad server address: {exc}"
        elif isinstance(exc, InvalidStatus):
            status = exc.response.status_code
            problem = (
                f"the server refused the {self.calls_itself} (HTTP 403): {self.refused}"
                if status == 403 and self.refused
                else f"the server answered HTTP {status} instead of opening the channel"
            )
        elif isinstance(exc, OSError | TimeoutError | InvalidHandshake | EOFError):
            problem = f"cannot reach the server ({why(exc)})"
        else:  # an agent on a kiosk PC keeps going whatever happens
            log.error("%s: unexpected error while connecting", self.where, exc_info=exc)
            problem = f"unexpected error ({why(exc)})"
        log.warning("%s: %s; reconnecting", self.where, problem)
        return None

    async def run(self, session: Callable[[Channel], Awaitable[None]]) -> None:
        async for ws in connect(
            self.url,
            open_timeout=10,
            close_timeout=2,
            max_size=self.max_size,
            user_agent_header=self.user_agent,
            process_exception=self._retry,
            reconnect_delays=self.backoff.delays,
            logger=_quiet,
        ):
            try:
                await session(Channel(ws, self.heartbeat, self.keepalive, self.backoff))
                problem = "the server closed the channel"
            except Silent:
                problem = f"nothing heard for {3 * self.heartbeat:g} s (three heartbeats): the connection is dead"
            except ConnectionClosed as exc:
                problem = f"the connection closed ({exc.rcvd.reason if exc.rcvd and exc.rcvd.reason else why(exc)})"
            except (OSError, TimeoutError) as exc:
                problem = f"the connection failed ({why(exc)})"
            except Exception as exc:  # an agent keeps going whatever happens
                log.exception("%s: unexpected error", self.where)
                problem = f"unexpected error ({why(exc)})"
            finally:
                await ws.close()
            log.warning("%s: %s; reconnecting", self.where, problem)
            await asyncio.sleep(self.backoff.next())  # a server that accepts and drops at once is not hammered


# websockets says "connect failed; reconnecting in …" itself; our own words are above.
_quiet = logging.getLogger("hall.device.websockets")
_quiet.setLevel(logging.WARNING)
