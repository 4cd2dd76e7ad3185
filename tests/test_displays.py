"""The device channel, with real ``websockets`` clients against ``hall serve`` processes.

A ``Device`` here does what a screen does: it keeps the last sequence number, answers
heartbeats, and asks for a snapshot when it sees a gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import json
import socket
import time
import wave
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import redis.asyncio as redis
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from displays.hub import DisplayHub, Subscriber
from displays.render import Frame
from displays.voice import SHORT_TAIL, _chime, compose, trimmed
from displays.voicepack import load_pack
from tests.conftest import REDIS_URL
from tests.support import DEMO_HALL, RedisServer, Server, running, tone_pack

KIOSK = {"Authorization": "Bearer demo-kiosk-token"}
SCREEN_TOKEN = "demo-screen-token"
BOARD_TOKEN = "demo-board-token"


class Device:
    """A websocket client that keeps the sequence like a screen does."""

    def __init__(self, url: str, path: str, token: str = SCREEN_TOKEN, **options) -> None:
        self.uri = url.replace("http://", "ws://") + f"{path}?token={token}"
        self.options = options
        self.seq = -1
        self.snapshot: dict = {}
        self.ws = None

    async def __aenter__(self) -> Device:
        self.ws = await websockets.connect(self.uri, **self.options)
        self.snapshot = json.loads(await asyncio.wait_for(self.ws.recv(), 5))
        assert self.snapshot["type"] == "snapshot"
        self.seq = self.snapshot["seq"]
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    async def raw(self, timeout: float = 5) -> dict:
        return json.loads(await asyncio.wait_for(self.ws.recv(), timeout))

    async def next(self, timeout: float = 5) -> dict:
        """The next message in sequence (heartbeats answered and skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            message = await self.raw(max(deadline - time.monotonic(), 0.01))
            if message["type"] == "heartbeat":
                await self.ws.send(json.dumps({"type": "pong"}))
                continue
            if message["type"] == "snapshot":
                self.snapshot, self.seq = message, message["seq"]
                return message
            assert message["seq"] == self.seq + 1, f"gap: {self.seq} then {message['seq']}"
            self.seq = message["seq"]
            return message

    async def until(self, kind: str, timeout: float = 5) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            message = await self.next(max(deadline - time.monotonic(), 0.01))
            if message["type"] == kind:
                return message


def api(server: Server) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url, timeout=10)


async def manager(client: httpx.AsyncClient) -> dict[str, str]:
    login = await client.post(
        "/api/auth/login", json={"hall": "demo", "username": "manager", "password": "demo-manager"}
    )
    return {"Authorization": "Bearer " + login.json()["token"]}


def _env(tmp_path: Path, **more: str) -> dict[str, str]:
    return {
        "HALL_DATA_DIR": str(tmp_path / "var"),
        "HALL_FILES": str(DEMO_HALL),
        "HALL_LOG_FORMAT": "text",
        "HALL_LOG_LEVEL": "WARNING",
        **more,
    }


@pytest.fixture
def server(tmp_path: Path):
    with running(_env(tmp_path), log=tmp_path / "server.log") as live:
        yield live


def test_snapshot_then_every_event_in_order(server: Server) -> None:
    async def scenario() -> None:
        async with Device(server.url, "/ws/halls/demo") as screen, api(server) as client:
            assert screen.snapshot["hall"]["name"] == "示范区政务服务中心"
            assert len(screen.snapshot["counters"]) == 14 and screen.snapshot["waiting"] == 0
            headers = await manager(client)
            for item in ("SB01", "SB02", "QY01"):
                (await client.post("/api/halls/demo/tickets", json={"item": item}, headers=KIOSK)).raise_for_status()
            await client.post("/api/halls/demo/counters/3/open", headers=headers)
            await client.post("/api/halls/demo/counters/3/call-next", headers=headers)
            await client.post("/api/halls/demo/counters/3/recall", headers=headers)
            await client.post("/api/halls/demo/counters/3/complete", headers=headers)
            kinds = [(await screen.next())["type"] for _ in range(7)]  # next() asserts the seq has no gap
            assert kinds == ["queue", "queue", "queue", "counter", "call", "recall", "counter"]

            await client.post("/api/halls/demo/counters/3/call-next", headers=headers)
            call = await screen.until("call")
            assert call["call"]["number"] == "B002" and call["call"]["counter_name"] == "3号 无差别综合窗口"
            assert call["counter"]["current"] == "B002" and call["waiting"] == 1
            assert {g["prefix"]: g["waiting"] for g in call["groups"]}["A"] == 1
            assert call["voice"]["texts"]["zh"] == "请B零零二号到3号窗口办理"
            assert call["voice"]["texts"]["en"] == "Number B zero zero two, please go to counter 3"
            wav = await client.get(call["voice"]["audio"])
            assert wav.status_code == 200 and wav.headers["content-type"] == "audio/wav" and wav.content[:4] == b"RIFF"

    asyncio.run(scenario())


def test_a_counter_channel_carries_its_counter_and_ticks_for_the_rest(server: Server) -> None:
    async def scenario() -> None:
        async with (
            Device(server.url, "/ws/halls/demo/counters/3", BOARD_TOKEN) as board3,
            Device(server.url, "/ws/halls/demo/counters/4", BOARD_TOKEN) as board4,
            api(server) as client,
        ):
            assert [c["number"] for c in board3.snapshot["counters"]] == [3]
            assert board3.snapshot["counters"][0]["state"] == "closed"
            headers = await manager(client)
            await client.post("/api/halls/demo/tickets", json={"item": "SB01"}, headers=KIOSK)
            await client.post("/api/halls/demo/counters/3/open", headers=headers)
            await client.post("/api/halls/demo/counters/3/call-next", headers=headers)
            assert [(await board3.next())["type"] for _ in range(3)] == ["tick", "counter", "call"]
            assert [(await board4.next())["type"] for _ in range(3)] == ["tick", "tick", "tick"]
            assert board3.seq == board4.seq  # one sequence, whatever the channel

    asyncio.run(scenario())


def test_a_device_that_misses_a_message_gets_a_fresh_snapshot(server: Server) -> None:
    async def scenario() -> None:
        async with Device(server.url, "/ws/halls/demo") as screen, api(server) as client:
            for item in ("SB01", "SB02", "SB03"):
                await client.post("/api/halls/demo/tickets", json={"item": item}, headers=KIOSK)
            await screen.raw()  # one message "lost": the device never applies it
            await screen.raw()
            third = await screen.raw()
            assert third["seq"] > screen.seq + 1  # the device sees the gap…
            await screen.ws.send(json.dumps({"type": "resync"}))  # …and asks, like the screens do
            fresh = await screen.raw()
            assert fresh["type"] == "snapshot" and fresh["seq"] >= third["seq"] and fresh["waiting"] == 3

    asyncio.run(scenario())


def test_heartbeats_keep_live_devices_and_drop_silent_ones(tmp_path: Path) -> None:
    async def scenario(server: Server) -> None:
        async with Device(server.url, "/ws/halls/demo") as live, Device(server.url, "/ws/halls/demo") as silent:
            beats: list[dict] = []

            async def answer() -> None:  # what a screen does: answer every heartbeat
                while True:
                    message = await live.raw(timeout=5)
                    beats.append(message)
                    await live.ws.send(json.dumps({"type": "pong"}))

            answering = asyncio.create_task(answer())
            started = time.monotonic()
            with pytest.raises(ConnectionClosed):  # never answers: closed after three quiet heartbeats
                while True:
                    await silent.raw(timeout=10)
            assert 1.4 < time.monotonic() - started < 6
            await asyncio.sleep(2.5)  # five more heartbeats: the live one is still there
            assert not answering.done(), answering
            answering.cancel()
            assert len(beats) >= 5 and all(b["type"] == "heartbeat" and b["seq"] == live.seq for b in beats)

    with running(_env(tmp_path, HALL_DEVICE_HEARTBEAT="0.5"), log=tmp_path / "server.log") as server:
        asyncio.run(scenario(server))


def test_a_busy_channel_still_keeps_its_devices(tmp_path: Path) -> None:
    """Heartbeats come every period even while messages flow: devices answer them and stay."""

    async def scenario(server: Server) -> None:
        async with Device(server.url, "/ws/halls/demo") as screen, api(server) as client:
            headers = await manager(client)
            received: list[str] = []

            async def follow() -> None:  # answers heartbeats, as the pages and the LED bridge do
                while True:
                    message = await screen.raw(timeout=5)
                    received.append(message["type"])
                    if message["type"] == "heartbeat":
                        await screen.ws.send(json.dumps({"type": "pong"}))

            following = asyncio.create_task(follow())
            for n in range(40):  # four seconds of steady traffic, eight heartbeat periods
                answer = await client.post("/api/halls/demo/announcements", json={"text": f"第{n}条"}, headers=headers)
                assert answer.status_code == 201
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)
            assert not following.done(), following  # still connected
            following.cancel()
            assert received.count("announcement") == 40 and received.count("heartbeat") >= 5

    with running(_env(tmp_path, HALL_DEVICE_HEARTBEAT="0.5"), log=tmp_path / "server.log") as server:
        asyncio.run(scenario(server))


def test_bad_tokens_are_refused_at_the_handshake(server: Server) -> None:
    async def refused(path: str, token: str) -> int:
        with pytest.raises(InvalidStatus) as error:
            async with websockets.connect(server.url.replace("http", "ws") + f"{path}?token={token}"):
                pass
        return error.value.response.status_code

    async def scenario() -> None:
        assert await refused("/ws/halls/demo", "not-a-token") == 403
        assert await refused("/ws/halls/demo", "") == 403
        assert await refused("/ws/halls/nowhere", SCREEN_TOKEN) == 403
        assert await refused("/ws/halls/demo/counters/99", BOARD_TOKEN) == 403

    asyncio.run(scenario())


def test_a_pad_hears_its_own_counter_only(server: Server) -> None:
    """Counter 2's pad may not listen to counter 1 (whose citizens it would ask to rate) nor to
    the whole hall; on its own counter's channel it is served."""

    async def refused(path: str) -> int:
        with pytest.raises(InvalidStatus) as error:
            async with websockets.connect(server.url.replace("http", "ws") + f"{path}?token=demo-pad-2-token"):
                pass
        return error.value.response.status_code

    async def scenario() -> None:
        assert await refused("/ws/halls/demo/counters/1") == 403
        assert await refused("/ws/halls/demo") == 403
        async with Device(server.url, "/ws/halls/demo/counters/2", token="demo-pad-2-token") as pad:
            assert pad.snapshot["type"] == "snapshot"

    asyncio.run(scenario())


def _frozen_device(port: int, path: str) -> socket.socket:
    """A device that completes the websocket handshake and then never reads again (a frozen
    screen): a tiny receive window that fills, then nothing."""
    frozen = socket.socket()
    frozen.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    frozen.connect(("127.0.0.1", port))
    frozen.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    assert frozen.recv(12) == b"HTTP/1.1 101"
    return frozen


def test_a_stuck_device_slows_no_one_and_holds_little(server: Server) -> None:
    async def scenario() -> None:
        frozen = _frozen_device(server.port, f"/ws/halls/demo?token={SCREEN_TOKEN}")
        async with Device(server.url, "/ws/halls/demo") as live, api(server) as client:
            headers = await manager(client)
            # Announcements of some length: 3,000 of them are about 6 MB, more than the socket buffers hold.
            text = "请各位办事群众保管好随身物品，按号码顺序等候叫号，过号请到服务台办理恢复。" * 3
            text_en = "Please keep your belongings with you and wait for your number to be called. " * 4
            flood = 3000
            received: list[str] = []
            most_held = 0

            async def read() -> None:  # a live screen reads as messages come
                while len(received) < flood:
                    received.append((await live.next(timeout=20))["type"])

            reading = asyncio.create_task(read())
            started = time.monotonic()
            for start in range(0, flood, 50):
                answers = await asyncio.gather(
                    *(
                        client.post(
                            "/api/halls/demo/announcements",
                            json={"text": f"{i}{text}"[:200], "text_en": text_en[:400]},
                            headers=headers,
                        )
                        for i in range(start, start + 50)
                    )
                )
                assert {a.status_code for a in answers} == {201}
                devices = (await client.get("/api/halls/demo/devices", headers=headers)).json()
                most_held = max([most_held, *(d["behind"] for d in devices)])
            await asyncio.wait_for(reading, 60)
            assert received == ["announcement"] * flood  # every one, in order, none missed
            assert time.monotonic() - started < 90
            assert 0 < most_held <= Subscriber.LIMIT, f"the frozen screen held {most_held} messages at most"
            # The frozen one is dropped once a send has waited ten seconds; the live one stays.
            for _ in range(40):
                devices = (await client.get("/api/halls/demo/devices", headers=headers)).json()
                if len(devices) == 1:
                    break
                await asyncio.sleep(0.5)
            assert len(devices) == 1 and devices[0]["sent_seq"] == live.seq
        frozen.close()

    asyncio.run(scenario())


def test_subscriber_backlog_is_bounded_and_ends_in_a_snapshot() -> None:
    async def scenario() -> None:
        subscriber = Subscriber(counter=None)
        frames = [Frame(seq, f'{{"seq":{seq}}}', f'{{"seq":{seq}}}', None, False) for seq in range(1, 1001)]
        for frame in frames:
            subscriber.offer([frame])
        assert len(subscriber.pending) <= Subscriber.LIMIT and subscriber.resync

    asyncio.run(scenario())


def test_screens_come_back_after_a_server_restart(tmp_path: Path) -> None:
    env = _env(tmp_path)
    server = Server(env, log=tmp_path / "server.log").start()

    async def reconnect(deadline: float) -> Device:
        while True:  # what a screen does: try again with a short backoff
            try:
                device = Device(server.url, "/ws/halls/demo")
                return await device.__aenter__()
            except (OSError, InvalidStatus):
                assert time.monotonic() < deadline, "could not reconnect"
                await asyncio.sleep(0.2)

    async def scenario() -> None:
        async with Device(server.url, "/ws/halls/demo") as screen, api(server) as client:
            await client.post("/api/halls/demo/tickets", json={"item": "SB01"}, headers=KIOSK)
            await screen.until("queue")
            before = screen.seq
            server.kill()
            with pytest.raises(ConnectionClosed):
                await screen.raw(timeout=5)
        restarted = Server(env, port=server.port, log=tmp_path / "server.log").start()
        try:
            screen = await reconnect(time.monotonic() + 20)
            assert screen.seq >= before and screen.snapshot["waiting"] == 1
            async with api(restarted) as client:
                await client.post("/api/halls/demo/tickets", json={"item": "SB02"}, headers=KIOSK)
                assert (await screen.until("queue"))["waiting"] == 2
            await screen.__aexit__()
        finally:
            restarted.stop()

    asyncio.run(scenario())


def test_no_device_hears_a_ticket_id(server: Server) -> None:
    """The ticket id is the slip's secret (its web page and web rating): the wall screen, the
    boards and the pads hear numbers only, a completion included (the pad rates by service)."""

    async def scenario() -> None:
        async with Device(server.url, "/ws/halls/demo") as screen, api(server) as client:
            headers = await manager(client)
            ticket = (await client.post("/api/halls/demo/tickets", json={"item": "SB01"}, headers=KIOSK)).json()
            await client.post("/api/halls/demo/counters/1/open", headers=headers)
            await client.post("/api/halls/demo/counters/1/call-next", headers=headers)
            await client.post("/api/halls/demo/counters/1/complete", headers=headers)
            heard = [json.dumps(await screen.next()) for _ in range(4)]
            done = json.loads(next(m for m in heard if '"completed"' in m and '"service"' in m))
            assert done["completed"]["number"] == ticket["number"] and "ticket_id" not in done["completed"]
            assert all(ticket["id"] not in m for m in [json.dumps(screen.snapshot), *heard])

    asyncio.run(scenario())


def test_only_a_call_that_happened_is_said(server: Server) -> None:
    """No one can have the server synthesise (and keep) every number at every counter."""

    async def scenario() -> None:
        async with api(server) as client:
            headers = await manager(client)
            ticket = (await client.post("/api/halls/demo/tickets", json={"item": "SB01"}, headers=KIOSK)).json()
            path = f"/halls/demo/voice/call/{ticket['number']}/1"
            before = await client.get(path)  # waiting, not called yet
            assert before.status_code == 404 and "未被叫到" in before.text
            assert (await client.get("/halls/demo/voice/call/Z998/3")).status_code == 404
            await client.post("/api/halls/demo/counters/1/open", headers=headers)
            await client.post("/api/halls/demo/counters/1/call-next", headers=headers)
            said = await client.get(path)
            assert said.status_code == 200 and said.content[:4] == b"RIFF"
            assert (await client.get(f"/halls/demo/voice/call/{ticket['number']}/2")).status_code == 404

    asyncio.run(scenario())


def test_announcements_reach_the_screens_with_their_voice(server: Server) -> None:
    async def scenario() -> None:
        async with Device(server.url, "/ws/halls/demo") as screen, api(server) as client:
            headers = await manager(client)
            made = await client.post(
                "/api/halls/demo/announcements",
                json={"text": "大厅将于17:00停止取号", "text_en": "No more tickets after 17:00"},
                headers=headers,
            )
            assert made.status_code == 201
            message = await screen.until("announcement")
            assert message["seq"] == made.json()["seq"] and message["text"] == "大厅将于17:00停止取号"
            wav = await client.get(message["voice"]["audio"])
            assert wav.status_code == 200 and wav.content[:4] == b"RIFF" and len(wav.content) > 100_000
            refused = await client.post("/api/halls/demo/announcements", json={"text": "x"}, headers=KIOSK)
            assert refused.status_code == 403

    asyncio.run(scenario())


def test_a_hall_with_a_voice_pack_says_its_calls_with_the_clips(tmp_path: Path) -> None:
    """``[voice] pack``: the call a screen is sent plays the pack's clips for the Mandarin after
    the chime (then the English, synthesised); the form a screen behind asks for is the clips
    alone, sample for sample as the pack composes them."""
    tone_pack(tmp_path / "pack")
    pack = load_pack(tmp_path / "pack")
    hall_file = tmp_path / "demo.toml"
    hall_file.write_text(DEMO_HALL.read_text().replace("[voice]\n", f'[voice]\npack = "{tmp_path / "pack"}"\n', 1))

    async def scenario(server: Server) -> None:
        async with Device(server.url, "/ws/halls/demo") as screen, api(server) as client:
            headers = await manager(client)
            (await client.post("/api/halls/demo/tickets", json={"item": "HZ01"}, headers=KIOSK)).raise_for_status()
            await client.post("/api/halls/demo/counters/12/open", headers=headers)
            await client.post("/api/halls/demo/counters/12/call-next", headers=headers)
            call = await screen.until("call")
            assert call["voice"]["texts"]["zh"] == "请D零零一号到12号窗口办理"
            plan, missing = pack.plan(call["voice"]["texts"]["zh"])
            assert plan == ["请", "D", "零", "零", "一", "号", "到", "十", "二", "号", "窗口", "办理"] and not missing
            full = await client.get(call["voice"]["audio"])
            quick = await client.get(call["voice"]["audio"] + "?form=number")
        assert full.status_code == quick.status_code == 200 and full.headers["content-type"] == "audio/wav"
        with wave.open(io.BytesIO(full.content)) as audio:
            samples = audio.readframes(audio.getnframes())
        chime = len(_chime())
        zh = pack.pcm(plan)
        assert samples[chime : chime + len(zh)] == zh, "the Mandarin right after the chime is the pack's"
        between = samples.find(zh, chime + len(zh)) - (chime + len(zh))  # the second round's Mandarin
        assert between > 2 * 22050 * 2, "the English (synthesised) and the gaps: over 2 s before it comes again"
        number_plan, _ = pack.plan("D零零一")
        assert quick.content == compose([trimmed(pack.pcm(number_plan))], 1, False, tail=SHORT_TAIL)

    with running(_env(tmp_path, HALL_FILES=str(hall_file)), log=tmp_path / "server.log") as server:
        asyncio.run(scenario(server))


def test_a_screen_that_cannot_speak_says_so_to_the_manager(server: Server) -> None:
    """A browser that waits for a tap before it plays sound (autoplay policy) leaves the hall
    silent: the screen tells the server, the manager sees it in the devices and the live view."""

    async def scenario() -> None:
        async with Device(server.url, "/ws/halls/demo") as screen, api(server) as client:
            headers = await manager(client)

            async def told() -> tuple[list[dict], dict]:
                devices = (await client.get("/api/halls/demo/devices", headers=headers)).json()
                live = (await client.get("/api/halls/demo/live", headers=headers)).json()
                return devices, live

            devices, _ = await told()
            assert [d["audio"] for d in devices] == [""]  # nothing said yet: untold
            await screen.ws.send(json.dumps({"type": "status", "audio": "blocked"}))
            for _ in range(50):
                devices, live = await told()
                if devices[0]["audio"] == "blocked" and any(a["about"].endswith(":audio") for a in live["alerts"]):
                    break
                await asyncio.sleep(0.2)
            assert devices[0]["audio"] == "blocked"
            screens = [d for d in live["devices"] if d["kind"] == "display" and d["connected"]]
            assert [d["audio"] for d in screens] == ["blocked"]
            alert = next(a for a in live["alerts"] if a["about"].endswith(":audio"))
            assert "无法播放语音" in alert["text"] and "tap" in alert["text_en"]
            await screen.ws.send(json.dumps({"type": "status", "audio": "ok"}))
            for _ in range(50):
                devices, live = await told()
                if devices[0]["audio"] == "ok" and not any(a["about"].endswith(":audio") for a in live["alerts"]):
                    break
                await asyncio.sleep(0.2)
            assert devices[0]["audio"] == "ok"
            assert not any(a["about"].endswith(":audio") for a in live["alerts"])
            await screen.ws.send(json.dumps({"type": "status", "audio": "loud"}))  # not ours: ignored
            await screen.ws.send(json.dumps({"type": "resync"}))
            assert (await screen.next())["type"] == "snapshot"  # still served
            devices, _ = await told()
            assert devices[0]["audio"] == "ok"

    asyncio.run(scenario())


def test_frames_two_processes_publish_out_of_order_reach_the_devices_in_order() -> None:
    """Two servers writing one hall each publish its frames from their own loop, so the later
    commit's frame can reach Redis first: the hub holds it until the one before it comes, and
    the devices hear the calls in order, not a gap and a resync. One that never comes (a
    process gone between its commit and its publish) is waited for 0.15 s."""
    import msgspec

    def frames(*seqs: int) -> list[tuple]:
        return [tuple(Frame(seq, f'{{"seq":{seq}}}', f'{{"seq":{seq}}}', None, False)) for seq in seqs]

    async def scenario() -> None:
        hub = DisplayHub(REDIS_URL, heartbeat=60)
        await hub.start()
        other = redis.from_url(REDIS_URL)
        hall = f"reorder-{time.time_ns()}"
        try:
            screen = hub.subscribe(hall, None, "screen")

            async def relay(*batch: tuple[str, list[tuple]]) -> None:
                await other.publish("hallq:displays", msgspec.msgpack.encode(list(batch)))

            async def heard(count: int) -> list[int]:
                for _ in range(100):
                    if len(screen.pending) >= count:
                        break
                    await asyncio.sleep(0.01)
                return [seq for seq, _ in screen.pending]

            await relay((hall, frames(1)))
            assert await heard(1) == [1]
            await relay((hall, frames(3, 4)), ("other-hall", frames(7)))  # 2 is still on its way
            await relay((hall, frames(2)))
            assert await heard(4) == [1, 2, 3, 4]
            await relay((hall, frames(4)))  # heard already: not again
            await relay((hall, frames(6)))  # 5 never comes
            started = time.monotonic()
            assert await heard(5) == [1, 2, 3, 4, 6]
            assert time.monotonic() - started >= 0.12  # waited for 5 first
            await relay((hall, frames(5)))  # too late: the device has resynced past it
            await relay((hall, frames(7)))
            assert await heard(6) == [1, 2, 3, 4, 6, 7]
            # Two gaps: the first one's wait ends, the second gets a wait of its own.
            await relay((hall, frames(9, 12)))  # 8 never comes; 10 and 11 are on their way
            await relay((hall, frames(10)))
            await asyncio.sleep(0.2)
            await relay((hall, frames(11)))
            assert await heard(10) == [1, 2, 3, 4, 6, 7, 9, 10, 11, 12]
            # An old server's message of one hall is still understood.
            await other.publish(f"hallq:display:{hall}", msgspec.msgpack.encode(frames(13)))
            assert await heard(11) == [1, 2, 3, 4, 6, 7, 9, 10, 11, 12, 13]
            # The relay subscribing again (after Redis was away) lets what it held go on at once.
            await relay((hall, frames(15)))
            await asyncio.sleep(0.02)
            hub._back()
            assert [seq for seq, _ in screen.pending][-1] == 15
        finally:
            await other.aclose()
            await hub.stop()

    asyncio.run(scenario())


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_calls_through_one_process_reach_devices_of_another_through_redis(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    shared = request.getfixturevalue("pg_url") if backend == "postgresql" else f"sqlite:///{tmp_path / 'hall.db'}"
    env = _env(tmp_path, DATABASE_URL=shared, REDIS_URL=REDIS_URL, HALL_SECRET_KEY="one-secret-for-both-servers")

    async def scenario(first: Server, second: Server) -> None:
        async with (
            Device(first.url, "/ws/halls/demo") as on_first,
            Device(second.url, "/ws/halls/demo") as on_second,
            Device(second.url, "/ws/halls/demo/counters/5", BOARD_TOKEN) as board_on_second,
            api(first) as via_first,
            api(second) as via_second,
        ):
            headers = await manager(via_first)
            await via_first.post("/api/halls/demo/tickets", json={"item": "HZ01"}, headers=KIOSK)
            await via_second.post("/api/halls/demo/tickets", json={"item": "HZ02"}, headers=KIOSK)
            await via_second.post("/api/halls/demo/counters/5/open", headers=headers)
            await via_first.post("/api/halls/demo/counters/5/call-next", headers=headers)
            calls = [await device.until("call", timeout=10) for device in (on_first, on_second, board_on_second)]
            assert {c["call"]["number"] for c in calls} == {"D001"} and len({c["seq"] for c in calls}) == 1
            # A screen on the second process cannot speak: the manager on the first sees it.
            shared = redis.from_url(REDIS_URL)
            await shared.delete("hallq:sound:demo")  # nothing left from an earlier test
            await shared.aclose()
            await on_second.ws.send(json.dumps({"type": "status", "audio": "blocked"}))
            for _ in range(50):
                live = (await via_first.get("/api/halls/demo/live", headers=headers)).json()
                sounds = [d["audio"] for d in live["devices"] if d["kind"] == "display"]
                if sounds == ["blocked"]:
                    break
                await asyncio.sleep(0.1)
            assert sounds == ["blocked"]
            assert any(a["about"].endswith(":audio") for a in live["alerts"])

    with (
        running({**env, "HALL_DATA_DIR": str(tmp_path / "a")}, log=tmp_path / "a.log") as first,
        running({**env, "HALL_DATA_DIR": str(tmp_path / "b")}, log=tmp_path / "b.log") as second,
    ):
        asyncio.run(scenario(first, second))


async def heartbeat(device: Device, ok, timeout: float) -> dict:
    """The first heartbeat ``ok`` accepts (every heartbeat answered; what comes before it dropped)."""
    deadline = time.monotonic() + timeout
    while True:
        message = await device.raw(max(deadline - time.monotonic(), 0.01))
        if message["type"] == "heartbeat":
            await device.ws.send(json.dumps({"type": "pong"}))
            if ok(message):
                return message


async def heartbeats(wanted: dict[Device, Callable[[dict], bool]], timeout: float) -> dict[Device, dict]:
    """``heartbeat`` for several devices at once, each answering every heartbeat until all have
    theirs: a device whose wait ended first must not fall silent while another waits on (its
    server drops a device silent for three heartbeats, and two servers notice an outage up to
    a few seconds apart)."""
    found: dict[Device, dict] = {}
    deadline = time.monotonic() + timeout

    async def answer(device: Device, ok: Callable[[dict], bool]) -> None:
        while len(found) < len(wanted):
            message = await device.raw(max(deadline - time.monotonic(), 0.01))
            if message["type"] == "heartbeat":
                await device.ws.send(json.dumps({"type": "pong"}))
                if device not in found and ok(message):
                    found[device] = message

    tasks = [asyncio.ensure_future(answer(device, ok)) for device, ok in wanted.items()]
    try:
        await asyncio.gather(*tasks)
    finally:  # one timed out: the others stop reading too
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return found


def relayed(beat: dict) -> bool:
    return beat["relayed"]


async def relay_back(logs: list[Path], since: float, timeout: float = 5) -> float:
    """Seconds from ``since`` (epoch) until the last of these server logs says the relay is back."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [[x for x in log.read_text().splitlines() if "Redis is back" in x] for log in logs]
        if all(lines):
            at = [dt.datetime.strptime(x[-1][:23], "%Y-%m-%d %H:%M:%S,%f").timestamp() for x in lines]
            return max(at) - since
        await asyncio.sleep(0.05)
    raise TimeoutError("the relay did not come back")


def _outage_env(tmp_path: Path, redis_url: str) -> dict[str, str]:
    """Two server processes over one database and one Redis, with a heartbeat a second."""
    return _env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'hall.db'}",
        REDIS_URL=redis_url,
        HALL_SECRET_KEY="one-secret-for-both-servers",
        HALL_DEVICE_HEARTBEAT="1",
    )


def test_a_screen_cut_off_from_the_other_process_by_a_redis_outage_knows_it_and_catches_up(tmp_path: Path) -> None:
    """Redis dies; calls go through the first process; a screen on the second is told within a
    heartbeat that it may be behind (the heartbeat carries the hall record's seq and says the
    relay is away), resyncs and has the missed calls; Redis returns; within 2 s the relay works."""
    redis_server = RedisServer().start()
    env = _outage_env(tmp_path, redis_server.url)
    figures: dict[str, float] = {}

    async def scenario(first: Server, second: Server) -> None:
        async with (
            Device(first.url, "/ws/halls/demo") as on_first,
            Device(second.url, "/ws/halls/demo") as on_second,
            api(first) as via_first,
        ):
            headers = await manager(via_first)
            for counter in (1, 2, 3, 4, 5, 12):
                await via_first.post("/api/halls/demo/tickets", json={"item": "HZ01"}, headers=KIOSK)
                await via_first.post(f"/api/halls/demo/counters/{counter}/open", headers=headers)
            await via_first.post("/api/halls/demo/counters/1/call-next", headers=headers)
            for device in (on_first, on_second):
                assert (await device.until("call", timeout=5))["call"]["number"] == "D001"  # the relay works

            redis_server.kill()
            await heartbeat(on_second, lambda beat: not beat["relayed"], timeout=3)  # told the relay is away
            called = time.monotonic()
            numbers = []
            for counter in (2, 3, 4, 5):
                answer = await via_first.post(f"/api/halls/demo/counters/{counter}/call-next", headers=headers)
                numbers.append(answer.raise_for_status().json()["number"])
            # The first process's own screen hears its calls as they are made.
            heard = [(await on_first.until("call", timeout=3))["call"]["number"] for _ in numbers]
            assert heard == numbers
            # The second's screen hears nothing of them, but the next heartbeat says it is behind.
            behind = await heartbeat(on_second, lambda beat: beat["seq"] > on_second.seq, timeout=3)
            figures["noticed"] = time.monotonic() - called
            assert behind["seq"] >= on_first.seq and not behind["relayed"]
            await on_second.ws.send(json.dumps({"type": "resync"}))
            snapshot = await on_second.until("snapshot", timeout=3)
            assert snapshot["seq"] >= on_first.seq
            assert {c["number"] for c in snapshot["recent"]} >= set(numbers)  # the missed calls, listed

            redis_server.start()
            back, back_at = time.monotonic(), time.time()
            figures["relay back"] = await relay_back([tmp_path / "a.log", tmp_path / "b.log"], back_at)
            (await via_first.post("/api/halls/demo/counters/12/call-next", headers=headers)).raise_for_status()
            call = await on_second.until("call", timeout=2)  # relayed, not a resync
            figures["call relayed"] = time.monotonic() - back
            assert call["call"]["counter"] == 12 and figures["call relayed"] < 2.0
            await heartbeats({on_first: relayed, on_second: relayed}, timeout=3)

    try:
        with (
            running({**env, "HALL_DATA_DIR": str(tmp_path / "a")}, log=tmp_path / "a.log") as first,
            running({**env, "HALL_DATA_DIR": str(tmp_path / "b")}, log=tmp_path / "b.log") as second,
        ):
            asyncio.run(scenario(first, second))
    finally:
        redis_server.kill()
    print("Redis outage:", {k: round(v, 2) for k, v in figures.items()})
    # One line when Redis goes, one when it is back, in each process: not one per attempt.
    for log in ("a.log", "b.log"):
        text = (tmp_path / log).read_text()
        assert text.count("Redis unreachable") == 1 and text.count("Redis is back") == 1, text


def test_a_stalled_redis_holds_up_no_screen_and_is_noticed(tmp_path: Path) -> None:
    """Redis stops answering (SIGSTOP) rather than refusing: the calling process's screen still
    hears each call within about a second (the publish times out, then it delivers itself), the
    other process's screen is told its server no longer hears the others, and both recover."""
    redis_server = RedisServer().start()
    env = _outage_env(tmp_path, redis_server.url)

    async def scenario(first: Server, second: Server) -> None:
        async with (
            Device(first.url, "/ws/halls/demo") as on_first,
            Device(second.url, "/ws/halls/demo") as on_second,
            api(first) as via_first,
        ):
            headers = await manager(via_first)
            for counter in (1, 2, 3):
                await via_first.post("/api/halls/demo/tickets", json={"item": "HZ01"}, headers=KIOSK)
                await via_first.post(f"/api/halls/demo/counters/{counter}/open", headers=headers)
            redis_server.stall()
            for counter in (1, 2):
                answer = await via_first.post(f"/api/halls/demo/counters/{counter}/call-next", headers=headers)
                made = time.monotonic()
                call = await on_first.until("call", timeout=3)
                assert call["call"]["number"] == answer.raise_for_status().json()["number"]
                assert time.monotonic() - made < 1.5  # one Redis timeout at most
            # Both are told their server hears no other now; the second also that it is behind.
            await heartbeats(
                {
                    on_first: lambda beat: not beat["relayed"],
                    on_second: lambda beat: not beat["relayed"] and beat["seq"] > on_second.seq,
                },
                timeout=6,
            )
            # A stall longer than the probes: still one line in the log, no flapping.
            with contextlib.suppress(TimeoutError):
                await heartbeats(dict.fromkeys((on_first, on_second), lambda beat: False), timeout=5)
            redis_server.stall(False)
            assert await relay_back([tmp_path / "a.log", tmp_path / "b.log"], time.time()) < 2.0
            await heartbeats({on_first: relayed, on_second: relayed}, timeout=3)
            await on_second.ws.send(json.dumps({"type": "resync"}))  # as the heartbeat said
            assert {c["counter"] for c in (await on_second.until("snapshot", timeout=3))["recent"]} == {1, 2}
            await via_first.post("/api/halls/demo/counters/3/call-next", headers=headers)
            assert (await on_second.until("call", timeout=3))["call"]["counter"] == 3  # relayed again

    try:
        with (
            running({**env, "HALL_DATA_DIR": str(tmp_path / "a")}, log=tmp_path / "a.log") as first,
            running({**env, "HALL_DATA_DIR": str(tmp_path / "b")}, log=tmp_path / "b.log") as second,
        ):
            asyncio.run(scenario(first, second))
    finally:
        redis_server.kill()
    for log in ("a.log", "b.log"):
        text = (tmp_path / log).read_text()
        assert text.count("Redis unreachable") == 1 and text.count("Redis is back") == 1, text
