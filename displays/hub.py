"""Fan-out of display frames to the devices connected to this process, and between processes.

Each hall runtime renders the frames of a command on its own thread, right after the
command (``DisplayPublisher.observe``), and hands them over once they are committed
(``committed``). The hub lives on the event loop:

- without Redis, it delivers the frames to this process's devices;
- with ``REDIS_URL``, it publishes them to ``hallq:displays`` (what waits, several halls' in one
  message) and delivers what it receives from there, its own frames included, so every
  process's devices get every process's calls, in the order of their sequence numbers (a frame
  that comes ahead of one still missing waits for it a moment). A process of an earlier version
  published each hall's to ``hallq:display:<hall>``: still heard, while both run in an upgrade
  (the earlier one does not hear the new one's: its devices resync at the gaps).

While Redis is away (refused, or silent past its timeouts) the hub delivers its own frames
itself, says so once in the log, and retries every second at most (0.2 s doubling to 1 s),
so the relay is back within about a second of Redis. Meanwhile the other processes' calls
do not reach this process's devices: every heartbeat carries the newest sequence number of
the hall's record (read from the database once a heartbeat per hall, not per device) and
says that the relay is away, so a device knows it may be behind, shows it, and resyncs.

A device's queue is bounded: a device that cannot keep up loses its backlog and gets one
fresh snapshot instead, so a stuck screen never slows the others or grows memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable

import msgspec

from displays.render import Frame, frames_for
from displays.settings import DisplayHall
from queueing.events import Recorded
from queueing.hall import HallQueue

__all__ = ["DisplayHub", "DisplayPublisher", "Subscriber"]

log = logging.getLogger("hall.displays")
_CHANNEL = "hallq:display:"
# What the outbox holds when the publisher gets to it (the halls of a group commit, mostly) goes
# as one message, [[hall, frames], ...] in commit order: with many halls a process, the relay's
# cost is per message far more than per byte, for the publisher and every process listening.
# Not under ``hallq:display:*``: a process of an earlier version, which reads every message there
# as one hall's frames, does not hear these (its devices resync at the gaps) rather than choke.
_BATCH = "hallq:displays"
_PRESENCE = "hallq:presence:"  # a hash per hall: device -> when it was last connected (epoch)
_SOUND = "hallq:sound:"  # a hash per hall: hall screen -> what it last said of its sound
_TIMEOUT = 1.0  # seconds: a Redis that does not answer within this is away
_RETRY_FIRST, _RETRY_MOST = 0.2, 1.0  # seconds between attempts to reach Redis again
_GRACE = 0.2  # seconds between reading the record and the heartbeats: frames committed before are delivered
# Two processes that write one hall publish its frames each from its own loop: the later commit's
# frame may reach Redis first. One that comes ahead of a frame still missing waits this long for
# it, so the devices see the calls in order rather than a gap (a resync, the calls in between not
# announced); past it, the frames go on as they are and the devices resync.
_REORDER_SECONDS = 0.15  # within _GRACE: a heartbeat never tells of a frame still held here


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
        self._presence: asyncio.Task | None = None  # the devices' presence being shared through Redis
        self._halls: dict[str, set[Subscriber]] = {}
        self._latest: dict[str, int] = {}
        self._heads: dict[str, Callable[[], Awaitable[int]]] = {}  # hall -> reads its record's newest seq
        self._recorded: dict[str, int] = {}  # hall -> its record's newest seq, as last read
        self._away_since: float | None = None  # loop time Redis went away; None while the relay works
        self._loop: asyncio.AbstractEventLoop | None = None
        self._redis = None
        self._listener: asyncio.Task | None = None
        self._publisher: asyncio.Task | None = None
        self._outbox: asyncio.Queue[tuple[str, list[Frame]]] = asyncio.Queue()
        self._listening = asyncio.Event()
        self._changed: dict[str, asyncio.Event] = {}  # set on every delivery, for whoever watches a hall
        self._expected: dict[str, int] = {}  # hall -> the seq of its next relayed frame, once one came
        self._held: dict[str, list[Frame]] = {}  # hall -> relayed frames that came ahead of a missing one
        self._waiting: dict[str, asyncio.TimerHandle] = {}  # hall -> when to stop waiting for it
        self._gone: dict[str, dict[str, float]] = {}  # device -> when its last connection here ended (epoch)

    # ---------------------------------------------------------------- life

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._ticker = asyncio.create_task(self._tick(), name="display-heartbeats")
        if self.redis_url:
            import redis.asyncio as redis

            # Timeouts, so that a Redis that stalls (rather than refuses) cannot hang the hub.
            self._redis = redis.from_url(
                self.redis_url, socket_timeout=_TIMEOUT, socket_connect_timeout=_TIMEOUT, retry_on_timeout=False
            )
            self._listener = asyncio.create_task(self._listen(), name="display-relay-in")
            self._publisher = asyncio.create_task(self._send_out(), name="display-relay-out")
            await asyncio.wait_for(self._listening.wait(), timeout=10)

    async def stop(self) -> None:
        for waiting in self._waiting.values():
            waiting.cancel()
        for task in (self._ticker, self._presence, self._listener, self._publisher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._redis is not None:
            await self._redis.aclose()

    # ---------------------------------------------------------------- devices

    def subscribe(
        self, hall: str, counter: int | None, device: str = "", head: Callable[[], Awaitable[int]] | None = None
    ) -> Subscriber:
        """``head`` reads the newest sequence number of the hall's record, for the heartbeats."""
        subscriber = Subscriber(counter, device, asyncio.get_running_loop().time())
        self._halls.setdefault(hall, set()).add(subscriber)
        if head is not None:
            self._heads[hall] = head
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
        if self._redis is None or not self.relayed:
            return {}
        try:
            shared = await self._redis.hgetall(key)
        except Exception:
            return {}  # the relay says once that Redis is away
        return {field.decode(): value.decode() for field, value in shared.items()}

    async def tell_sound(self, hall: str, subscriber: Subscriber, audio: str) -> None:
        """A hall screen says whether it can speak ("ok", "blocked", "failed"): kept with its
        connection and, with Redis, for the managers of every process at once."""
        subscriber.audio = audio
        if self._redis is not None and self.relayed:
            with contextlib.suppress(Exception):  # the relay says once that Redis is away
                await self._redis.hset(_SOUND + hall, subscriber.device, audio)

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
                    return  # the relay says once that Redis is away

    def devices(self, hall: str) -> list[Subscriber]:
        return list(self._halls.get(hall, ()))

    def latest(self, hall: str) -> int:
        """The newest sequence number of ``hall`` known here: delivered in this process, or in
        the hall's record as read for the last heartbeat (commits of other processes too)."""
        return max(self._latest.get(hall, 0), self._recorded.get(hall, 0))

    @property
    def relayed(self) -> bool:
        """Whether this process hears the other processes' frames now (always, without Redis)."""
        return self._away_since is None

    async def _read_heads(self) -> None:
        """The newest seq of each hall with devices here: one read per hall, whatever the devices."""
        halls = [hall for hall, subscribers in self._halls.items() if subscribers and hall in self._heads]
        reads = asyncio.gather(*(self._heads[hall]() for hall in halls), return_exceptions=True)
        try:  # a database that hangs holds up no heartbeat beyond its period
            read = await asyncio.wait_for(reads, timeout=self.heartbeat)
        except TimeoutError:
            read = [None] * len(halls)
        for hall, seq in zip(halls, read, strict=True):
            if isinstance(seq, int):
                self._recorded[hall] = max(self._recorded.get(hall, 0), seq)
            # else the database is away: the heartbeat says what this process delivered
        await asyncio.sleep(_GRACE)

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
            if beat:
                await self._read_heads()
            for hall, subscribers in tuple(self._halls.items()):
                for subscriber in tuple(subscribers):
                    if subscriber.sending_since and now - subscriber.sending_since > Subscriber.SEND_TIMEOUT:
                        log.warning("device %s dropped: stuck on a send", subscriber.device, extra={"hall": hall})
                        subscriber.sending_since = 0.0
                        if subscriber.sender is not None:
                            subscriber.sender.cancel()
                    elif beat:
                        subscriber.ask_beat()
            # After the beats, and not awaited: a Redis that stalls (up to a timeout a call) must
            # not hold up the heartbeats, or the devices, with nothing to answer, look gone.
            presence = self._presence
            if beat and self._redis is not None and self.relayed and (presence is None or presence.done()):
                self._presence = asyncio.create_task(self._share_presence(), name="display-presence")

    # ---------------------------------------------------------------- frames

    def publish_threadsafe(self, hall: str, frames: list[Frame]) -> None:
        """From a hall's thread, after the commit."""
        if self._loop is not None and frames:
            self._loop.call_soon_threadsafe(self._publish, hall, frames)

    def _publish(self, hall: str, frames: list[Frame]) -> None:
        # Handed over before the commit's answers, delivered after them: a clerk's answer does
        # not wait behind a fan-out to thousands of screens. With Redis, the publisher's turn
        # comes first, so this commit's frames are on their way before any answer is out.
        if self._redis is None:
            self._loop.call_soon(self.deliver, hall, frames)  # type: ignore[union-attr]
        else:
            self._outbox.put_nowait((hall, frames))

    async def _send_out(self) -> None:
        """One publisher, one message at a time (what waits in the outbox, together): frames
        leave in the order they were committed. While Redis is away this process's devices hear
        its frames from here, at once."""
        while True:
            batch = [await self._outbox.get()]
            while not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            if self.relayed:
                try:
                    await self._redis.publish(_BATCH, msgspec.msgpack.encode(batch))
                    continue
                except Exception as exc:  # away since: the next frames need not wait for a timeout
                    self._away(exc)
            for hall, frames in batch:
                self.deliver(hall, frames)

    def deliver(self, hall: str, frames: list[Frame]) -> None:
        self._latest[hall] = max(self._latest.get(hall, 0), frames[-1].seq)
        for subscriber in tuple(self._halls.get(hall, ())):
            subscriber.offer(frames)
        if hall in self._changed:
            self._changed[hall].set()

    async def _listen(self) -> None:
        delay = _RETRY_FIRST
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._away(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RETRY_MOST)
            else:
                delay = _RETRY_FIRST

    async def _follow(self) -> None:
        """Deliver what Redis relays until it is gone: closed, silent for three probes, or
        failing the publisher."""
        loop = asyncio.get_running_loop()
        async with self._redis.pubsub() as pubsub:
            await pubsub.subscribe(_BATCH)
            await pubsub.psubscribe(_CHANNEL + "*")  # one hall's frames, from a process of an earlier version
            heard, subscribed = loop.time(), False
            # Until Redis confirms the subscription, or while the relay works: the publisher may
            # find Redis away first, and then this subscribes again.
            while not subscribed or self.relayed:
                message = await pubsub.get_message(timeout=_TIMEOUT)
                if message is None:  # quiet: make sure Redis still answers (a stall raises no error)
                    if loop.time() - heard > 3 * _TIMEOUT:
                        raise TimeoutError(f"Redis silent for {3 * _TIMEOUT:g} s")
                    if subscribed:
                        await pubsub.ping()
                    continue
                heard = loop.time()
                if not subscribed:  # the first answer is the subscription's: the relay works
                    subscribed = True
                    self._back()
                kind = message.get("type")
                if kind == "message":
                    for hall, frames in msgspec.msgpack.decode(message["data"]):
                        self._relayed(hall, [Frame(*f) for f in frames])
                elif kind == "pmessage":  # one hall's frames, from a process of an earlier version
                    hall = message["channel"].decode().removeprefix(_CHANNEL)
                    self._relayed(hall, [Frame(*f) for f in msgspec.msgpack.decode(message["data"])])

    def _relayed(self, hall: str, frames: list[Frame]) -> None:
        """Frames from Redis, delivered in the order of their sequence numbers (see ``_REORDER_SECONDS``)."""
        expected = self._expected.get(hall)
        if not frames:
            return
        if expected is not None:
            if frames[0].seq < expected:
                frames = [frame for frame in frames if frame.seq >= expected]  # the devices have these or moved on
                if not frames:
                    return
            if frames[0].seq > expected:
                held = self._held.setdefault(hall, [])
                held += frames
                held.sort(key=lambda frame: frame.seq)
                self._wait_for(hall)
                return
        self._deliver_in_order(hall, frames)

    def _deliver_in_order(self, hall: str, frames: list[Frame]) -> None:
        self.deliver(hall, frames)
        expected = frames[-1].seq + 1
        held = self._held.get(hall)
        if held is None:  # nothing waits for these (the usual case): no wait to end either
            self._expected[hall] = expected
            return
        while True:  # what waited for these goes on after them, as far as it runs without a gap
            held[:] = [frame for frame in held if frame.seq >= expected]
            if not held or held[0].seq != expected:
                break
            run = _first_run(held)
            self.deliver(hall, run)
            expected = run[-1].seq + 1
        self._expected[hall] = expected
        waiting = self._waiting.pop(hall, None)
        if waiting is not None:
            waiting.cancel()
        if held:
            self._wait_for(hall)  # the next gap: its own wait
        else:
            self._held.pop(hall, None)

    def _wait_for(self, hall: str) -> None:
        if hall not in self._waiting:
            self._waiting[hall] = self._loop.call_later(_REORDER_SECONDS, self._stop_waiting, hall)  # type: ignore[union-attr]

    def _stop_waiting(self, hall: str) -> None:
        """The missing frame did not come: what follows the gap goes on (the devices resync at
        it); a later gap gets its own wait."""
        self._waiting.pop(hall, None)
        held = self._held.get(hall)
        if held:
            run = _first_run(held)
            self._deliver_in_order(hall, run)

    def _away(self, exc: Exception) -> None:
        if self._away_since is None:
            self._away_since = asyncio.get_running_loop().time()
            log.warning(
                "display relay: Redis unreachable (%s: %s); devices here hear this process's calls only, "
                "and are told they may be behind until it is back",
                type(exc).__name__,
                exc,
            )

    def _back(self) -> None:
        # What was relayed before Redis went away says nothing of what comes now: what was held
        # goes on at once (the devices resync at its gaps), and the order starts afresh.
        for waiting in self._waiting.values():
            waiting.cancel()
        for hall, held in self._held.items():
            while held:
                self.deliver(hall, _first_run(held))
        self._expected.clear()
        self._held.clear()
        self._waiting.clear()
        if self._away_since is not None:
            away = asyncio.get_running_loop().time() - self._away_since
            self._away_since = None
            log.warning("display relay: Redis is back after %.1f s; devices that missed calls resync", away)
        self._listening.set()


def _first_run(held: list[Frame]) -> list[Frame]:
    """Take from ``held`` (in order) its first frames that follow each other without a gap."""
    n = 1
    while n < len(held) and held[n].seq == held[n - 1].seq + 1:
        n += 1
    run = held[:n]
    del held[:n]
    return run


class DisplayPublisher:
    """A hall runtime's observer: renders each command's frames, publishes them once committed."""

    def __init__(self, hall: DisplayHall, hub: DisplayHub) -> None:
        self.hall, self.hub = hall, hub

    def observe(self, queue: HallQueue, recorded: list[Recorded]) -> list[Frame]:
        return frames_for(queue, self.hall, recorded)

    def committed(self, observed: list[list[Frame]]) -> None:
        self.hub.publish_threadsafe(self.hall.id, [frame for batch in observed for frame in batch])
