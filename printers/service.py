"""Printing slips: after a ticket is recorded, never in its way.

A ticket machine with a printer gets a print job for each ticket it issues: the slip is laid
out (``escpos.render_slip``) and stored with the job, then

- a printer the server drives (network, file, dummy) is sent it at once, in a thread, one
  slip at a time per printer;
- a printer on the ticket machine's PC (USB) is printed by its ``hall print-agent``: the job
  waits in the table until the agent takes it, so none is lost while the agent reconnects.

Whatever the printer does, the ticket already exists: the kiosk shows the number and its QR
code, learns how the print went (``job``, waiting up to a few seconds) and offers a reprint;
a fault is logged and kept per printer for managers (``printers``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import secrets
from collections.abc import Callable
from pathlib import Path

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from config.crypto import RatingKeys
from config.database import in_thread, log_background_failure
from printers.drivers import PrinterFault, send
from printers.escpos import render_slip
from printers.models import PrintJobRow
from printers.schemas import PrinterView, PrintJobView
from printers.settings import PrinterSpec, PrintingHall
from printers.slip import Slip, slip_for
from printers.store import PrintStore
from queueing.errors import Forbidden, NotFound, Refusal
from queueing.lifecycle import TicketState
from queueing.views import TicketView

__all__ = ["PrintBell", "PrintService"]

log = logging.getLogger("hall.printers")
_CHANNEL = "hallq:print"
_STORING_SECONDS = 2.0  # how long a job just handed out may take to be stored


class PrintBell:
    """Wakes a print agent's session when a job for its device is added, in this process
    or, with Redis, in any."""

    def __init__(self, redis_url: str = "") -> None:
        self.redis_url = redis_url
        self._events: dict[tuple[str, str], asyncio.Event] = {}
        self._redis = None
        self._listener: asyncio.Task | None = None

    async def start(self) -> None:
        if self.redis_url:
            import redis.asyncio as redis

            self._redis = redis.from_url(self.redis_url)
            self._listener = asyncio.create_task(self._listen(), name="print-bell")

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._redis is not None:
            await self._redis.aclose()

    def event(self, hall: str, device: str) -> asyncio.Event:
        return self._events.setdefault((hall, device), asyncio.Event())

    async def ring(self, hall: str, device: str) -> None:
        self.event(hall, device).set()
        if self._redis is not None:
            try:
                await self._redis.publish(_CHANNEL, f"{hall}\x00{device}")
            except Exception:  # the other processes' agents find the job on their next look
                log.warning("print bell: Redis publish failed", exc_info=True)

    async def _listen(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:  # type: ignore[union-attr]
                    await pubsub.subscribe(_CHANNEL)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            hall, _, device = message["data"].decode().partition("\x00")
                            self.event(hall, device).set()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("print bell: Redis subscription lost; retrying", exc_info=True)
                await asyncio.sleep(2)


class PrintService:
    """Slips for the ticket machines of ``halls`` (each hall's printing part); the queue's
    ``SlipPrinter``."""

    def __init__(
        self,
        engine: Engine,
        halls: list[PrintingHall],
        clock: Callable[[], dt.datetime],
        public_url: str,  # where the slips' QR codes point (Settings.public_base)
        keys: RatingKeys,  # the slips' rating keys (评价码)
        bell: PrintBell | None = None,
        data_dir: str = "var",
    ) -> None:
        self.store = PrintStore(engine)
        self.halls = {h.id: h for h in halls}
        self.clock = clock
        self.public_url = public_url.rstrip("/")
        self.keys = keys
        self.bell = bell or PrintBell()
        self.data_dir = Path(data_dir)
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._tasks: set[asyncio.Task] = set()

    async def close(self) -> None:
        for task in list(self._tasks):  # a slip on its way gets a moment to finish
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(task), timeout=2)

    # ---------------------------------------------------------------- slips

    def status_url(self, hall: str, ticket_id: str, *, keyed: bool) -> str:
        """The ticket's page, at the hall's public address (never a request's Host header);
        ``keyed``: with its rating key (``?k=``, 评价码), which rates the service on that page.
        Only the slip and its holder get that link: the QR code printed, the PDF, the kiosk."""
        url = f"{self.public_url}/halls/{hall}/tickets/{ticket_id}"
        return f"{url}?k={self.keys.key(hall, ticket_id)}" if keyed else url

    def holds_key(self, hall: str, ticket_id: str, key: str | None) -> bool:
        """Whether a request for a slip (its PDF, its QR code) came with the ticket's rating key:
        without one it gets the slip without the key; a wrong one is refused (403)."""
        if not key:
            return False
        if not self.keys.holds(hall, ticket_id, key):
            raise Forbidden("the rating key does not match this ticket", "评价码与该号不符，请扫描凭条上的二维码")
        return True

    def _hall(self, hall: str) -> PrintingHall:
        found = self.halls.get(hall)
        if found is None:
            raise NotFound(f"no hall {hall!r}", f"没有大厅 {hall}")
        return found

    def slip(self, hall: str, ticket: TicketView, *, keyed: bool) -> Slip:
        """The slip of ``ticket``; ``keyed``: its QR code with the rating key (the printed one)."""
        part = self._hall(hall)
        return slip_for(
            ticket,
            part.info.name,
            part.info.name_en,
            part.info.timezone,
            self.status_url(hall, ticket.id, keyed=keyed),
            part.slip,
            part.info.notice,
        )

    def printer_of(self, hall: str, device: str) -> PrinterSpec | None:
        """The printer of the ticket machine ``device``, if it has one."""
        return self._hall(hall).printers.get(device)

    async def print_ticket(
        self, hall: str, device: str, ticket: TicketView, *, keyed: bool = True
    ) -> PrintJobView | None:
        """A print job for ``ticket`` on ``device``'s printer (None: it has none). Never raises
        for the printer's sake: a fault ends up in the job. ``keyed``: the slip's QR link carries
        the rating key (the paper slip: its holder rates)."""
        printer = self.printer_of(hall, device)
        if printer is None:
            return None
        data = render_slip(self.slip(hall, ticket, keyed=keyed), printer)
        job = PrintJobRow(
            id=secrets.token_urlsafe(12),
            hall=hall,
            device=device,
            ticket_id=ticket.id,
            number=ticket.number,
            created_at=self.clock(),
            state="queued",
            attempts=0 if printer.where == "agent" else 1,  # the server tries it at once; the agent counts its own
            data=data,
        )
        # Stored and printed after the answer: issuing waits for neither, and fails for neither.
        task = asyncio.create_task(self._spool(job, printer.where), name=f"print {hall}/{device}/{job.number}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return PrintJobView(
            id=job.id,
            ticket_id=job.ticket_id,
            number=job.number,
            device=device,
            state="queued",
            created_at=job.created_at,
        )

    async def _spool(self, job: PrintJobRow, where: str) -> None:
        slip = {"hall": job.hall, "device": job.device, "number": job.number}
        try:
            await asyncio.to_thread(self.store.add, job)
        except Exception as exc:  # the ticket stands; the kiosk finds no job and offers a reprint
            log_background_failure(log, "print job not stored", exc, **slip)
            return
        if where == "agent":
            await self.bell.ring(job.hall, job.device)
            return
        try:
            await self._print_here(job)
        except sa.exc.SQLAlchemyError as exc:  # the slip's outcome not recorded: the job stays queued
            log_background_failure(log, "print job's outcome not recorded", exc, **slip)

    async def reprint(self, hall: str, device: str, ticket: TicketView) -> PrintJobView:
        if self.printer_of(hall, device) is None:
            raise NotFound(f"ticket machine {device!r} of hall {hall} has no printer", "该取号机没有打印机")
        # A slip lost while waiting is given again whole; once the ticket has been called, a
        # reprint carries no rating key: whoever served it (or anyone at a kiosk) cannot print
        # himself the key to rate that service (the counter's pad still rates it).
        waiting = ticket.state == TicketState.WAITING
        view = await self.print_ticket(hall, device, ticket, keyed=waiting)
        assert view is not None
        return view

    async def _print_here(self, job: PrintJobRow) -> None:
        printer = self.printer_of(job.hall, job.device)
        assert printer is not None
        if printer.driver == "dummy" and printer.path and not Path(printer.path).is_absolute():
            # the dummy keeps slips under the data folder, not wherever the server was started
            printer = msgspec.structs.replace(printer, path=str(self.data_dir / printer.path))
        lock = self._locks.setdefault((job.hall, job.device), asyncio.Lock())
        async with lock:  # one slip at a time on a printer: two at once would interleave
            try:
                async with asyncio.timeout(printer.timeout_seconds * 3):
                    await asyncio.to_thread(send, printer, job.data, f"{job.number}-{job.id[:6]}")
            except PrinterFault as fault:
                await self._failed(job, fault.kind, str(fault))
                return
            except TimeoutError:
                await self._failed(job, "offline", f"no answer in {printer.timeout_seconds * 3:g} s")
                return
            except Exception as exc:  # a driver's own bug must not lose the fault
                await self._failed(job, "error", f"{type(exc).__name__}: {exc}")
                return
            await asyncio.to_thread(self.store.finish, job.hall, job.id, "printed", self.clock())

    async def _failed(self, job: PrintJobRow, fault: str, error: str) -> None:
        log.warning(
            "slip not printed",
            extra={"hall": job.hall, "device": job.device, "number": job.number, "fault": fault, "error": error},
        )
        await asyncio.to_thread(self.store.finish, job.hall, job.id, "failed", self.clock(), fault, error)

    # ---------------------------------------------------------------- what happened

    async def job(self, hall: str, job_id: str, wait: float = 0.0) -> PrintJobView:
        """The job; with ``wait``, up to that many seconds for it to be printed or fail."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, min(wait, 30.0))
        # A job is stored just after the ticket is answered: one asked for at once may not be there yet.
        unknown_until = loop.time() + _STORING_SECONDS
        while True:
            view = await in_thread(self.store.job, hall, job_id)
            if view is None:
                if loop.time() >= unknown_until:
                    raise NotFound(f"no print job {job_id!r} in hall {hall}", "没有该打印任务")
                await asyncio.sleep(0.05)
                continue
            if view.state not in ("queued", "sent") or loop.time() >= deadline:
                return view
            await asyncio.sleep(min(0.1, max(0.0, deadline - loop.time())))

    async def printers(self, hall: str) -> list[PrinterView]:
        statuses, waiting = await in_thread(self.store.printers, hall)
        views = []
        for device, printer in self._hall(hall).printers.items():
            row = statuses.get(device)
            agent = printer.where == "agent"
            views.append(
                PrinterView(
                    device=device,
                    printer=printer.describe(),
                    driven_by=printer.where,
                    state=row.state if row else "unknown",
                    error=row.error if row else "",
                    changed_at=row.changed_at if row else None,
                    last_printed_at=row.last_printed_at if row else None,
                    waiting_jobs=waiting.get(device, 0),
                    agent_connected=(bool(row.agent_connected) if row else False) if agent else None,
                    agent_seen_at=row.agent_seen_at if row and agent else None,
                )
            )
        return views

    # ---------------------------------------------------------------- the print agent

    def agent_printer(self, hall: str, device: str) -> PrinterSpec:
        """The printer the print agent of ``device`` drives."""
        printer = self.printer_of(hall, device)
        if printer is None or printer.where != "agent":
            raise Refusal(
                f'ticket machine {device!r} has no printer for a print agent (its printer needs at = "agent")',
                "该设备没有由打印代理驱动的打印机",
            )
        return printer

    async def agent_jobs(self, hall: str, device: str, given: frozenset[str] = frozenset()) -> list[PrintJobRow]:
        """Jobs for the agent of ``device`` it was not ``given`` in this session."""
        expiry = dt.timedelta(minutes=self._hall(hall).slip.job_expiry_minutes)
        return await asyncio.to_thread(self.store.for_agent, hall, device, self.clock(), expiry, given)

    async def agent_result(self, hall: str, job_id: str, fault: str = "", error: str = "") -> None:
        at = self.clock()
        if fault:
            view = await asyncio.to_thread(self.store.job, hall, job_id)
            if view is not None:
                log.warning(
                    "slip not printed",
                    extra={"hall": hall, "device": view.device, "number": view.number, "fault": fault, "error": error},
                )
            await asyncio.to_thread(self.store.finish, hall, job_id, "failed", at, fault, error)
        else:
            await asyncio.to_thread(self.store.finish, hall, job_id, "printed", at)

    async def agent_seen(self, hall: str, device: str, connected: bool) -> None:
        await asyncio.to_thread(self.store.agent_seen, hall, device, self.clock(), connected)
