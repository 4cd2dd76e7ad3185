"""Pages of the queue: the hall index, the ticket machine (取号机) and a ticket's status page."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from config.crypto import RatingKeys
from config.settings import Settings
from queueing.lifecycle import TicketState
from queueing.ports import RatingOffer
from queueing.service import HallRegistry, HallRuntime
from queueing.settings import QueueHall
from queueing.views import counter_spans, wait_words

__all__ = ["kiosk_tabs", "router"]


def kiosk_tabs(hall: QueueHall) -> list[dict]:
    """The ticket machine's tabs: one per domain, then cross-province and pick-up."""
    rules = hall.rules
    tabs = []
    for domain in rules.domains:
        items = [i for i in rules.items if i.domain == domain.code and i.is_acceptance and not i.cross_province]
        if items:
            tabs.append({"key": domain.code, "name": domain.name, "name_en": domain.name_en, "items": items})
    for key, name, name_en, keep in (
        ("cross_province", "跨省通办", "Cross-province", lambda i: i.cross_province),
        ("pickup", "出件领证", "Pick-up", lambda i: i.pickup),
    ):
        items = [i for i in rules.items if keep(i)]
        if items:
            tabs.append({"key": key, "name": name, "name_en": name_en, "items": items})
    return tabs


@get("/", include_in_schema=False)
async def index(registry: NamedDependency[HallRegistry]) -> Template:
    return Template("index.html", context={"halls": [r.hall for r in registry]})


@get("/halls/{hall:str}/kiosk", include_in_schema=False)
async def kiosk(runtime: NamedDependency[HallRuntime], settings: NamedDependency[Settings]) -> Template:
    hall = runtime.hall
    return Template(
        "kiosk.html",
        context={
            "hall": hall.info,
            "tabs": kiosk_tabs(hall),
            "green_at_kiosk": hall.rules.issuing.green_channel_at_kiosk,
            "appointments": hall.appointments,  # 预约签到 at this machine
            "public_base": settings.public_base,  # the address the slip's QR code holds
        },
    )


@get("/halls/{hall:str}/tickets/{ticket_id:str}", include_in_schema=False)
async def ticket_page(
    hall: FromPath[str],
    ticket_id: FromPath[str],
    runtime: NamedDependency[HallRuntime],
    ratings: NamedDependency[RatingOffer],
    rating_keys: NamedDependency[RatingKeys],
    key: Annotated[str | None, QueryParameter(name="k", max_length=40)] = None,
) -> Template:
    """The ticket's status for anyone with its id; its rating form only with its rating key (评价码,
    ``?k=``, as the slip's QR code link has it): without it the page says to scan the slip."""
    view = await runtime.ticket(ticket_id)
    prompt = await ratings.rating_prompt(hall, ticket_id, view.state == TicketState.COMPLETED)
    held = key if key and rating_keys.holds(hall, ticket_id, key) else ""
    context = {
        "hall": runtime.hall.info, "ticket": view, "rating": prompt, "rating_key": held,
        "counter_spans": counter_spans, "wait_words": wait_words,
    }  # fmt: skip
    return Template("ticket.html", context={**context, "zone": runtime.hall.rules.zone})


@get("/halls/{hall:str}/queue", include_in_schema=False)
async def queue_page(runtime: NamedDependency[HallRuntime]) -> Template:
    """排队情况: how many wait for each item and what a ticket taken now would be told (public)."""
    view = await runtime.read(lambda q, at: q.queue_view(at))
    context = {"hall": runtime.hall.info, "view": view, "zone": runtime.hall.rules.zone, "wait_words": wait_words}
    return Template("queue.html", context=context)


router = Router(path="/", route_handlers=[index, kiosk, ticket_page, queue_page])
