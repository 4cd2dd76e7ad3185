"""The device channel (websockets), the voice files and announcements.

- ``ws /ws/halls/{hall}?token=…``                    everything a hall screen shows
- ``ws /ws/halls/{hall}/counters/{counter}?token=…`` one counter's board and its pad (a pad: its own counter's only)
- ``GET /halls/{hall}/voice/call/{number}/{counter}``  the WAV of a call (请A001号到3号窗口办理);
  ``?form=brief`` / ``?form=number``: the short forms a screen says while it is behind
- ``GET /halls/{hall}/voice/announcements/{seq}``      the WAV of an announcement
- ``POST /api/halls/{hall}/announcements``             a manager's announcement to the hall

A device authenticates with a device token of its hall (or a staff token), in the query
string because browsers cannot set headers on a websocket; a bad token is refused at the
handshake (HTTP 403). On connect the device gets a snapshot, then every message in order;
``{"type": "resync"}`` gets it a fresh snapshot. The server sends a heartbeat every
``device_heartbeat_seconds``, busy or quiet, with the newest seq of the hall's record (a
device behind it resyncs) and whether this server hears the others (``relayed``), and
expects the device to answer (``{"type": "pong"}``); a device silent for three heartbeats is
disconnected. A hall screen
tells whether it can speak (``{"type": "status", "audio": "ok" | "blocked" | "failed"}``):
managers see it in the devices list.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path
from typing import Annotated

import msgspec
from litestar import Router, WebSocket, get, post, websocket
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import File

from config.audit.marks import IN_HALL_RECORD
from config.auth import Principal, manager_guard
from displays.hub import DisplayHub, Subscriber
from displays.messages import DeviceMessage, DeviceStatus, Heartbeat, Resync
from displays.render import snapshot
from displays.service import DisplayService
from displays.sessions import until_gone
from displays.settings import DisplayHall
from displays.voice import VoiceForm, announcement_texts, call_texts, form_settings
from queueing.commands import Announce
from queueing.errors import NotFound
from queueing.events import Announced
from queueing.hall import HallQueue
from queueing.params import CounterParam, RowParam
from queueing.service import HallRegistry, HallRuntime

__all__ = ["AnnouncementRequest", "router"]

_encoder = msgspec.json.Encoder()
_device_decoder = msgspec.json.Decoder(DeviceMessage)
_NUMBER = re.compile(r"^[A-Z]{1,3}\d{1,5}$")


async def _serve(
    socket: WebSocket,
    principal: Principal | None,
    displays: DisplayService,
    registry: HallRegistry,
    hall: str,
    counter: int | None,
) -> None:
    try:
        runtime = registry.get(hall)
        part = displays.hall(hall) if counter is None else displays.counter_of(hall, counter)
    except NotFound as refusal:
        await socket.close(code=4404, reason=refusal.message)
        return
    if principal is None or principal.hall != runtime.id:
        await socket.close(code=4401, reason="a device token of this hall is needed")  # before accept: HTTP 403
        return
    if principal.device_kind == "evaluation_pad" and counter != principal.counter:
        # a pad hears its own counter only: what another counter's citizens are asked is not its business
        await socket.close(code=4403, reason=f"this pad is bound to counter {principal.counter}")
        return
    hub, heartbeat = displays.hub, displays.heartbeat_seconds
    await socket.accept()
    # before the snapshot: nothing falls between; ``head``: the record's newest seq, for the heartbeats
    subscriber = hub.subscribe(runtime.id, counter, principal.name, head=lambda: runtime.read(_seq))
    tasks = [
        asyncio.create_task(_send(socket, runtime, part, hub, subscriber, counter)),
        asyncio.create_task(_receive(socket, hub, runtime.id, subscriber, heartbeat)),
    ]
    subscriber.sender = tasks[0]

    async def gone() -> None:
        hub.unsubscribe(runtime.id, subscriber)

    await until_gone(socket, tasks, gone)


async def _send(
    socket: WebSocket,
    runtime: HallRuntime,
    part: DisplayHall,
    hub: DisplayHub,
    subscriber: Subscriber,
    counter: int | None,
) -> None:
    async def send_snapshot() -> int:
        view = await runtime.read(lambda q, at: snapshot(q, part, at, counter))
        await socket.send_text(_encoder.encode(view).decode())
        subscriber.snapshots += 1
        subscriber.sent = view.seq
        return view.seq

    # No timer per send: the hub's clock drops a device stuck on a send for more than
    # ``Subscriber.SEND_TIMEOUT`` (``sending_since``); its backlog is bounded meanwhile.
    loop = asyncio.get_running_loop()
    subscriber.sending_since = loop.time()
    last = await send_snapshot()
    subscriber.sending_since = 0.0
    while True:
        await subscriber.wake.wait()
        subscriber.wake.clear()
        subscriber.sending_since = loop.time()
        if subscriber.resync:
            subscriber.resync = False
            last = await send_snapshot()
        while subscriber.pending:
            seq, text = subscriber.pending.popleft()
            if seq > last:  # what the snapshot already holds is not sent again
                await socket.send_text(text)
                last = subscriber.sent = seq
        if subscriber.beat:
            # Sent once what was queued is out, so its ``seq`` is ahead of the device's only
            # if the device missed a message.
            subscriber.beat = False
            latest = last if subscriber.pending or subscriber.resync else max(last, hub.latest(runtime.id))
            beat = Heartbeat(seq=latest, at=runtime.clock(), relayed=hub.relayed)
            await socket.send_text(_encoder.encode(beat).decode())
        subscriber.sending_since = 0.0


def _seq(queue: HallQueue, at: dt.datetime) -> int:
    return queue.seq  # read caught up with the record: its newest seq


async def _receive(socket: WebSocket, hub: DisplayHub, hall: str, subscriber: Subscriber, every: float) -> None:
    while True:
        raw = await asyncio.wait_for(socket.receive_text(), timeout=3 * every)  # silent too long: gone
        try:
            message = _device_decoder.decode(raw)
        except msgspec.DecodeError:
            continue  # not ours to understand; the device is alive all the same
        if isinstance(message, Resync):
            subscriber.ask_resync()
        elif isinstance(message, DeviceStatus) and message.audio is not None:
            await hub.tell_sound(hall, subscriber, message.audio)


@websocket("/ws/halls/{hall:str}")
async def hall_channel(
    socket: WebSocket,
    hall: FromPath[str],
    principal: NamedDependency[Principal | None],
    displays: NamedDependency[DisplayService],
    registry: NamedDependency[HallRegistry],
) -> None:
    await _serve(socket, principal, displays, registry, hall, None)


@websocket("/ws/halls/{hall:str}/counters/{counter:int}")
async def counter_channel(
    socket: WebSocket,
    hall: FromPath[str],
    counter: CounterParam,
    principal: NamedDependency[Principal | None],
    displays: NamedDependency[DisplayService],
    registry: NamedDependency[HallRegistry],
) -> None:
    await _serve(socket, principal, displays, registry, hall, counter)


def _wav(path: Path) -> File:
    # The same words always sound the same: a screen may keep them.
    return File(
        path, media_type="audio/wav", content_disposition_type="inline", headers={"Cache-Control": "max-age=86400"}
    )


@get("/halls/{hall:str}/voice/call/{number:str}/{counter:int}", include_in_schema=False)
async def call_voice(
    hall: FromPath[str],
    number: FromPath[str],
    counter: CounterParam,
    displays: NamedDependency[DisplayService],
    runtime: NamedDependency[HallRuntime],
    form: FromQuery[VoiceForm] = "full",
) -> File:
    """``form``: ``full`` (as the hall file says), ``brief`` or ``number`` (for a screen behind).
    Only a call that happened today is said: no one can have the server synthesise (and keep)
    the voice of every number at every counter."""
    part = displays.counter_of(hall, counter)
    if not _NUMBER.match(number):
        raise NotFound(f"{number!r} is not a ticket number", "号码有误")
    if not await runtime.read(lambda q, at: q.was_called(number, counter)):
        raise NotFound(
            f"{number} has not been called to counter {counter} today", f"今日{number}号未被叫到{counter}号窗口"
        )
    texts = call_texts(part.voice, number, counter, form)
    spoken = form_settings(part.voice, form)
    return _wav(await displays.synthesizer.wav(spoken, texts, short=form != "full", pack=part.voice_pack))


@get("/halls/{hall:str}/voice/announcements/{seq:int}", include_in_schema=False)
async def announcement_voice(
    hall: FromPath[str],
    seq: RowParam,
    runtime: NamedDependency[HallRuntime],
    displays: NamedDependency[DisplayService],
) -> File:
    voice = displays.hall(hall).voice
    event = await runtime.recorded_event(seq)
    texts = announcement_texts(voice, event.text, event.text_en) if isinstance(event, Announced) else {}
    if not texts:
        raise NotFound(f"no announcement {seq} in hall {hall}", "没有该广播")
    return _wav(await displays.synthesizer.wav(voice, texts))


class ConnectedDevice(msgspec.Struct, frozen=True):
    device: str
    counter: int | None  # None: the hall channel
    connected_seconds: float
    sent_seq: int  # the newest message it has been sent
    behind: int  # messages waiting to be sent to it
    snapshots: int
    # a hall screen's sound: "ok", "blocked" (the browser waits for a tap: see the README's
    # screen set-up), "failed" (a voice file would not play); "" not told (a board, a pad)
    audio: str = ""


@get(
    "/api/halls/{hall:str}/devices",
    guards=[manager_guard],
    summary="The screens and boards connected to this server now, and how far behind each is",
    tags=["displays"],
)
async def connected_devices(hall: FromPath[str], displays: NamedDependency[DisplayService]) -> list[ConnectedDevice]:
    hub = displays.hub
    displays.hall(hall)
    now = asyncio.get_running_loop().time()
    return [
        ConnectedDevice(s.device, s.counter, round(now - s.since, 1), s.sent, len(s.pending), s.snapshots, s.audio)
        for s in sorted(hub.devices(hall), key=lambda s: s.since)
    ]


class AnnouncementRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    text_en: Annotated[str, msgspec.Meta(max_length=400)] = ""


class AnnouncementResult(msgspec.Struct, frozen=True):
    seq: int
    text: str
    text_en: str


@post(
    "/api/halls/{hall:str}/announcements",
    opt=IN_HALL_RECORD,
    guards=[manager_guard],
    status_code=201,
    summary="Announce to the hall (广播): shown on the hall screens and spoken",
    tags=["displays"],
)
async def announce(
    data: JSONBody[AnnouncementRequest],
    runtime: NamedDependency[HallRuntime],
    principal: NamedDependency[Principal],
) -> AnnouncementResult:
    command = Announce(at=runtime.clock(), actor=principal.actor, text=data.text, text_en=data.text_en)
    recorded = await runtime.execute(command)
    event = recorded[-1].event
    return AnnouncementResult(seq=recorded[-1].seq, text=event.text, text_en=event.text_en)


router = Router(
    path="/",
    route_handlers=[hall_channel, counter_channel, call_voice, announcement_voice, announce, connected_devices],
)
