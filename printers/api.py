"""Printing over HTTP and the print agent's channel.

- ``POST /api/halls/{hall}/tickets/{id}/print``   print a ticket's slip again (the kiosk's 重新打印)
- ``GET  /api/halls/{hall}/print-jobs/{job}``     how a print went (``?wait=5``: until it is done)
- ``GET  /api/halls/{hall}/printers``             every ticket machine's printer (managers)
- ``GET  /api/halls/{hall}/tickets/{id}/slip.pdf`` the ticket as a PDF (the ticket's page, phones)
- ``GET  /halls/{hall}/tickets/{id}/qr.svg``       the QR code of the ticket's status page (the kiosk)

The PDF and the QR code carry the ticket's rating key (评价码) in their link only when they are
asked for with it (``?k=``, as the slip's own link has it): the ticket id alone, which the
clerk serving it sees, gives the slip without the key.
- ``ws   /ws/halls/{hall}/print-agent?token=…``    a ticket machine's print agent (``hall print-agent``)

The agent authenticates with its ticket machine's device token. On connect it gets a
``hello`` (its printer's settings), then every job waiting for it, oldest first, then each new
one as it comes; it answers each with ``printed`` or ``failed``. A job it has not answered
is given again after a reconnection (the agent skips one it has already printed), so none is
lost; heartbeats go both ways as on the display channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from typing import Annotated

import msgspec
from litestar import Request, Response, Router, WebSocket, get, post, websocket
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from config.auth import Principal, issuer_guard, manager_guard, refuse_socket
from config.limits import limited
from config.settings import Settings
from displays.sessions import until_gone
from printers.renderer import SlipRenderer
from printers.schemas import (
    AgentFailed,
    AgentHeartbeat,
    AgentHello,
    AgentMessage,
    AgentPrint,
    AgentPrinted,
    PrinterView,
    PrintJobView,
    ReprintRequest,
)
from printers.service import PrintService
from queueing.errors import Invalid, Refusal, Unavailable
from queueing.service import HallRegistry, HallRuntime

__all__ = ["RatingKeyQuery", "router"]

log = logging.getLogger("hall.printers")

_encoder = msgspec.json.Encoder()
_agent_decoder = msgspec.json.Decoder(AgentMessage)
_RECHECK_SECONDS = 5.0  # a job another process added is found this soon even without Redis

# The slip's rating key (评价码), as the slip's link carries it: ``?k=``.
RatingKeyQuery = Annotated[
    str | None,
    QueryParameter(
        name="k",
        max_length=40,
        description="the ticket's rating key (评价码) from the slip's link: the PDF's QR code carries it too",
    ),
]


@post(
    "/api/halls/{hall:str}/tickets/{ticket_id:str}/print",
    guards=[issuer_guard],
    status_code=201,
    summary="Print a ticket's slip again (重新打印)",
    description="A ticket machine prints on its own printer; staff name the ticket machine (``device``).",
)
async def reprint(
    hall: FromPath[str],
    ticket_id: FromPath[str],
    request: Request,
    runtime: NamedDependency[HallRuntime],
    principal: NamedDependency[Principal],
    printing: NamedDependency[PrintService],
    data: JSONBody[ReprintRequest | None] = None,
) -> PrintJobView:
    device = principal.name if principal.kind == "device" else (data.device if data else None)
    if not device:
        raise Invalid('name the ticket machine that is to print it: {"device": "kiosk-1"}', "请指定取号机")
    ticket = await runtime.ticket(ticket_id)
    return await printing.reprint(hall, device, ticket)


@get("/api/halls/{hall:str}/print-jobs/{job_id:str}", guards=[issuer_guard], summary="How a print went")
async def print_job(
    hall: FromPath[str],
    job_id: FromPath[str],
    printing: NamedDependency[PrintService],
    wait: Annotated[
        float, QueryParameter(ge=0, le=30, description="seconds to wait until it is printed or failed")
    ] = 0,
) -> PrintJobView:
    return await printing.job(hall, job_id, wait)


@get("/api/halls/{hall:str}/printers", guards=[manager_guard], summary="The ticket machines' printers (打印机状态)")
async def printers(hall: FromPath[str], printing: NamedDependency[PrintService]) -> list[PrinterView]:
    return await printing.printers(hall)


@get(
    "/api/halls/{hall:str}/tickets/{ticket_id:str}/slip.pdf",
    summary="The ticket as a PDF (电子凭条)",
    description=(
        "Its QR code opens the ticket's page; with the slip's rating key (``k``) it carries the key too. "
        "Drawn in a process of its own; when too many are waiting to be drawn the answer is 503 with "
        "Retry-After at once (电子凭条生成繁忙)."
    ),
    responses={403: ResponseSpec(None, description="A rating key (k) that is not this ticket's · 评价码与该号不符")},
    opt=limited("pdf"),
    media_type="application/pdf",
)
async def slip_pdf(
    hall: FromPath[str],
    ticket_id: FromPath[str],
    request: Request,
    runtime: NamedDependency[HallRuntime],
    printing: NamedDependency[PrintService],
    settings: NamedDependency[Settings],
    pdf_slips: NamedDependency[SlipRenderer],
    key: RatingKeyQuery = None,
) -> Response[bytes]:
    from printers.pdf import FontMissing, find_font

    pdf_slips.admit()  # a full queue: refused before any work for it (503, Retry-After)
    keyed = printing.holds_key(hall, ticket_id, key)  # before the ticket: a wrong key tells nothing of it
    ticket = await runtime.ticket(ticket_id)
    slip = printing.slip(hall, ticket, keyed=keyed)
    try:
        font = find_font(settings.pdf_font)
    except FontMissing as exc:
        log.error("PDF ticket: %s", exc)
        raise Unavailable(f"PDF tickets cannot be drawn here: {exc}", "暂不能生成电子凭条，请使用纸质凭条") from None
    pdf = await pdf_slips.render(slip, font)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{ticket.number}.pdf"',
            "Cache-Control": "no-store",  # people ahead and the wait change
        },
    )


@get("/halls/{hall:str}/tickets/{ticket_id:str}/qr.svg", include_in_schema=False)
async def ticket_qr(
    hall: FromPath[str],
    ticket_id: FromPath[str],
    request: Request,
    runtime: NamedDependency[HallRuntime],
    printing: NamedDependency[PrintService],
    key: RatingKeyQuery = None,
) -> Response[bytes]:
    keyed = printing.holds_key(hall, ticket_id, key)
    await runtime.ticket(ticket_id)
    url = printing.status_url(hall, ticket_id, keyed=keyed)
    return Response(qr_svg(url), media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400, immutable"})


def qr_svg(text: str) -> bytes:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2, box_size=10)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- the print agent


@websocket("/ws/halls/{hall:str}/print-agent")
async def print_agent_channel(
    socket: WebSocket,
    hall: FromPath[str],
    registry: NamedDependency[HallRegistry],
    principal: NamedDependency[Principal | None],
    printing: NamedDependency[PrintService],
    settings: NamedDependency[Settings],
) -> None:
    device_token = "the ticket machine's device token is needed"
    if await refuse_socket(socket, registry, hall, principal, lambda p: p.kind == "device", device_token):
        return
    assert principal is not None
    service, device = printing, principal.name
    try:
        printer = service.agent_printer(hall, device)
    except Refusal as refusal:
        await socket.close(code=4403, reason=refusal.message)
        return
    heartbeat = settings.device_heartbeat_seconds
    await socket.accept()
    await service.agent_seen(hall, device, True)
    log.info("print agent connected", extra={"hall": hall, "device": device})
    hello = AgentHello(device=device, printer=msgspec.to_builtins(printer), heartbeat_seconds=heartbeat)
    await socket.send_text(_encoder.encode(hello).decode())
    tasks = [
        asyncio.create_task(_give_jobs(socket, service, hall, device, heartbeat)),
        asyncio.create_task(_take_results(socket, service, hall, heartbeat)),
    ]

    async def gone() -> None:
        await service.agent_seen(hall, device, False)
        log.info("print agent gone", extra={"hall": hall, "device": device})

    await until_gone(socket, tasks, gone)


async def _give_jobs(socket: WebSocket, service: PrintService, hall: str, device: str, heartbeat: float) -> None:
    bell = service.bell.event(hall, device)
    given: set[str] = set()
    loop = asyncio.get_running_loop()
    next_beat = loop.time() + heartbeat
    while True:
        bell.clear()
        for job in await service.agent_jobs(hall, device, frozenset(given)):
            await socket.send_text(_encoder.encode(AgentPrint(job=job.id, number=job.number, data=job.data)).decode())
            given.add(job.id)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, min(next_beat - loop.time(), _RECHECK_SECONDS))):
                await bell.wait()
        if loop.time() >= next_beat:
            await socket.send_text(_encoder.encode(AgentHeartbeat()).decode())
            next_beat = loop.time() + heartbeat


async def _take_results(socket: WebSocket, service: PrintService, hall: str, heartbeat: float) -> None:
    while True:
        async with asyncio.timeout(3 * heartbeat):  # silent too long: gone
            raw = await socket.receive_text()
        try:
            message = _agent_decoder.decode(raw)
        except msgspec.DecodeError:
            continue
        if isinstance(message, AgentPrinted):
            await service.agent_result(hall, message.job)
        elif isinstance(message, AgentFailed):
            await service.agent_result(hall, message.job, message.fault, message.error or message.fault)


router = Router(
    path="/",
    route_handlers=[reprint, print_job, printers, slip_pdf, ticket_qr, print_agent_channel],
    tags=["printing"],
)
