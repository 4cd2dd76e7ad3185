"""``LedBridge``: follows a hall's (or one counter's) device channel and shows its boards
through a driver, forever.

The channel is followed by ``BoardState`` (``boards.py``); the connection is the shared
device client's (``displays/client.py``): it reconnects by itself with backoff, gives up on
a server silent for three heartbeats, and keeps a quiet bridge known to a server whose
heartbeat period differs from ``--heartbeat``. Each (re)connection starts with a snapshot,
which sends every board again. A bridge that may be missing calls (behind the hall's record,
or its server cut off from the others while Redis is away) says so once in its log, and
once when it is up to date again.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from displays import client
from displays.client import Backoff, Channel, DeviceClient
from displays.led.boards import PONG, BoardState
from displays.led.drivers import BoardDriver

__all__ = ["LedBridge", "channel_url"]

log = logging.getLogger("hall.led")


def channel_url(server: str, hall: str, counter: int | None, token: str) -> str:
    """``http://host:port`` (or ``https://``) and a hall → its device channel's websocket URL."""
    path = f"/ws/halls/{quote(hall, safe='')}" + (f"/counters/{counter}" if counter is not None else "")
    return client.channel_url(server, path, token)


class LedBridge:
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
        self.hall, self.counter = hall, counter
        self.where = f"{server.rstrip('/')} hall {hall}" + (f" counter {counter}" if counter is not None else "")
        self.driver = driver
        self.state = BoardState(counter)
        self.stale = False  # as last logged
        self.connections = 0
        self.client = DeviceClient(
            channel_url(server, hall, counter, token),
            self.where,
            heartbeat=heartbeat,
            backoff=backoff,
            keepalive=PONG,
            refused=f"the token is not a device token of hall {hall!r}, or the hall or counter does not exist; "
            "check --token, --hall and --counter",
            user_agent="hall-led-bridge",
        )

    async def run(self) -> None:
        await self.client.run(self._follow)

    async def _follow(self, channel: Channel) -> None:
        self.connections += 1
        self.state.connected()
        snapshots: int | None = self.state.snapshots
        async for raw in channel.messages():
            reaction = self.state.receive(raw)
            for reply in reaction.replies:
                await channel.send(reply)
            if snapshots is not None and self.state.snapshots > snapshots:  # this connection's first
                snapshots = None
                channel.working()
                log.info("%s: connected (seq %d, %d boards)", self.where, self.state.seq, len(self.state.boards))
            for board in reaction.boards:
                await self.driver.show(board)
            if self.state.stale != self.stale:
                self.stale = self.state.stale
                if self.stale:
                    why = "its server does not hear the others (Redis away)" if not self.state.relayed else "behind"
                    log.warning("%s: the boards may be missing calls (%s); resyncing", self.where, why)
                else:
                    log.warning("%s: the boards are up to date again (seq %d)", self.where, self.state.seq)
