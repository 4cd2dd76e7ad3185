"""PDF tickets drawn away from the hall (printers/renderer.py): in a worker process, a bounded
queue answering 503 with Retry-After past its bound, a bounded cache keyed by what the slip says.

No timings here (those are tests/perf/pdf.py's): what is drawn, what is refused, what is kept.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import msgspec
import pytest

from config.halls import ConfigError
from config.settings import load_settings
from printers.pdf import find_font, render_pdf
from printers.renderer import Busy, PdfSettings, SlipRenderer
from queueing.errors import Unavailable
from tests.support import running
from tests.test_pdf import SLIP
from tests.test_printing import env, hall_file, issue


@pytest.fixture(scope="module")
def font() -> Path:
    return find_font()


def slips(count: int) -> list:
    return [msgspec.structs.replace(SLIP, number=f"A{n:03d}") for n in range(1, count + 1)]


def test_a_slip_drawn_in_the_worker_is_the_slip(font: Path) -> None:
    renderer = SlipRenderer()

    async def draw() -> bytes:
        return await renderer.render(SLIP, font)

    try:
        pdf = asyncio.run(draw())
        worker = list(renderer._pool._processes) if renderer._pool else []  # type: ignore[union-attr]
    finally:
        renderer.close()
    assert pdf == render_pdf(SLIP, font)  # the same bytes as drawn here (rendering is deterministic)
    assert worker and os.getpid() not in worker  # … drawn in another process


def test_the_cache_keeps_only_the_last_slips_and_redraws_a_changed_one(font: Path, tmp_path: Path) -> None:
    renderer = SlipRenderer(PdfSettings(cache=2))
    a, b, c = slips(3)

    async def run() -> tuple[bytes, bytes]:
        for slip in (a, b, c):
            await renderer.render(slip, font)
        assert renderer.cached == 2 and renderer.drawn == 3  # bounded: a is gone
        await renderer.render(c, font)
        await renderer.render(b, font)
        assert renderer.drawn == 3  # b and c from the cache
        await renderer.render(a, font)
        assert renderer.drawn == 4 and renderer.cached == 2  # a drawn again, c (least recent) gone
        # The people ahead change while a ticket waits: the same ticket says something new.
        before = await renderer.render(a, font)
        after = await renderer.render(msgspec.structs.replace(a, people_ahead=1), font)
        assert renderer.drawn == 5
        return before, after

    try:
        before, after = asyncio.run(run())
    finally:
        renderer.close()
    assert before != after
    path = tmp_path / "after.pdf"
    path.write_bytes(after)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "前面还有 1 人等候" in text and "前面还有 3 人等候" not in text


def test_past_the_bound_it_is_busy_at_once_and_the_same_slip_is_drawn_once(font: Path) -> None:
    renderer = SlipRenderer(PdfSettings(waiting=2, cache=0))

    async def run() -> tuple[list, int, list]:
        await renderer.render(SLIP, font)  # the worker started, the font parsed
        drawn = renderer.drawn
        answers = await asyncio.gather(*(renderer.render(s, font) for s in slips(6)), return_exceptions=True)
        during = renderer.drawing
        same = await asyncio.gather(*(renderer.render(SLIP, font) for _ in range(6)), return_exceptions=True)
        return answers, renderer.drawn - drawn, [during, *same]

    try:
        answers, drawn, (during, *same) = asyncio.run(run())
    finally:
        renderer.close()
    busy = [a for a in answers if isinstance(a, Exception)]
    assert [type(a) for a in busy] == [Busy] * 4 and all(isinstance(a, bytes) for a in answers[:2])
    assert isinstance(busy[0], Unavailable) and busy[0].status_code == 503 and "稍后再试" in busy[0].message_zh
    assert during == 0  # nothing left waiting
    assert all(isinstance(a, bytes) and a == same[0] for a in same) and drawn == 2 + 1  # six asks, one drawing


def test_a_dead_worker_is_replaced(font: Path) -> None:
    renderer = SlipRenderer()

    async def run() -> bytes:
        await renderer.render(SLIP, font)
        pool = renderer._pool
        assert pool is not None
        for pid in list(pool._processes):  # type: ignore[attr-defined]
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not pool._broken and time.monotonic() < deadline:  # type: ignore[attr-defined]
            await asyncio.sleep(0.05)
        return await renderer.render(slips(1)[0], font)

    try:
        pdf = asyncio.run(run())
    finally:
        renderer.close()
    assert pdf == render_pdf(slips(1)[0], font)


def test_a_hung_worker_is_ended_and_the_next_slip_drawn_by_a_new_one(font: Path) -> None:
    renderer = SlipRenderer()
    renderer.draw_seconds = 2.0

    async def run() -> bytes:
        await renderer.render(SLIP, font)
        pool = renderer._pool
        assert pool is not None
        for pid in list(pool._processes):  # type: ignore[attr-defined]
            os.kill(pid, signal.SIGSTOP)  # alive, and answering nothing
        with pytest.raises(Busy):
            await renderer.render(slips(3)[1], font)
        assert renderer._pool is None  # the hung one ended; the next slip starts another
        # A new worker starts cold (reportlab, the CJK font): on a loaded machine that alone can
        # pass 2 s, and what is tested here is that it starts, not how fast.
        renderer.draw_seconds = 30.0
        return await renderer.render(slips(3)[2], font)

    try:
        pdf = asyncio.run(run())
    finally:
        renderer.close()
    assert pdf == render_pdf(slips(3)[2], font)


def test_a_flood_of_pdf_tickets_is_answered_503_with_retry_after(tmp_path: Path) -> None:
    """Over HTTP: past the bound the answer is 503 + Retry-After at once; the rest are PDFs, and
    the kiosk still issues while the flood runs."""
    hall = hall_file(tmp_path, 'driver = "dummy"')
    settings = tmp_path / "settings.toml"
    settings.write_text("[limits]\npdf = 0\n[pdf]\nwaiting = 1\ncache = 0\n")
    with (
        running(env(tmp_path, hall, HALL_SETTINGS=str(settings)), log=tmp_path / "server.log") as server,
        httpx.Client(base_url=server.url, timeout=60) as c,
    ):
        tickets = [issue(c)["id"] for _ in range(12)]
        assert c.get(f"/api/halls/demo/tickets/{tickets[0]}/slip.pdf").status_code == 200  # the worker up
        answers: list[httpx.Response] = []
        clients = [httpx.Client(base_url=server.url, timeout=60) for _ in tickets[1:]]
        together = threading.Barrier(len(clients))

        def fetch(client: httpx.Client, ticket: str) -> None:
            together.wait()
            answers.append(client.get(f"/api/halls/demo/tickets/{ticket}/slip.pdf"))

        threads = [threading.Thread(target=fetch, args=pair) for pair in zip(clients, tickets[1:], strict=True)]
        for thread in threads:
            thread.start()
        issued = issue(c)  # the hall goes on
        for thread in threads:
            thread.join()
        for client in clients:
            client.close()
        statuses = sorted(a.status_code for a in answers)
        assert set(statuses) == {200, 503} and len(statuses) == 11, statuses
        for answer in answers:
            if answer.status_code == 200:
                assert answer.content.startswith(b"%PDF") and answer.headers["content-type"] == "application/pdf"
            else:
                assert answer.headers["retry-after"].isdigit()
                body = answer.json()
                assert body["error"] == "unavailable" and "稍后再试" in body["detail_zh"]
        assert issued["number"]
        assert c.get(f"/api/halls/demo/tickets/{tickets[-1]}/slip.pdf").status_code == 200  # served again after


def test_the_pdf_settings(tmp_path: Path) -> None:
    assert load_settings(env={}).pdf == PdfSettings(workers=1, waiting=16, cache=128)
    path = tmp_path / "settings.toml"
    path.write_text("[pdf]\nwaiting = 4\ncache = 0\n")
    assert load_settings(path, env={}).pdf == PdfSettings(workers=1, waiting=4, cache=0)
    path.write_text("[pdf]\nwaiting = 0\n")  # no queue at all would refuse every PDF
    with pytest.raises(ConfigError, match=r"pdf\.waiting"):
        load_settings(path, env={})
