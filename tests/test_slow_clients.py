"""Slow and many clients against ``hall serve`` with no proxy in front (config/serving.py).

The attack the issue measured: 1,100 connections from one client, each sending half a request
head and waiting, under a limit of 1,024 open files, left every other request failing for
40 s. Here the server runs under that same hard limit.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
from websockets.sync.client import connect

from tests.support import running
from tests.test_printing import RECEPTION, hall_file, issue

ATTACKERS = 1_100
READ_SECONDS = 3  # the server's deadline for a request to arrive, short for the test


def env(tmp_path: Path, read_seconds: float = READ_SECONDS) -> dict[str, str]:
    return {
        "HALL_DATA_DIR": str(tmp_path / "var"),
        "HALL_LOG_FORMAT": "text",
        "HALL_REQUEST_READ_SECONDS": str(read_seconds),
    }


def closed(sock: socket.socket) -> tuple[bool, bytes]:
    """Whether the server has closed ``sock``, and what it said before."""
    sock.setblocking(False)
    said = b""
    try:
        while chunk := sock.recv(4096):
            said += chunk
    except BlockingIOError:
        return False, said
    except ConnectionResetError:
        pass
    return True, said


def test_half_sent_requests_neither_shut_others_out_nor_stay(tmp_path: Path) -> None:
    # a longer deadline here: the attack must still hold, on a slow machine, while the others ask
    read_seconds = 10
    with running(env(tmp_path, read_seconds), open_files=1_024, log=tmp_path / "server.log") as server:
        attackers = []
        began = time.monotonic()
        for _ in range(ATTACKERS):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(b"GET /api/halls HTTP/1.1\r\nHost: hall\r\nX-Slow: ")  # and never the rest
            attackers.append(sock)

        # Meanwhile a ticket machine asks how long the queues are, five times, and is answered.
        answered = []
        for _ in range(5):
            asked = time.monotonic()
            response = httpx.get(f"{server.url}/api/halls/demo/queue", timeout=5)
            answered.append((response.status_code, round(time.monotonic() - asked, 2)))
        assert all(status == 200 for status, _ in answered), answered
        assert time.monotonic() - began < read_seconds, "the others must be answered while the attack holds"

        # Within the deadline every half-sent request is closed; those that waited their turn are told why.
        time.sleep(max(0.0, began + read_seconds + 1 - time.monotonic()))
        states = [closed(sock) for sock in attackers]
        assert sum(done for done, _ in states) == ATTACKERS
        told = [said for _, said in states if said]
        assert told and all(said.startswith(b"HTTP/1.1 408 ") for said in told)
        for sock in attackers:
            sock.close()


def test_what_has_arrived_whole_is_not_timed(tmp_path: Path) -> None:
    """A device channel and an honest keep-alive client outlive the deadline; so does a request
    whose body comes slowly but whole within it."""
    with running(env(tmp_path), log=tmp_path / "server.log") as server:
        with connect(f"ws://127.0.0.1:{server.port}/ws/halls/demo?token=demo-screen-token") as screen:
            with httpx.Client(base_url=server.url) as client:
                for _ in range(READ_SECONDS + 2):  # one connection, a request a second
                    assert client.get("/api/halls/demo/queue").status_code == 200
                    time.sleep(1)
            assert screen.ping().wait(timeout=5), "the screen's channel was closed at the deadline"

        body = b'{"hall": "demo", "username": "nobody", "password": "wrong"}'
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(
                b"POST /api/auth/login HTTP/1.1\r\nHost: hall\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body)
            )
            for start in range(0, len(body), 20):  # the body in three parts, a second apart
                sock.sendall(body[start : start + 20])
                time.sleep(0.8)
            answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 401 "), answer[:80]


def answers_on(sock: socket.socket, count: int, within: float) -> list[bytes]:
    """The heads of the first ``count`` answers read from ``sock`` within ``within`` seconds
    (fewer if the server closed the connection first)."""
    sock.settimeout(0.2)
    data, deadline = b"", time.monotonic() + within
    while data.count(b"HTTP/1.1 ") < count and time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        if not chunk:
            break
        data += chunk
    return [b"HTTP/1.1 " + part.split(b"\r\n", 1)[0] for part in data.split(b"HTTP/1.1 ")[1:]]


def test_a_slow_answer_to_a_pipelined_request_is_not_cut(tmp_path: Path) -> None:
    """The second of two pipelined requests is a long poll (a print job nobody prints, waited
    for longer than the deadline): it is answered, not closed at the deadline."""
    hall = hall_file(tmp_path, 'driver = "dummy"', reception='driver = "usb"\nvendor_id = 0x0416\nproduct_id = 0x5011')
    with running({**env(tmp_path), "HALL_FILES": str(hall)}) as server, httpx.Client(base_url=server.url) as c:
        job = issue(c, headers=RECEPTION)["print_job"]  # its agent is away: the job waits
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(
                b"GET /api/halls HTTP/1.1\r\nHost: hall\r\n\r\n"
                b"GET /api/halls/demo/print-jobs/%s?wait=%d HTTP/1.1\r\nHost: hall\r\n"
                b"Authorization: Bearer demo-reception-token\r\n\r\n" % (job["id"].encode(), READ_SECONDS + 1)
            )
            assert answers_on(sock, 2, READ_SECONDS + 4) == [b"HTTP/1.1 200 OK"] * 2


def test_a_refusal_before_the_body_does_not_lift_the_next_requests_deadline(tmp_path: Path) -> None:
    """A request refused before its body was read (no token), its body then sent, then half
    of a next request: that half is still closed at the deadline."""
    with running(env(tmp_path)) as server, socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        body = b'{"item": "QY01", "note": "' + b"x" * 200 + b'"}'
        sock.sendall(
            b"POST /api/halls/demo/tickets HTTP/1.1\r\nHost: hall\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body[:20]
        )
        assert answers_on(sock, 1, 5) == [b"HTTP/1.1 401 Unauthorized"]  # refused at once
        sock.sendall(body[20:] + b"GET /api/halls HTTP/1.1\r\nHost: hall\r\n")  # and a head never ended
        time.sleep(READ_SECONDS + 1)
        assert closed(sock)[0], "a half-sent request outlived the deadline"
