"""The live view, pushed to the managers' pages of this process (``/ws/halls/{hall}/manage``).

One task per hall with managers watching: it wakes when a message of the hall is delivered
here (from any process, with Redis: the hub's ``changed``) or every few seconds (waits grow
with nothing happening), reads the live state through the hall's runtime (caught up with the
record, never re-reading it), at most twice a second, and hands the view to every watching
page. What lies outside the core is looked at less often and added: printers (their last
fault), devices (screens, boards, pads not connected), bad-rating cases past their deadline,
today's appointments.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Callable

import msgspec

from appointments.schemas import SlotToday
from appointments.service import AppointmentService
from config.database import log_background_failure
from counters.evaluation import EvaluationService
from counters.manage.live import LiveAlert, LiveView, live_view
from counters.manage.remedy import Remedies
from counters.settings import CounterHall
from displays.hub import DisplayHub
from printers.schemas import PrinterView
from printers.service import PrintService
from queueing.service import HallRegistry

__all__ = ["DeviceState", "LiveFeed", "LiveMessage"]

log = logging.getLogger("hall.manage")
_encoder = msgspec.json.Encoder()
_WATCHED_DEVICES = {"display": "综合屏", "counter_board": "窗口屏", "evaluation_pad": "评价器"}
# why a hall screen is silent, as it says (displays.messages.DeviceStatus)
_AUDIO_ZH = {"blocked": "（浏览器需先点击屏幕；请按说明以自动播放方式启动）", "failed": "（语音文件播放失败）"}
_AUDIO_EN = {"blocked": " (the browser waits for a tap: see the README)", "failed": " (a voice file failed)"}


class DeviceState(msgspec.Struct, kw_only=True):
    name: str
    kind: str
    connected: bool
    last_seen: dt.datetime | None
    audio: str = ""  # a hall screen's sound, as it says: "ok", "blocked", "failed"; "" untold


class LiveMessage(LiveView, kw_only=True, tag="live"):
    """The live view and what the feed adds from outside the core."""

    printers: list[PrinterView] = msgspec.field(default_factory=list)
    devices: list[DeviceState] = msgspec.field(default_factory=list)
    appointments: list[SlotToday] = msgspec.field(default_factory=list)
    overdue_cases: int = 0


class _Outside(msgspec.Struct):
    printers: list[PrinterView] = msgspec.field(default_factory=list)
    devices: list[DeviceState] = msgspec.field(default_factory=list)
    appointments: list[SlotToday] = msgspec.field(default_factory=list)
    overdue_cases: int = 0
    alerts: list[LiveAlert] = msgspec.field(default_factory=list)


class _HallFeed:
    def __init__(self) -> None:
        self.text = ""
        self.version = 0
        self.followers = 0
        self.fresh = asyncio.Condition()
        self.task: asyncio.Task | None = None


class LiveFeed:
    """``every``: the least time between two views of a hall; ``quiet``: a view at least this
    often; ``outside``: how often printers, devices, cases and appointments are looked at."""

    def __init__(
        self,
        registry: HallRegistry,
        halls: list[CounterHall],
        hub: DisplayHub,
        printing: PrintService,
        evaluation: EvaluationService,
        appointments: AppointmentService,
        clock: Callable[[], dt.datetime],
        *,
        every: float = 0.5,
        quiet: float = 5.0,
        outside: float = 10.0,
        heartbeat: float = 15.0,
    ) -> None:
        self.registry, self.hub, self.clock = registry, hub, clock
        self.halls = {h.id: h for h in halls}
        self.printing, self.evaluation, self.appointments = printing, evaluation, appointments
        self.every, self.quiet, self.outside, self.heartbeat = every, quiet, outside, heartbeat
        self._feeds: dict[str, _HallFeed] = {}
        self.remedies: Remedies | None = None  # the simulated remedies of alerts, when a planner is there

    async def close(self) -> None:
        if self.remedies is not None:
            await self.remedies.close()
        for feed in self._feeds.values():
            if feed.task is not None:
                feed.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await feed.task

    async def view(self, hall: str) -> LiveMessage:
        """The live view of ``hall`` now, once (the API's ``GET``)."""
        return await self._build(hall, await self._outside(hall))

    async def follow(self, hall: str) -> AsyncIterator[str]:
        """Every new view of ``hall``, encoded, as long as the caller listens."""
        feed = self._feeds.get(hall)
        if feed is None:
            feed = self._feeds[hall] = _HallFeed()
        feed.followers += 1
        if feed.task is None or feed.task.done():
            feed.task = asyncio.create_task(self._run(hall, feed), name=f"live {hall}")
        seen = [0]  # the version this follower has had
        try:
            while True:
                async with feed.fresh:
                    await feed.fresh.wait_for(lambda: feed.version > seen[0])
                    seen[0], text = feed.version, feed.text
                yield text
        finally:
            feed.followers -= 1
            if feed.followers == 0 and feed.task is not None:
                feed.task.cancel()
                feed.task = None

    async def _run(self, hall: str, feed: _HallFeed) -> None:
        changed = self.hub.changed(hall)
        outside = _Outside()
        looked = 0.0
        while True:
            started = time.monotonic()
            try:
                if started - looked >= self.outside:
                    outside, looked = await self._outside(hall), started
                message = await self._build(hall, outside)
            except Exception as exc:
                log_background_failure(log, "live view failed", exc, hall=hall)
            else:
                async with feed.fresh:
                    feed.text, feed.version = _encoder.encode(message).decode(), feed.version + 1
                    feed.fresh.notify_all()
            changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), self.quiet)
            await asyncio.sleep(max(0.0, started + self.every - time.monotonic()))  # at most every ``every``

    async def _build(self, hall: str, outside: _Outside) -> LiveMessage:
        part = self.halls[hall]
        names = part.staff_names()
        view = await self.registry.get(hall).read(lambda q, at: live_view(q, at, part.alerts, names))
        message = LiveMessage(
            **msgspec.structs.asdict(view),
            printers=outside.printers,
            devices=outside.devices,
            appointments=outside.appointments,
            overdue_cases=outside.overdue_cases,
        )
        message.alerts = sorted(view.alerts + outside.alerts, key=lambda a: a.severity != "critical")
        if self.remedies is not None:
            self.remedies.attach(hall, message.alerts)
        return message

    async def _outside(self, hall: str) -> _Outside:
        """Printers, devices, overdue cases and today's appointments, each on its own (one that
        cannot be read leaves the others)."""
        part = self.halls[hall]
        found = _Outside()
        try:
            found.printers = await self.printing.printers(hall)
        except Exception as exc:
            log_background_failure(log, "live view: printers unreadable", exc, hall=hall)
        for printer in found.printers:
            down = printer.state in ("offline", "paper_out", "error") or printer.agent_connected is False
            if down:
                what = {"offline": "未连接", "paper_out": "缺纸", "error": "故障"}.get(printer.state, "打印代理未连接")
                found.alerts.append(
                    LiveAlert(
                        kind="printer",
                        severity="warning",
                        about=f"printer:{printer.device}",
                        text=f"取号机{printer.device}的打印机{what}" + (f"：{printer.error}" if printer.error else ""),
                        text_en=f"the printer of {printer.device}: {printer.state} {printer.error}".strip(),
                        link="#printers",
                        since=printer.changed_at,
                    )
                )
        try:
            seen = await self.hub.presence(hall)
            sound = await self.hub.sound(hall)
        except Exception:
            seen, sound = {}, {}
        now = time.time()
        for device in part.devices:
            if device.kind not in _WATCHED_DEVICES:
                continue
            last = seen.get(device.name)
            connected = last is not None and now - last <= 3 * self.heartbeat
            at = dt.datetime.fromtimestamp(last, dt.UTC) if last else None
            audio = sound.get(device.name, "")
            found.devices.append(
                DeviceState(name=device.name, kind=device.kind, connected=connected, last_seen=at, audio=audio)
            )
            if connected and audio in ("blocked", "failed"):
                found.alerts.append(
                    LiveAlert(
                        kind="device",
                        severity="warning",
                        about=f"device:{device.name}:audio",
                        text=f"{_WATCHED_DEVICES[device.kind]}{device.name}无法播放语音" + _AUDIO_ZH[audio],
                        text_en=f"{device.kind} {device.name} cannot play the voice" + _AUDIO_EN[audio],
                        link="#devices",
                        since=None,
                    )
                )
            if not connected:
                label = _WATCHED_DEVICES[device.kind]
                found.alerts.append(
                    LiveAlert(
                        kind="device",
                        severity="warning",
                        about=f"device:{device.name}",
                        text=f"{label}{device.name}未连接" + ("（从未连接）" if at is None else ""),
                        text_en=f"{device.kind} {device.name} is not connected",
                        link="#devices",
                        since=at,
                    )
                )
        try:
            overdue = await self.evaluation.cases(hall, overdue=True)
        except Exception as exc:
            log_background_failure(log, "live view: rating cases unreadable", exc, hall=hall)
            overdue = []
        found.overdue_cases = len(overdue)
        for case in overdue:
            found.alerts.append(
                LiveAlert(
                    kind="case",
                    severity="warning",
                    about=f"case:{case['id']}",
                    text=f"差评整改已超期：{case['number']}号（{case['counter']}号窗口），期限{case['deadline']}",
                    text_en=f"a bad rating's case is past its deadline ({case['deadline']})",
                    link=f"/halls/{hall}/manage/ratings",
                )
            )
        try:
            found.appointments = await self.appointments.today_slots(hall)
        except Exception as exc:
            log_background_failure(log, "live view: appointments unreadable", exc, hall=hall)
        return found
