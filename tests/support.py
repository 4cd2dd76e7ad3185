"""Helpers shared by the tests: a movable clock, core drivers, a live server process."""

from __future__ import annotations

import array
import datetime as dt
import logging
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
import wave
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from config.halls import HallDefinition, load_hall
from config.privacy import mask_phone
from displays.voicepack import CLIP_FILES, MANIFEST
from queueing.commands import Actor, DefineCounter, OpenCounter, Role, SignIn
from queueing.hall import HallQueue

ROOT = Path(__file__).resolve().parent.parent
DEMO_HALL = ROOT / "config" / "halls" / "demo.toml"
SMALL_HALL = ROOT / "tests" / "halls" / "small.toml"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# A Monday morning in the hall's zone, inside opening hours.
MONDAY_9 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
MANAGER = Actor("manager", Role.MANAGER)
KIOSK = Actor("kiosk-1", Role.DEVICE)


def staff(name: str) -> Actor:
    return Actor(name, Role.STAFF)


class Clock:
    """A clock the test moves by hand; the service and the app read it."""

    def __init__(self, start: dt.datetime = MONDAY_9) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def demo_hall() -> HallDefinition:
    return load_hall(DEMO_HALL)


def demo_queue(at: dt.datetime = MONDAY_9, open_counters: tuple[int, ...] = ()) -> HallQueue:
    """The demo hall's core with its counters defined and ``open_counters`` opened by the manager."""
    hall = demo_hall()
    queue = HallQueue(hall.rules)
    for spec in hall.counters:
        queue.handle(DefineCounter(at=at, spec=spec))
    for number in open_counters:
        queue.handle(OpenCounter(at=at, actor=MANAGER, counter=number))
    return queue


def sign_in_and_open(queue: HallQueue, counter: int, who: str, at: dt.datetime) -> Actor:
    actor = staff(who)
    queue.handle(SignIn(at=at, actor=actor, counter=counter))
    queue.handle(OpenCounter(at=at, actor=actor, counter=counter))
    return actor


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# A real hall's key and public address, for the test halls' in-process apps (the test
# client's host) and servers (their own address).
TEST_KEY = "test-hall-secret-key-0123456789abcdef"
REAL_HALL = {"secret_key": TEST_KEY, "public_url": "http://testserver.local"}


class Server:
    """``hall serve`` in a child process, as an operator would start it."""

    def __init__(
        self,
        env: dict[str, str],
        port: int | None = None,
        workers: int = 1,
        log: Path | None = None,
        open_files: int | None = None,
    ):
        self.port = port or free_port()
        self.open_files = open_files  # a hard limit of open files for the server, as a service manager sets
        self.url = f"http://127.0.0.1:{self.port}"
        # What a real hall must be given (the test halls are not the demo), unless ``env`` says.
        given = {"HALL_SECRET_KEY": TEST_KEY, "HALL_PUBLIC_URL": self.url}
        self.env = {**given, **os.environ, **env, "HALL_PORT": str(self.port), "HALL_WORKERS": str(workers)}
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> Server:
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "config.cli", "serve"],
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=out,
            start_new_session=True,  # its own process group: kill() takes any worker with it
            preexec_fn=self._limit_open_files if self.open_files else None,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {self.log}")
            try:
                if httpx.get(self.url + "/api/halls", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"server on {self.url} did not come up")

    def _limit_open_files(self) -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.open_files, self.open_files))

    def kill(self) -> None:
        """kill -9: no shutdown hooks, no flushing, like a power cut to the process."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        stop_group(self.process)


def stop_group(process: subprocess.Popen | None) -> None:
    """Stop a child started in a session of its own, and its children: asked first (SIGTERM),
    then killed if it has not gone within 15 s."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


class RedisServer:
    """A Redis server of the test's own, to kill and start again (on the same port) while the hall runs."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        command = ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise TimeoutError(f"redis-server on port {self.port} did not come up")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a stopped one too
            self.process.kill()
            self.process.wait(timeout=10)

    def stall(self, stalled: bool = True) -> None:
        """Stopped (SIGSTOP): it accepts connections and answers nothing, like a hung Redis."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP if stalled else signal.SIGCONT)


@contextmanager
def running(env: dict[str, str], **kwargs) -> Iterator[Server]:
    server = Server(env, **kwargs).start()
    try:
        yield server
    finally:
        server.stop()


def login(client, username: str, password: str, hall: str = "demo") -> dict[str, str]:
    response = client.post("/api/auth/login", json={"hall": hall, "username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": "Bearer " + response.json()["token"]}


# ---------------------------------------------------------------- people (appointments)


def with_check_digit(body: str) -> str:
    """17 digits and their GB 11643 check digit: a resident ID, a 港澳台居民居住证 (81…, 82…,
    83…) or a 2023 外国人永久居留身份证 (9…)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def id_number(serial: int, birth: str = "19900101") -> str:
    """A valid resident ID number (GB 11643 check digit)."""
    return with_check_digit(f"320102{birth}{serial:03d}")


def person(serial: int = 1, **more: object) -> dict[str, object]:
    return {"id_number": id_number(serial), "name": "张三丰", "phone": f"1381234{serial:04d}", **more}


@contextmanager
def logged(caplog, name: str, level: int = logging.INFO) -> Iterator:
    """``caplog`` on the logger ``name`` itself (and not again through root): the app's logging
    config may have stopped "hall" from propagating."""
    logger = logging.getLogger(name)
    before = logger.level, logger.propagate
    logger.addHandler(caplog.handler)
    logger.setLevel(level)
    logger.propagate = False
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)
        logger.setLevel(before[0])
        logger.propagate = before[1]


def tone_pack(folder: Path, clips: Iterable[str] = CLIP_FILES, rate: int = 22050, manifest: str = "") -> list[str]:
    """A voice pack of square tones, each clip a different length (0.06 s, 0.064 s, …) so that
    the clips of a call can be told apart in its WAV; ``manifest``: more of ``[pack]``.
    Returns what the clips say, shortest first."""
    folder.mkdir(parents=True, exist_ok=True)
    said = list(clips)
    lines = ["[pack]", 'name = "tones"', f"sample_rate = {rate}", manifest, "[clips]"]
    for index, words in enumerate(said):
        frames, period = round(rate * (0.06 + 0.004 * index)), rate // (200 + 10 * index)
        pcm = array.array("h", [8000 if (i // (period // 2)) % 2 else -8000 for i in range(frames)]).tobytes()
        with wave.open(str(folder / f"clip-{index}.wav"), "wb") as audio:
            audio.setnchannels(1)
            audio.setsampwidth(2)
            audio.setframerate(rate)
            audio.writeframes(pcm)
        lines.append(f'"{words}" = "clip-{index}.wav"')
    (folder / MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return said


def phone_code(
    client: object, phone: str, hall: str = "demo", log: Path | None = None, headers: dict[str, str] | None = None
) -> str:
    """Ask for a one-time code to ``phone`` as the booking page does, and read it where the
    demo's log notifier puts it: the in-process app's notifier (a ``TestClient``), or the line
    it logs (at INFO) in the ``log`` file of the server ``client`` asked."""
    path = f"/api/halls/{hall}/appointments/phone-codes"
    answer = client.post(path, json={"phone": phone}, headers=headers or {})  # type: ignore[attr-defined]
    assert answer.status_code == 202, answer.text
    if log is None:
        sent = client.app.state.appointments.notifier.sent  # type: ignore[attr-defined]
        return next(m.passcode for m in reversed(sent) if m.kind == "phone_code" and m.to_phone == phone)
    return code_in_log(log, phone)


def code_in_log(log: Path, phone: str) -> str:
    """The last one-time code the demo's log notifier logged for ``phone`` (as ``check_phone``
    gives it) in a server's log file."""
    line = re.compile(rf"one-time code (\d{{6}}) for phone {re.escape(mask_phone(phone))}")
    return line.findall(log.read_text(encoding="utf-8"))[-1]


def booking_request(item: str, slot_start: str, who: dict[str, object], **more: object) -> dict[str, object]:
    """What ``POST …/appointments`` takes: the person with both consents given (the general one
    and the separate one for the document number), unless ``more`` says otherwise."""
    return {
        "item": item, "slot_start": slot_start, "person": who, "privacy_consent": True, "document_consent": True,
        **more,
    }  # fmt: skip
