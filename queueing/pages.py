"""Pages of the queue: the hall index, the ticket machine (取号机) and a ticket's status page."""

from __future__ import annotations

from litestar import Request, Router, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from config.halls import HallDefinition
from displays.pages import rating_levels
from queueing.errors import NotFound
from queueing.lifecycle import TicketState
from queueing.service import HallRegistry

__all__ = ["kiosk_tabs", "router"]


def kiosk_tabs(hall: HallDefinition) -> list[dict]:
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
    return Template("index.html", context={"halls": [r.definition for r in registry]})


@get("/halls/{hall:str}/kiosk", include_in_schema=False)
async def kiosk(hall: FromPath[str], registry: NamedDependency[HallRegistry]) -> Template:
    definition = registry.get(hall).definition
    return Template(
        "kiosk.html",
        context={
            "hall": definition.info,
            "tabs": kiosk_tabs(definition),
            "green_at_kiosk": definition.rules.issuing.green_channel_at_kiosk,
            "appointments": definition.appointments.enabled,  # 预约签到 at this machine
        },
    )


@get("/halls/{hall:str}/tickets/{ticket_id:str}", include_in_schema=False)
async def ticket_page(
    hall: FromPath[str], ticket_id: FromPath[str], registry: NamedDependency[HallRegistry], request: Request
) -> Template:
    runtime = registry.get(hall)
    view = await runtime.ticket_status(ticket_id)
    if view is None:
        raise NotFound(f"no ticket {ticket_id!r} in hall {hall}", "没有找到该号")
    completed = view.state == TicketState.COMPLETED
    rateable = completed and await request.app.state.evaluation.rateable(hall, ticket_id)
    return Template(
        "ticket.html",
        context={
            "hall": runtime.definition.info,
            "ticket": view,
            "rating": {  # 评价本次服务, once the service is done and until it is rated
                "open": rateable,
                "rated": completed and not rateable,
                "levels": rating_levels(),
                "reasons": list(runtime.definition.ratings.bad_reasons),
            },
        },
    )


router = Router(path="/", route_handlers=[index, kiosk, ticket_page])
