"""Figure 5: printing 1,000 slips to the dummy driver.

Two ways, each over 1,000 different tickets of the demo hall (numbers, items, people ahead
and waits as a busy morning has them):

- the slips: ``slip_for`` (the ticket as a slip), ``render_slip`` (its ESC/POS bytes, with the
  QR code and the cut) and ``drivers.send`` to the dummy printer, one after the other, as
  the server does for a ticket machine; the target: under 2 s for 1,000;
- the whole way after issuing (report): ``PrintService.print_ticket`` on a SQLite database,
  which also stores each job with its bytes and records it printed (two transactions a slip),
  until every job is printed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import time
from pathlib import Path

import msgspec

from config.crypto import RatingKeys
from config.database import connect_engine
from config.halls import load_hall
from config.migrations import upgrade
from printers.drivers import send
from printers.escpos import render_slip
from printers.service import PrintService
from printers.settings import PrinterSpec
from printers.slip import slip_for
from queueing.commands import Priority
from queueing.lifecycle import TicketState
from queueing.views import TicketView
from tests.perf.common import Figure, Outcome, fmt, scratch_dir
from tests.support import DEMO_HALL

__all__ = ["bench_printing"]

_SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _tickets(count: int) -> list[TicketView]:
    hall = load_hall(DEMO_HALL)
    items = hall.rules.items
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=_SHANGHAI)
    tickets = []
    for index in range(count):
        item = items[index % len(items)]
        ahead = index % 40
        tickets.append(
            TicketView(
                id=f"t{index:06d}perfslip",
                number=f"{item.group}{index % 999 + 1:03d}",
                item=item.code,
                item_name=item.name,
                item_name_en=item.name_en,
                group=item.group,
                priority=Priority.GREEN if index % 17 == 0 else Priority.WALK_IN,
                state=TicketState.WAITING,
                people_ahead=ahead,
                estimated_wait_minutes=ahead * 4,
                issued_at=(start + dt.timedelta(seconds=20 * index)).astimezone(dt.UTC),
            )
        )
    return tickets


def bench_printing(count: int = 1000, rounds: int = 5, service_count: int = 1000) -> Outcome:
    started = time.perf_counter()
    outcome = Outcome("printing")
    hall = load_hall(DEMO_HALL)
    tickets = _tickets(count)
    base = "http://hall.example.gov.cn"
    details: dict = {"slips": count, "rounds": rounds}

    def slips(spec: PrinterSpec) -> tuple[float, int]:
        began = time.perf_counter()
        size = 0
        for ticket in tickets:
            slip = slip_for(
                ticket,
                hall.info.name,
                hall.info.name_en,
                hall.info.timezone,
                f"{base}/halls/demo/tickets/{ticket.id}",
                hall.slip,
                hall.info.notice,
            )
            data = render_slip(slip, spec)
            send(spec, data, ticket.number)
            size += len(data)
        return time.perf_counter() - began, size

    for name, spec in {
        "80 mm, GB18030": PrinterSpec(driver="dummy", paper_mm=80),
        "58 mm, Kanji mode": PrinterSpec(driver="dummy", paper_mm=58, chinese="kanji"),
    }.items():
        slips(spec)  # warm-up: imports, the escpos profile
        runs = [slips(spec) for _ in range(rounds)]
        seconds = [r[0] for r in runs]
        best, median = min(seconds), statistics.median(seconds)
        details[name] = {"seconds": seconds, "bytes_per_slip": runs[0][1] / count}
        outcome.figures.append(
            Figure(
                key="printing.slips_80" if name.startswith("80") else "printing.slips_58",
                label=f"{count:,} slips laid out and sent to the dummy driver ({name})",
                value=median,
                unit="s",
                text=f"{fmt(median)} s median of {rounds} (best {fmt(best)} s; "
                f"{fmt(median / count * 1e6)} µs a slip, {runs[0][1] / count:,.0f} bytes)",
                target="< 2 s",
                ok=median < 2.0,
            )
        )

    with scratch_dir("printing") as folder:
        seconds = asyncio.run(_service_way(folder, tickets[:service_count]))
    details["service"] = {"jobs": service_count, "seconds": seconds}
    outcome.figures.append(
        Figure(
            key="printing.service_seconds",
            label=f"{service_count:,} print jobs through the print service (SQLite), stored and printed",
            value=seconds,
            unit="s",
            text=f"{fmt(seconds)} s ({fmt(service_count / seconds)} slips/s)",
        )
    )
    outcome.details = details
    outcome.seconds = time.perf_counter() - started
    return outcome


async def _service_way(folder: Path, tickets: list[TicketView]) -> float:
    hall = load_hall(DEMO_HALL)
    kiosk = next(d for d in hall.devices if d.printer is not None)
    dummy = msgspec.structs.replace(kiosk.printer, path="")  # in memory: the figure is ours, not the disk's
    hall = msgspec.structs.replace(
        hall, devices=tuple(msgspec.structs.replace(d, printer=dummy) if d is kiosk else d for d in hall.devices)
    )
    engine = connect_engine(f"sqlite:///{folder / 'print.db'}")
    upgrade(engine)
    service = PrintService(
        engine,
        [hall.printing_part()],
        lambda: dt.datetime.now(dt.UTC),
        "http://hall.example.gov.cn",
        RatingKeys(b"perf-" * 8),
    )
    began = time.perf_counter()
    jobs = [await service.print_ticket("demo", kiosk.name, t) for t in tickets]
    await service.close()
    for job in jobs:
        assert job is not None
        while (await service.job("demo", job.id)).state != "printed":
            await asyncio.sleep(0.01)
    seconds = time.perf_counter() - began
    engine.dispose()
    return seconds
