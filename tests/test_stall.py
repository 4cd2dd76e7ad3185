"""A database that stalls (a network that holds packets, a PostgreSQL frozen): the issue
measured every request held 29.5 s by a 30 s stall, since nothing timed out. Here the hall's
PostgreSQL is reached through a TCP relay the test can freeze: requests that the hall has not
begun are answered 503 with Retry-After within ``database_wait_seconds``, nothing done; those it
had begun finish when the database is back; and the hall goes on.
"""

from __future__ import annotations

import concurrent.futures
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import sqlalchemy as sa

from tests.support import booking_request, login, person, phone_code, running

WAIT = 3  # database_wait_seconds for this test
KIOSK = {"Authorization": "Bearer demo-kiosk-token"}


class Relay:
    """A TCP relay to ``target`` whose traffic can be frozen (held, not dropped) and let go."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.flowing = threading.Event()
        self.flowing.set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                near, _ = self.listener.accept()
            except OSError:
                return
            far = socket.create_connection(self.target)
            for source, sink in ((near, far), (far, near)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                self.flowing.wait()
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                end.close()

    def close(self) -> None:
        self.listener.close()


def through_relay(tmp_path: Path, pg_url: str) -> tuple[Relay, dict[str, str]]:
    """A relay to the test's PostgreSQL, and a server's environment that reaches it through it."""
    parts = urlsplit(pg_url)
    relay = Relay((parts.hostname or "127.0.0.1", parts.port or 5432))
    env = {
        "HALL_DATA_DIR": str(tmp_path / "var"),
        "DATABASE_URL": urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{relay.port}")),
        "HALL_LOG_FORMAT": "text",
        "HALL_DATABASE_WAIT_SECONDS": str(WAIT),
    }
    return relay, env


def test_a_stalling_database_answers_503_in_seconds_and_loses_nothing(tmp_path: Path, pg_url: str) -> None:
    relay, env = through_relay(tmp_path, pg_url)
    with running(env, log=tmp_path / "server.log") as server, httpx.Client(base_url=server.url, timeout=60) as c:
        manager = login(c, "manager", "demo-manager")
        assert c.post("/api/halls/demo/tickets", json={"item": "QY01"}, headers=KIOSK).status_code == 201

        relay.flowing.clear()  # the database stalls
        frozen_at = time.monotonic()

        def issue(_: int) -> tuple[int, float, str]:
            with httpx.Client(base_url=server.url, timeout=60) as own:
                answer = own.post("/api/halls/demo/tickets", json={"item": "QY01"}, headers=KIOSK)
                return answer.status_code, time.monotonic() - frozen_at, answer.headers.get("retry-after", "")

        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            asked = [pool.submit(issue, n) for n in range(12)]
            time.sleep(WAIT + 3)  # the stall goes on past every deadline
            told = [a.result() for a in asked if a.done()]
            relay.flowing.set()  # the database is back
            answers = [a.result() for a in asked]

        refused = [a for a in answers if a[0] == 503]
        # Only the batch the hall had begun before the stall waits for the database; the rest are told.
        assert len(told) >= 6 and all(status == 503 and after < WAIT + 2 for status, after, _ in told), (told, answers)
        assert all(retry == "5" for _, _, retry in refused)
        issued = [a for a in answers if a[0] == 201]
        assert len(issued) + len(refused) == len(answers), answers

        # Nothing half-done: the hall holds the first ticket and exactly those answered 201.
        queue = c.get("/api/halls/demo/queue").json()
        waiting = next(i["waiting"] for i in queue["items"] if i["code"] == "QY01")
        assert waiting == 1 + len(issued)
        assert c.post("/api/halls/demo/counters/1/open", headers=manager).status_code == 200  # and goes on
    relay.close()


def test_work_outside_the_halls_queue_is_answered_503_in_seconds_and_rolled_back(tmp_path: Path, pg_url: str) -> None:
    """Sign-in, a booking and the audit search go to the database outside the hall's thread.
    Stalled, each is answered 503 within the deadline; the booking, begun and stuck, is rolled
    back when the database returns rather than made behind the client's back."""
    relay, env = through_relay(tmp_path, pg_url)
    log = tmp_path / "server.log"
    with running(env, log=log) as server, httpx.Client(base_url=server.url, timeout=60) as c:
        manager = login(c, "manager", "demo-manager")
        slots = c.get("/api/halls/demo/appointments/slots", params={"item": "QY01", "days": 14}).json()
        start = next(s["start"] for s in slots if s["state"] == "open")
        phone = "13812340077"
        code = phone_code(c, phone, log=log)
        booking = booking_request("QY01", start, person(77, phone=phone), phone_code=code)

        relay.flowing.clear()  # the database stalls
        frozen_at = time.monotonic()
        asks = {
            "sign-in": (
                "POST",
                "/api/auth/login",
                {"json": {"hall": "demo", "username": "manager", "password": "demo-manager"}},
            ),
            "booking": ("POST", "/api/halls/demo/appointments", {"json": booking}),
            "audit": ("GET", "/api/halls/demo/audit", {"headers": manager}),
        }

        def ask(what: str) -> tuple[str, int, float, str]:
            method, path, more = asks[what]
            with httpx.Client(base_url=server.url, timeout=60) as own:
                answer = own.request(method, path, **more)
                return what, answer.status_code, time.monotonic() - frozen_at, answer.headers.get("retry-after", "")

        with concurrent.futures.ThreadPoolExecutor(len(asks)) as pool:
            answers = list(pool.map(ask, asks))
        relay.flowing.set()  # the database is back
        for what, status, after, retry in answers:
            assert status == 503 and after < WAIT + 2 and retry == "5", (what, status, after)

        time.sleep(2)  # the stuck booking's statements reach the database now: it must not commit
        assert c.get("/api/halls/demo/appointments/today", headers=manager).status_code == 200  # and goes on
        assert login(c, "manager", "demo-manager")
    relay.close()
    with sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1)).connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM appointment")).scalar_one() == 0
    lines = log.read_text(encoding="utf-8")
    assert lines.count("unavailable (answered 503)") >= len(asks) and "Traceback" not in lines
