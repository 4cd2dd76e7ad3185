"""HTTP handlers of the queue: halls, tickets and the queue snapshot.

The paths are a public contract for ticket machines, displays and integrators:

- ``POST /api/halls/{hall}/tickets``            issue (device or staff token)
- ``GET  /api/halls/{hall}/tickets/{id}``       a ticket's status
- ``GET  /api/halls/{hall}/queue``              waiting per group and item, every counter
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import threading
from typing import Annotated

import msgspec
from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from config.audit.marks import IN_HALL_RECORD
from config.auth import Principal, issuer_guard, staff_guard
from config.crypto import RatingKeys
from queueing.commands import CancelTicket, IssueTicket, MoveTicket, Priority, Reinstate
from queueing.errors import NotFound
from queueing.hall import HallQueue
from queueing.lifecycle import TicketState
from queueing.params import CounterQuery
from queueing.ports import SlipPrinter
from queueing.schemas import DomainInfo, HallDetails, HallSummary, IssuedTicket, IssueRequest, ItemInfo, MoveRequest
from queueing.service import HallRegistry, HallRuntime
from queueing.views import QueueView, TicketStep, TicketView, ticket_step

__all__ = ["router"]

log = logging.getLogger("hall.queue")


class _RandomBytes:
    """The system's random bytes, drawn 4 KiB at a time: ``os.urandom`` lets go of the GIL,
    and the event loop then waited for the halls' worker thread to give it back (up to its
    5 ms switch interval; a tenth of the loop's time at 500 operations a second)."""

    def __init__(self, draw: int = 4096) -> None:
        self._draw = draw
        self.forget()
        # A forked child would hand out the very ids its parent is about to (and could inherit
        # the lock held by a thread that does not exist there): it draws its own.
        os.register_at_fork(after_in_child=self.forget)

    def forget(self) -> None:
        self._lock = threading.Lock()
        self._bytes, self._at = b"", 0

    def take(self, n: int) -> bytes:
        with self._lock:
            if self._at + n > len(self._bytes):
                self._bytes, self._at = os.urandom(max(n, self._draw)), 0
            taken = self._bytes[self._at : self._at + n]
            self._at += n
            return taken


_random_bytes = _RandomBytes()


def new_ticket_id() -> str:
    """Random and long enough that a ticket's status link cannot be guessed (as
    ``secrets.token_urlsafe(12)``)."""
    return base64.urlsafe_b64encode(_random_bytes.take(12)).rstrip(b"=").decode("ascii")


@get("/api/halls", summary="The halls this server runs")
async def list_halls(registry: NamedDependency[HallRegistry]) -> list[HallSummary]:
    return [HallSummary(r.id, r.hall.info.name, r.hall.info.name_en) for r in registry]


@get("/api/halls/{hall:str}", summary="A hall: its domains, items and today's issuing hours")
async def hall_info(runtime: NamedDependency[HallRuntime]) -> HallDetails:
    info, rules = runtime.hall.info, runtime.hall.rules
    window = rules.issuing_window(rules.hall_day(runtime.clock()))
    return HallDetails(
        id=info.id,
        name=info.name,
        name_en=info.name_en,
        timezone=info.timezone,
        address=info.address,
        notice=info.notice,
        domains=[DomainInfo(d.code, d.name, d.name_en) for d in rules.domains],
        items=[
            ItemInfo(i.code, i.name, i.name_en, i.domain, i.group, i.cross_province, i.pickup, i.service_minutes)
            for i in rules.items
        ],
        issuing_today=None if window is None else "-".join(f"{m // 60:02d}:{m % 60:02d}" for m in window),
    )


@post(
    "/api/halls/{hall:str}/tickets",
    opt=IN_HALL_RECORD,
    guards=[issuer_guard],
    status_code=201,
    summary="Issue a ticket (取号)",
    description="A retried request with the same idempotency_key returns the same ticket.",
)
async def issue_ticket(
    hall: FromPath[str],
    data: JSONBody[IssueRequest],
    runtime: NamedDependency[HallRuntime],
    principal: NamedDependency[Principal],
    slips: NamedDependency[SlipPrinter],
    rating_keys: NamedDependency[RatingKeys],
    request: Request,
) -> IssuedTicket:
    command = IssueTicket(
        at=runtime.clock(),
        actor=principal.actor,
        ticket_id=new_ticket_id(),
        item=data.item,
        priority=Priority.GREEN if data.priority == "green" else Priority.WALK_IN,
        idempotency_key=data.idempotency_key,
        channel="kiosk" if principal.kind == "device" else "desk",
    )

    def present(queue: HallQueue, _: object, at: dt.datetime) -> tuple[TicketView, bool]:
        ticket = queue.ticket(command.ticket_id)
        new = ticket is not None
        if ticket is None and data.idempotency_key is not None:
            ticket = queue.ticket_by_key(data.idempotency_key)
        assert ticket is not None
        return queue.ticket_view(ticket, at), new

    view, new = await runtime.execute(command, present)
    issued = IssuedTicket(**msgspec.structs.asdict(view))
    if principal.kind == "device":  # the ticket machine shows the slip: its QR code rates the service
        issued.rating_key = rating_keys.key(hall, view.id)
    if new and principal.kind == "device":
        # After the ticket is recorded, and never failing it: the job says how the print went.
        try:
            issued.print_job = await slips.print_ticket(hall, principal.name, view)
        except Exception:  # a slip that cannot even be laid out must not lose the ticket's answer
            log.exception("slip not printed", extra={"hall": hall, "number": view.number})
    return issued


@get("/api/halls/{hall:str}/tickets/{ticket_id:str}", summary="A ticket's status")
async def ticket_status(ticket_id: FromPath[str], runtime: NamedDependency[HallRuntime]) -> TicketView:
    return await runtime.ticket(ticket_id)


@get(
    "/api/halls/{hall:str}/tickets",
    guards=[staff_guard],
    summary="Today's tickets, filtered (staff)",
)
async def find_tickets(
    runtime: NamedDependency[HallRuntime],
    ticket_state: Annotated[TicketState | None, QueryParameter(name="state")] = None,
    counter: CounterQuery = None,
    number: FromQuery[str | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
) -> list[TicketView]:
    def present(queue: HallQueue, at: dt.datetime) -> list[TicketView]:
        found = [
            t
            for t in queue.tickets.values()
            if (ticket_state is None or t.state is ticket_state)
            and (counter is None or t.counter == counter)
            and (number is None or t.number == number.upper())
        ]
        found.sort(key=lambda t: t.issued_at, reverse=True)
        return [queue.ticket_view(t, at) for t in found[:limit]]

    return await runtime.read(present)


@post(
    "/api/halls/{hall:str}/tickets/{ticket_id:str}/reinstate",
    opt=IN_HALL_RECORD,
    guards=[staff_guard],
    status_code=200,
    summary="Put a no-show ticket back in line, within the grace period (过号恢复)",
)
async def reinstate_ticket(
    ticket_id: FromPath[str], runtime: NamedDependency[HallRuntime], principal: NamedDependency[Principal]
) -> TicketView:
    command = Reinstate(at=runtime.clock(), actor=principal.actor, ticket_id=ticket_id)
    return await runtime.execute(command, lambda q, rec, at: q.ticket_view(q.tickets[rec[-1].event.ticket_id], at))


@post(
    "/api/halls/{hall:str}/tickets/{ticket_id:str}/move",
    opt=IN_HALL_RECORD,
    guards=[staff_guard],
    status_code=200,
    summary="Send a waiting ticket to another item's line or to one counter, keeping its place (改派)",
)
async def move_ticket(
    ticket_id: FromPath[str],
    data: JSONBody[MoveRequest],
    runtime: NamedDependency[HallRuntime],
    principal: NamedDependency[Principal],
) -> TicketView:
    command = MoveTicket(
        at=runtime.clock(), actor=principal.actor, ticket_id=ticket_id, item=data.item, to_counter=data.to_counter,
        note=data.note,
    )  # fmt: skip
    return await runtime.execute(command, lambda q, rec, at: q.ticket_view(q.tickets[rec[-1].event.ticket_id], at))


@post(
    "/api/halls/{hall:str}/tickets/{ticket_id:str}/cancel",
    opt=IN_HALL_RECORD,
    guards=[staff_guard],
    status_code=200,
    summary="Cancel a waiting, no-show or suspended ticket (the citizen left)",
)
async def cancel_ticket(
    ticket_id: FromPath[str], runtime: NamedDependency[HallRuntime], principal: NamedDependency[Principal]
) -> TicketView:
    command = CancelTicket(at=runtime.clock(), actor=principal.actor, ticket_id=ticket_id)
    return await runtime.execute(command, lambda q, rec, at: q.ticket_view(q.tickets[rec[-1].event.ticket_id], at))


@get(
    "/api/halls/{hall:str}/tickets/{ticket_id:str}/history",
    guards=[staff_guard],
    summary="What happened to a ticket, step by step (the service desk; staff)",
)
async def ticket_history(ticket_id: FromPath[str], runtime: NamedDependency[HallRuntime]) -> list[TicketStep]:
    steps = await runtime.ticket_history(ticket_id)
    if not steps:  # every ticket has at least its issue
        raise NotFound(f"no ticket {ticket_id!r} in hall {runtime.id}", "没有找到该号")
    names = {i.code: i.name for i in runtime.hall.rules.items}
    return [ticket_step(s.seq, s.at, s.kind, s.counter, s.actor, s.event, names) for s in steps]


@get("/api/halls/{hall:str}/queue", summary="The queue now: waiting per group and item, every counter")
async def queue_snapshot(runtime: NamedDependency[HallRuntime]) -> QueueView:
    return await runtime.read(lambda q, at: q.queue_view(at))


router = Router(
    path="/",
    route_handlers=[
        list_halls,
        hall_info,
        issue_ticket,
        ticket_status,
        find_tickets,
        reinstate_ticket,
        move_ticket,
        cancel_ticket,
        ticket_history,
        queue_snapshot,
    ],
    tags=["queue"],
)
