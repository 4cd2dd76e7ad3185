"""Fan-out of display frames to the devices connected to this process, and between processes.

Each hall runtime renders the frames of a command on its own thread, right after the
command (``DisplayPublisher.observe``), and hands them over once they are committed
(``committed``). The hub lives on the event loop:

- without Redis, it delivers the frames to this process's devices;
- with ``REDIS_URL``, it publishes them to ``hallq:display:<hall>`` and delivers what it
  receives from there, its own frames included, so every process's devices get every
  process's calls. If Redis is unreachable it still delivers locally, and devices of other
  processes catch up from a snapshot when they notice the gap.

A device's queue is bounded: a device that cannot keep up loses its backlog and gets one
fresh snapshot instead, so a stuck screen never slows the others or grows memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque

import msgspec

from displays.render import Frame, frames_for
from displays.settings import DisplayHall
from queueing.events import Recorded
from queueing.hall import HallQueue

__all__ = ["DisplayHub", "DisplayPublisher", "Subscriber"]

log = logging.getLogger("hall.displays")
_CHANNEL = "hallq:display:"
_PRESENCE = "hallq:presence:"  # a hash per hall: device -> when it was last connected (epoch)
_SOUND = "hallq:sound:"  # a hash per hall: hall screen -> what it last said of its sound


class Subscriber:
    """One connected device: the frames waiting to be sent to it."""

    LIMIT = 256  # frames; past this the device gets a snapshot instead
    SEND_TIMEOUT = 10.0  # seconds; a device that takes longer to take what is due is dropped

    def __init__(self, counter: int | None, device: str = "", since: float = 0.0) -> None:
        self.counter = counter
        self.device, self.since = device, since  # who, and when it connected (loop time)
        self.sent = 0  # the last sequence number sent to it
        self.snapshots = 0
        self.pending: deque[tuple[int, str]] = deque()
        self.wake = asyncio.Event()
        self.resync = False  # send a snapshot before anything else
        self.beat = False  # a heartbeat is due
        self.sending_since = 0.0  # loop time its sender began what is due, 0 when idle
        self.sender: asyncio.Task | None = None  # cancelled when it is stuck
        self.audio = ""  # what a hall screen says of its sound ("ok", "blocked", "failed"); "" untold

    def offer(self, frames: list[Frame]) -> None:
        for frame in frames:
            mine = self.counter is None or frame.everyone or frame.counter == self.counter
            self.pending.append((frame.seq, frame.text if mine else frame.tick))
        if len(self.pending) > self.LIMIT:
            self.pending.clear()
            self.resync = True
        self.wake.set()

    def ask_resync(self) -> None:
        self.resync = True
        self.wake.set()

    def ask_beat(self) -> None:
        self.beat = True
        self.wake.set()


class DisplayHub:
    """``heartbeat``: every so many seconds each device is sent a heartbeat, busy or quiet."""

    def __init__(self, redis_url: str = "", heartbeat: float = 15.0) -> None:
        self.redis_url, self.heartbeat = redis_url, heartbeat
        self._ticker: asyncio.Task | None = None
        self._halls: dict[str, set[Subscriber]] = {}
        self._latest: dict[str, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._redis = None
        self._listener: asyncio.Task | None = None
        self._publisher: asyncio.Task | None = None
        self._outbox: asyncio.Queue[tuple[str, list[Frame]]] = asyncio.Queue()
        self._listening = asyncio.Event()
        self._changed: dict[str, asyncio.Event] = {}  # set on every delivery, for whoever watches a hall
        self._gone: dict[str, dict[str, float]] = {}  # device -> when its last connection here ended (epoch)

    # ---------------------------------------------------------------- life

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._ticker = asyncio.create_task(self._tick(), name="display-heartbeats")
        if self.redis_url:
            import redis.asyncio as redis

            self._redis = redis.from_url(self.redis_url)
            self._listener = asyncio.create_task(self._listen(), name="display-relay-in")
            self._publisher = asyncio.create_task(self._send_out(), name="display-relay-out")
            await asyncio.wait_for(self._listening.wait(), timeout=10)

    async def stop(self) -> None:
        for task in (self._ticker, self._listener, self._publisher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._redis is not None:
            await self._redis.aclose()

    # ---------------------------------------------------------------- devices

    def subscribe(self, hall: str, counter: int | None, device: str = "") -> Subscriber:
        subscriber = Subscriber(counter, device, asyncio.get_running_loop().time())
        self._halls.setdefault(hall, set()).add(subscriber)
        return subscriber

    def unsubscribe(self, hall: str, subscriber: Subscriber) -> None:
        self._halls.get(hall, set()).discard(subscriber)
        self._gone.setdefault(hall, {})[subscriber.device] = time.time()

    def changed(self, hall: str) -> asyncio.Event:
        """Set whenever a message of ``hall`` is delivered here (from any process, with Redis)."""
        return self._changed.setdefault(hall, asyncio.Event())

    async def presence(self, hall: str) -> dict[str, float]:
        """When each device of ``hall`` was last connected (epoch seconds; now if it is), to
        this process or, with Redis, to any."""
        now = time.time()
        seen = dict(self._gone.get(hall, {}))
        seen.update({s.device: now for s in self._halls.get(hall, ())})
        for device, at in (await self._shared(_PRESENCE + hall)).items():
            seen[device] = max(seen.get(device, 0.0), float(at))
        return seen

    async def _shared(self, key: str) -> dict[str, str]:
        """A hash the processes share through Redis (nothing without Redis, or while it is away)."""
        if self._redis is None:
            return {}
        try:
            shared = await self._redis.hgetall(key)
        except Exception:
            log.warning("%s: Redis unreachable; this process's devices only", key, exc_info=True)
            return {}
        return {field.decode(): value.decode() for field, value in shared.items()}

    async def tell_sound(self, hall: str, subscriber: Subscriber, audio: str) -> None:
        """A hall screen says whether it can speak ("ok", "blocked", "failed"): kept with its
        connection and, with Redis, for the managers of every process at once."""
        subscriber.audio = audio
        if self._redis is not None:
            try:
                await self._redis.hset(_SOUND + hall, subscriber.device, audio)
            except Exception:
                log.warning("device sound: Redis unreachable", exc_info=True)

    async def sound(self, hall: str) -> dict[str, str]:
        """What each hall screen of ``hall`` last said of its sound, here or, with Redis, to any
        process (a connection here that has said something counts first)."""
        told = await self._shared(_SOUND + hall)
        told.update({s.device: s.audio for s in self._halls.get(hall, ()) if s.audio})
        return told

    async def _share_presence(self) -> None:
        """Every device connected here is seen now, for the other processes' managers."""
        for hall, subscribers in tuple(self._halls.items()):
            devices = {s.device: time.time() for s in subscribers}
            if devices:
                try:
                    await self._redis.hset(_PRESENCE + hall, mapping=devices)  # type: ignore[union-attr]
                except Exception:
                    log.warning("device presence: Redis unreachable", exc_info=True)
                    return

    def devices(self, hall: str) -> list[Subscriber]:
        return list(self._halls.get(hall, ()))

    def latest(self, hall: str) -> int:
        """The newest sequence number delivered for ``hall`` in this process."""
        return self._latest.get(hall, 0)

    async def _tick(self) -> None:
        # One clock for every device, rather than timers per device and per send: a device's
        # sender then waits on its wake-up alone, which counts when thousands are connected.
        loop = asyncio.get_running_loop()
        step = min(1.0, self.heartbeat)
        next_beat = loop.time() + self.heartbeat
        while True:
            await asyncio.sleep(step)
            now = loop.time()
            beat = now >= next_beat
            if beat:
                next_beat = max(next_beat + self.heartbeat, now)
            if beat and self._redis is not None:
                await self._share_presence()
            for hall, subscribers in tuple(self._halls.items()):
                for subscriber in tuple(subscribers):
                    if subscriber.sending_since and now - subscriber.sending_since > Subscriber.SEND_TIMEOUT:
                        log.warning("device %s dropped: stuck on a send", subscriber.device, extra={"hall": hall})
                        subscriber.sending_since = 0.0
                        if subscriber.sender is not None:
                            subscriber.sender.cancel()
                    elif beat:
                        subscriber.ask_beat()

    # ---------------------------------------------------------------- frames

    def publish_threadsafe(self, hall: str, frames: list[Frame]) -> None:
        """From a hall's thread, after the commit."""
        if self._loop is not None and frames:
            self._loop.call_soon_threadsafe(self._publish, hall, frames)

    def _publish(self, hall: str, frames: list[Frame]) -> None:
        if self._redis is None:
            self.deliver(hall, frames)
        else:
            self._outbox.put_nowait((hall, frames))

    async def _send_out(self) -> None:
        """One publisher, one message at a time: frames leave in the order they were committed."""
        while True:
            hall, frames = await self._outbox.get()
            try:
                await self._redis.publish(_CHANNEL + hall, msgspec.msgpack.encode(frames))
            except Exception:  # Redis away: this process's devices still hear it
                log.warning("display relay: Redis publish failed; delivering locally", exc_info=True)
                self.deliver(hall, frames)

    def deliver(self, hall: str, frames: list[Frame]) -> None:
        self._latest[hall] = max(self._latest.get(hall, 0), frames[-1].seq)
        for subscriber in tuple(self._halls.get(hall, ())):
            subscriber.offer(frames)
        if hall in self._changed:
            self._changed[hall].set()

    async def _listen(self) -> None:
        backoff = 0.5
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.psubscribe(_CHANNEL + "*")
                    self._listening.set()
                    backoff = 0.5
                    async for message in pubsub.listen():
                        if message.get("type") != "pmessage":
                            continue
                        hall = message["channel"].decode().removeprefix(_CHANNEL)
                        frames = [Frame(*f) for f in msgspec.msgpack.decode(message["data"])]
                        self.deliver(hall, frames)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("display relay: Redis subscription lost; retrying in %.1f s", backoff, exc_info=True)
                # Devices notice the gap from their next message or heartbeat and resync.
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 15)


class DisplayPublisher:
    """A hall runtime's observer: renders each command's frames, publishes them once committed."""

    def __init__(self, hall: DisplayHall, hub: DisplayHub) -> None:
        self.hall, self.hub = hall, hub

    def observe(self, queue: HallQueue, recorded: list[Recorded]) -> list[Frame]:
        return frames_for(queue, self.hall, recorded)

    def committed(self, observed: list[list[Frame]]) -> None:
        self.hub.publish_threadsafe(self.hall.id, [frame for batch in observed for frame in batch])
