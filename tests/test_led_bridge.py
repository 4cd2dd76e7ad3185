"""The LED bridge (``displays/led.py``, ``hall led-bridge``): the controller frame, the boards
kept from the channel's messages, and the command itself against a real ``hall serve`` and a
local TCP listener standing in for the LED controller.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import reduce
from pathlib import Path

import httpx
import msgspec
import pytest

from config.cli import main as hall_command
from displays.led import (
    Backoff,
    BoardState,
    BoardText,
    ConsoleDriver,
    FrameError,
    TcpDriver,
    board_text,
    channel_url,
    decode_frame,
    encode_frame,
    read_frame,
)
from displays.messages import (
    Announcement,
    Call,
    CallItem,
    CounterBoard,
    CounterChanged,
    HallHeader,
    Heartbeat,
    QueueCounts,
    Recall,
    Reset,
    Snapshot,
    Tick,
)
from queueing.kinds import CounterKind
from queueing.lifecycle import CounterState
from tests.support import DEMO_HALL, ROOT, Server, free_port

KIOSK = {"Authorization": "Bearer demo-kiosk-token"}
BOARD_TOKEN = "demo-board-token"
NAME_3 = "3号 无差别综合窗口"
RESYNC, PONG = {"type": "resync"}, {"type": "pong"}


# ---------------------------------------------------------------- the frame


def test_a_frame_is_laid_out_as_documented_and_round_trips_chinese_text() -> None:
    frame = encode_frame(3, ["3号窗口", "A001"])
    assert frame == bytes.fromhex("02 03 00 0C 33 BA C5 B4 B0 BF DA 0A 41 30 30 31 58 03")  # the docstring's example
    text = "3号窗口\nA001".encode("gb2312")  # GB2312 text encodes the same in GB18030
    assert frame[0] == 0x02 and frame[1] == 3 and frame[2:4] == len(text).to_bytes(2, "big") and frame[-1] == 0x03
    assert frame[4:-2] == text
    assert frame[-2] == reduce(lambda a, b: a ^ b, frame[1:-2])
    assert decode_frame(frame) == (3, ["3号窗口", "A001"])

    for address, lines in [
        (14, ["14号 统一出件窗口", "暂停服务"]),
        (255, ["跨省通办·長三角", "请稍候"]),  # traditional characters: beyond GB2312, within GB18030
        (7, ["𠀀䶮窗口", "C123"]),  # four-byte GB18030 sequences
        (1, []),  # a blank board
    ]:
        assert decode_frame(encode_frame(address, lines)) == (address, lines)
    assert "𠀀".encode("gb18030") in encode_frame(7, ["𠀀"])
    # Control characters cannot split a line or break the frame.
    assert decode_frame(encode_frame(2, ["a\nb\x03c", "d"])) == (2, ["a b c", "d"])
    for address in (-1, 256):
        with pytest.raises(ValueError):
            encode_frame(address, ["x"])


def test_a_corrupted_frame_is_rejected() -> None:
    good = encode_frame(3, ["3号 无差别综合窗口", "B001"])
    flipped = bytearray(good)
    flipped[8] ^= 0x01  # one bit of the text
    wrong_address = bytearray(good)
    wrong_address[1] = 4  # the checksum covers the address too
    bad = {
        "checksum": bytes(flipped),
        "address": bytes(wrong_address),
        "STX": b"\x01" + good[1:],
        "ETX": good[:-1] + b"\x04",
        "truncated": good[:-3],
        "longer": good[:-1] + b"\x00\x03",
        "short": b"\x02\x03\x00",
    }
    for why, frame in bad.items():
        with pytest.raises(FrameError):
            decode_frame(frame)
            pytest.fail(why)
    # A frame whose checksum is right but whose text is not GB18030.
    body = b"\x03\x00\x02\x81\x0a"
    with pytest.raises(FrameError, match="GB18030"):
        decode_frame(b"\x02" + body + bytes([reduce(lambda a, b: a ^ b, body)]) + b"\x03")


def test_frames_are_read_from_a_stream_however_it_is_cut() -> None:
    async def scenario() -> None:
        stream = encode_frame(3, ["3号窗口", "A001"]) + encode_frame(2, []) + encode_frame(14, ["14号", "已关闭"])
        reader = asyncio.StreamReader()
        for i in range(0, len(stream), 5):
            reader.feed_data(stream[i : i + 5])
        reader.feed_eof()
        assert [await read_frame(reader) for _ in range(3)] == [
            (3, ["3号窗口", "A001"]),
            (2, []),
            (14, ["14号", "已关闭"]),
        ]
        with pytest.raises(asyncio.IncompleteReadError):
            await read_frame(reader)

    asyncio.run(scenario())


# ---------------------------------------------------------------- boards from the channel's messages

AT = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
HEADER = HallHeader("demo", "示范区政务服务中心", "Demo", "Asia/Shanghai", "", True, 6, 10)


def board(number: int, state: str = "open", current: str | None = None, name: str | None = None) -> CounterBoard:
    counter_state = CounterState(state)
    return CounterBoard(
        number=number,
        name=f"{number}号 无差别综合窗口" if name is None else name,
        kind=CounterKind.NO_DIFFERENCE,
        state=counter_state,
        state_text=counter_state.label_zh,
        current=current,
        current_item="社会保险参保登记" if current else None,
        staff_name="张伟",
    )


def snapshot(seq: int, *boards: CounterBoard) -> bytes:
    return msgspec.json.encode(
        Snapshot(seq=seq, at=AT, day=None, hall=HEADER, counters=list(boards), groups=[], waiting=0, recent=[])
    )


def call(seq: int, counter: CounterBoard, kind: type = Call) -> bytes:
    item = CallItem(counter.current or "", counter.number, counter.name, "社会保险参保登记", AT)
    if kind is Recall:
        return msgspec.json.encode(Recall(seq=seq, call=item, counter=counter, voice=None))
    return msgspec.json.encode(Call(seq=seq, call=item, counter=counter, groups=[], waiting=0, voice=None))


def changed(seq: int, counter: CounterBoard) -> bytes:
    return msgspec.json.encode(CounterChanged(seq=seq, counter=counter, groups=[], waiting=0))


def replies(reaction) -> list[dict]:
    return [json.loads(reply) for reply in reaction.replies]


def test_the_board_text_is_what_the_browser_board_shows() -> None:
    assert board_text(board(3, "open", "A001")) == BoardText(3, (NAME_3, "A001"))
    assert board_text(board(3, "open")) == BoardText(3, (NAME_3, "请稍候"))
    assert board_text(board(3, "paused")) == BoardText(3, (NAME_3, "暂停服务"))
    assert board_text(board(3, "paused", "A001")).lines[1] == "A001"  # a paused counter finishes its ticket
    assert board_text(board(3, "closed")) == BoardText(3, (NAME_3, "已关闭"))
    assert board_text(board(3, "open", name="")) == BoardText(3, ("3号窗口", "请稍候"))
    out = io.StringIO()
    asyncio.run(ConsoleDriver(out).show(board_text(board(3, "open", "A001"))))
    assert out.getvalue() == "[3] 3号 无差别综合窗口 | A001\n"


def test_a_snapshot_sets_every_board_then_messages_apply_in_sequence() -> None:
    state = BoardState()
    first = state.receive(snapshot(10, board(1, "closed"), board(3, "open")))
    assert first.boards == [BoardText(1, ("1号 无差别综合窗口", "已关闭")), BoardText(3, (NAME_3, "请稍候"))]
    assert first.replies == [] and state.seq == 10

    assert state.receive(call(11, board(3, "open", "A001"))).boards == [BoardText(3, (NAME_3, "A001"))]
    assert state.receive(call(12, board(3, "open", "A001"), Recall)).boards == [BoardText(3, (NAME_3, "A001"))]
    for seq, quiet in enumerate(
        [
            Tick(seq=13),
            QueueCounts(seq=14, groups=[], waiting=3),
            Announcement(seq=15, text="大厅将于17:00停止取号", text_en="", voice=None),
        ],
        start=13,
    ):
        reaction = state.receive(msgspec.json.encode(quiet))
        assert reaction.boards == [] and reaction.replies == [] and state.seq == seq
    # A counter message that changes nothing on the board (a clerk signed in) shows nothing again.
    assert state.receive(changed(16, board(3, "open", "A001"))).boards == []
    assert state.receive(changed(17, board(3, "paused", None))).boards == [BoardText(3, (NAME_3, "暂停服务"))]
    # Older messages (already in a snapshot) are ignored.
    assert state.receive(call(12, board(3, "open", "Z999"))).boards == [] and state.seq == 17
    # Messages nobody knows yet (a newer server) keep the sequence like a tick.
    assert state.receive(b'{"type":"evaluation","seq":18,"score":5}').boards == [] and state.seq == 18
    assert state.receive(b"not json").replies == [] and state.seq == 18
    assert state.boards[3] == BoardText(3, (NAME_3, "暂停服务"))


def test_a_gap_asks_once_for_a_snapshot_which_sends_every_board_again() -> None:
    state = BoardState()
    state.receive(snapshot(5, board(3), board(4)))
    gap = state.receive(call(7, board(3, "open", "A001")))
    assert gap.boards == [] and replies(gap) == [RESYNC] and state.seq == 5  # not applied
    assert replies(state.receive(call(8, board(4, "open", "A002")))) == []  # asked already
    assert state.receive(changed(6, board(4, "paused"))).boards == [BoardText(4, ("4号 无差别综合窗口", "暂停服务"))]
    fresh = state.receive(snapshot(8, board(3, "open", "A001"), board(4, "open", "A002")))
    assert [b.lines[1] for b in fresh.boards] == ["A001", "A002"] and state.seq == 8 and not state.resyncing
    assert replies(state.receive(call(10, board(3, "open", "A003")))) == [RESYNC]  # a new gap: ask again
    state.connected()  # a new connection: its snapshot comes unasked, a later gap asks again
    state.receive(snapshot(12, board(3, "open", "A003"), board(4)))
    assert replies(state.receive(call(14, board(3)))) == [RESYNC]


def test_heartbeats_are_answered_and_a_newer_one_or_a_reset_asks_for_a_snapshot() -> None:
    state = BoardState()
    state.receive(snapshot(20, board(3)))
    assert replies(state.receive(msgspec.json.encode(Heartbeat(seq=20, at=AT)))) == [PONG]
    assert replies(state.receive(msgspec.json.encode(Heartbeat(seq=21, at=AT)))) == [PONG, RESYNC]
    assert replies(state.receive(msgspec.json.encode(Heartbeat(seq=21, at=AT)))) == [PONG]  # asked already
    state.receive(snapshot(21, board(3)))
    reset = state.receive(msgspec.json.encode(Reset(seq=22)))
    assert replies(reset) == [RESYNC] and reset.boards == [] and state.seq == 21
    # After the reset a counter left the hall: its board is blanked, the others shown again.
    after = state.receive(snapshot(22, board(4)))
    assert after.boards == [BoardText(3, ()), BoardText(4, ("4号 无差别综合窗口", "请稍候"))]


def test_boards_that_may_be_missing_calls_know_it_until_resynced_and_relayed_again() -> None:
    state = BoardState()
    state.receive(snapshot(20, board(3)))
    assert not state.stale
    # Its server no longer hears the others (Redis away): maybe behind even with nothing missed yet.
    state.receive(msgspec.json.encode(Heartbeat(seq=20, at=AT, relayed=False)))
    assert state.stale and not state.resyncing
    state.receive(msgspec.json.encode(Heartbeat(seq=24, at=AT, relayed=False)))  # the record is ahead
    assert state.stale and state.resyncing
    state.receive(snapshot(24, board(3, "open", "A004")))
    assert state.stale  # caught up, but the relay is still away
    state.receive(msgspec.json.encode(Heartbeat(seq=24, at=AT, relayed=True)))
    assert not state.stale


def test_a_counter_bridge_keeps_only_its_board() -> None:
    state = BoardState(counter=3)
    assert state.receive(snapshot(1, board(2), board(3, "closed"))).boards == [BoardText(3, (NAME_3, "已关闭"))]
    assert state.receive(call(2, board(2, "open", "A001"))).boards == [] and state.seq == 2
    assert state.receive(call(3, board(3, "open", "A002"))).boards == [BoardText(3, (NAME_3, "A002"))]


def test_backoff_doubles_with_jitter_up_to_its_cap() -> None:
    import random

    backoff = Backoff(first=0.5, cap=30, rng=random.Random(7))
    delays = [backoff.next() for _ in range(10)]
    for delay, base in zip(delays, [0.5, 1, 2, 4, 8, 16, 30, 30, 30, 30], strict=True):
        assert 0.75 * base <= delay <= min(1.25 * base, 30)
    assert len(set(delays)) == 10  # jittered
    backoff.reset()
    assert backoff.next() <= 0.625
    url = channel_url("https://hall.example:8443/", "demo", 3, "a b/c")
    assert url == "wss://hall.example:8443/ws/halls/demo/counters/3?token=a%20b%2Fc"
    assert channel_url("http://127.0.0.1:8000", "demo", None, "t") == "ws://127.0.0.1:8000/ws/halls/demo?token=t"


# ---------------------------------------------------------------- a stand-in LED controller


class Controller:
    """A local TCP listener in the controller's place: decodes every frame it receives."""

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.frames: list[tuple[int, list[str]]] = []
        self.errors: list[Exception] = []
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> Controller:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        try:
            while True:
                self.frames.append(await read_frame(reader))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the bridge, or we, closed the connection
        except Exception as exc:
            self.errors.append(exc)
        finally:
            self._writers.discard(writer)
            writer.close()

    async def stop(self) -> None:
        """Gone, like a controller switched off: the listener and every connection closed."""
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()

    def shown(self, since: int = 0) -> dict[int, list[str]]:
        """What each board shows after the frames from ``since`` on."""
        return dict(self.frames[since:])

    async def until(self, check: Callable[[dict[int, list[str]]], bool], since: int = 0, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not check(self.shown(since)):
            assert not self.errors, self.errors
            assert time.monotonic() < deadline, f"the controller saw {self.frames[since:]}"
            await asyncio.sleep(0.02)
        assert not self.errors, self.errors


def test_the_tcp_driver_never_waits_for_the_controller_and_sends_the_newest_text() -> None:
    async def scenario() -> None:
        port = free_port()
        driver = TcpDriver("127.0.0.1", port, backoff=Backoff(first=0.05, cap=0.1))
        started = time.monotonic()
        for i in range(1, 101):  # the controller is down: every update returns at once
            await driver.show(BoardText(3, ("3号窗口", f"A{i:03d}")))
        await driver.show(BoardText(4, ("4号窗口", "请稍候")))
        await driver.show(BoardText(300, ("300号窗口", "请稍候")))  # no address for it: left out, not fatal
        assert time.monotonic() - started < 0.2
        await asyncio.sleep(0.3)  # a few refused attempts
        controller = await Controller(port).start()
        try:
            await controller.until(lambda shown: len(shown) == 2)
            await asyncio.sleep(0.1)
            assert controller.frames == [(3, ["3号窗口", "A100"]), (4, ["4号窗口", "请稍候"])]  # the newest, once
            await driver.show(BoardText(4, ("4号窗口", "A101")))
            await controller.until(lambda shown: shown.get(4) == ["4号窗口", "A101"], since=2)
            assert controller.connections == 1
        finally:
            await driver.close()
            await controller.stop()

    asyncio.run(scenario())


# ---------------------------------------------------------------- the command, against hall serve


class Bridge:
    """``hall led-bridge`` in a child process, its output in files."""

    def __init__(self, tmp_path: Path, name: str, *args: str) -> None:
        self.out, self.err = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "config.cli", "led-bridge", "--hall", "demo", *args],
                cwd=ROOT,
                env={**os.environ, "PYTHONIOENCODING": "utf-8"},
                stdout=out,
                stderr=err,
                start_new_session=True,
            )

    def stdout(self) -> str:
        return self.out.read_text("utf-8")

    def stderr(self) -> str:
        return self.err.read_text("utf-8")

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it: the exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=10)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@contextmanager
def bridge(tmp_path: Path, name: str, *args: str) -> Iterator[Bridge]:
    running_bridge = Bridge(tmp_path, name, *args)
    try:
        yield running_bridge
    finally:
        running_bridge.kill()


async def eventually(check: Callable[[], bool], what: Callable[[], str], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what()
        await asyncio.sleep(0.05)


def _env(tmp_path: Path, **more: str) -> dict[str, str]:
    return {
        "HALL_DATA_DIR": str(tmp_path / "var"),
        "HALL_FILES": str(DEMO_HALL),
        "HALL_LOG_FORMAT": "text",
        "HALL_LOG_LEVEL": "WARNING",
        **more,
    }


async def manager(client: httpx.AsyncClient) -> dict[str, str]:
    login = await client.post(
        "/api/auth/login", json={"hall": "demo", "username": "manager", "password": "demo-manager"}
    )
    return {"Authorization": "Bearer " + login.json()["token"]}


async def act(client: httpx.AsyncClient, headers: dict[str, str], *steps: str, counter: int = 3) -> None:
    for step in steps:
        answer = await client.post(f"/api/halls/demo/counters/{counter}/{step}", headers=headers)
        assert answer.status_code == 200, answer.text


async def issue(client: httpx.AsyncClient, item: str = "SB01") -> str:
    answer = await client.post("/api/halls/demo/tickets", json={"item": item}, headers=KIOSK)
    assert answer.status_code == 201, answer.text
    return answer.json()["number"]


def test_the_bridge_drives_a_controller_through_server_and_controller_restarts(tmp_path: Path) -> None:
    env = _env(tmp_path, HALL_DEVICE_HEARTBEAT="0.5")
    server = Server(env, log=tmp_path / "server.log").start()
    servers = [server]
    every = set(range(1, 15))  # the demo hall's 14 counters

    async def scenario(led: Bridge, controller: Controller) -> None:
        nonlocal server
        connected = lambda: led.stderr().count(": connected (")  # noqa: E731
        # Connected: the snapshot shows all 14 boards.
        await controller.until(lambda shown: set(shown) == every)
        assert controller.shown()[3] == [NAME_3, "已关闭"] and controller.shown()[14] == ["14号 统一出件窗口", "已关闭"]
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            headers = await manager(client)
            await act(client, headers, "open")
            await controller.until(lambda shown: shown.get(3) == [NAME_3, "请稍候"], since=14)
            assert await issue(client) == "B001"
            await act(client, headers, "call-next")
            await controller.until(lambda shown: shown.get(3) == [NAME_3, "B001"], since=14)
            await act(client, headers, "complete")
            await client.post("/api/halls/demo/counters/3/pause", json={"reason": "午休"}, headers=headers)
            await controller.until(lambda shown: shown.get(3) == [NAME_3, "暂停服务（午休）"], since=14)

            # A busy channel (a message every 0.2 s, faster than the 0.5 s heartbeat, for 2.5 s):
            # the server sends no heartbeat, the bridge says it is alive all the same and stays.
            for i in range(12):
                await client.post(
                    "/api/halls/demo/announcements", json={"text": f"请保管好随身物品{i}"}, headers=headers
                )
                await asyncio.sleep(0.2)
            assert connected() == 1 and "reconnecting" not in led.stderr(), led.stderr()

        # The server dies (kill -9) and comes back on the same port: the bridge reconnects
        # by itself and the new snapshot sends every board again.
        mark = len(controller.frames)
        server.kill()
        await eventually(lambda: "reconnecting" in led.stderr(), led.stderr)
        server = Server(env, port=server.port, log=tmp_path / "server.log").start()
        servers.append(server)
        await controller.until(lambda shown: set(shown) == every, since=mark, timeout=15)
        assert controller.shown(mark)[3] == [NAME_3, "暂停服务（午休）"] and connected() == 2
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            headers = await manager(client)
            assert await issue(client, "SB02") == "B002"
            await act(client, headers, "open", "call-next")
            await controller.until(lambda shown: shown.get(3) == [NAME_3, "B002"], since=mark)

            # The server freezes (SIGSTOP: the connection stays up, nothing comes): after three
            # heartbeats the bridge gives up on it, and it is back once the server is.
            mark = len(controller.frames)
            os.killpg(server.process.pid, signal.SIGSTOP)
            try:
                await eventually(lambda: "nothing heard for 1.5 s" in led.stderr(), led.stderr, timeout=5)
            finally:
                os.killpg(server.process.pid, signal.SIGCONT)
            await controller.until(lambda shown: set(shown) == every, since=mark, timeout=15)
            assert controller.shown(mark)[3] == [NAME_3, "B002"] and connected() == 3

            # The controller goes away; the hall goes on; when it is back the bridge reconnects
            # and sends every board, with the newest text only.
            connections = controller.connections
            await controller.stop()
            await act(client, headers, "complete")
            assert await issue(client, "SB03") == "B003"
            await act(client, headers, "call-next")
            await asyncio.sleep(0.3)  # the bridge hears it while the controller is away
            await eventually(lambda: f"LED controller 127.0.0.1:{port} lost" in led.stderr(), led.stderr)
            restarted = await Controller(controller.port).start()
            try:
                await restarted.until(lambda shown: set(shown) == every)
                assert restarted.shown()[3] == [NAME_3, "B003"]
                assert [lines for address, lines in restarted.frames if address == 3] == [[NAME_3, "B003"]]
                assert restarted.connections == 1 and connections == 1
                await act(client, headers, "complete")
                await restarted.until(lambda shown: shown.get(3) == [NAME_3, "请稍候"], since=14)
            finally:
                await restarted.stop()

    async def run(led: Bridge) -> None:
        controller = await Controller(port).start()
        try:
            await scenario(led, controller)
        finally:
            await controller.stop()

    port = free_port()
    try:
        with bridge(
            tmp_path,
            "tcp",
            *("--server", server.url, "--token", BOARD_TOKEN, "--driver", "tcp"),
            *("--controller", f"127.0.0.1:{port}", "--heartbeat", "0.5", "--max-backoff", "1"),
        ) as led:
            asyncio.run(run(led))
            assert led.stop() == 0, led.stderr()
            assert "led-bridge: stopped" in led.stderr()
    finally:
        for each in servers:
            each.stop()


def test_the_console_driver_and_a_refused_token(tmp_path: Path) -> None:
    assert hall_command(["led-bridge", "--hall", "demo", "--token", "t", "--driver", "tcp"]) == 2  # no --controller
    server = Server(_env(tmp_path), log=tmp_path / "server.log").start()

    async def scenario(console: Bridge, refused: Bridge) -> None:
        first = f"[3] {NAME_3} | 已关闭"
        await eventually(lambda: first in console.stdout(), console.stdout)
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            headers = await manager(client)
            await act(client, headers, "open")
            number = await issue(client, "QY01")
            await act(client, headers, "call-next")
        await eventually(lambda: f"[3] {NAME_3} | {number}" in console.stdout(), console.stdout)
        assert console.stdout().splitlines() == [first, f"[3] {NAME_3} | 请稍候", f"[3] {NAME_3} | {number}"]
        # The refused bridge says why, clearly, and keeps trying.
        await eventually(lambda: refused.stderr().count("HTTP 403") >= 3, refused.stderr)
        assert refused.process.poll() is None and refused.stdout() == ""
        assert "the token is not a device token of hall 'demo'" in refused.stderr()

    try:
        with (
            bridge(tmp_path, "console", "--server", server.url, "--counter", "3", "--token", BOARD_TOKEN) as console,
            bridge(
                tmp_path, "refused", "--server", server.url, "--token", "not-a-token", "--max-backoff", "0.5"
            ) as refused,
        ):
            asyncio.run(scenario(console, refused))
            assert console.stop() == 0 and refused.stop() == 0
    finally:
        server.stop()
