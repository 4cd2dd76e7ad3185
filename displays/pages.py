"""The screens: the hall screen (综合屏) and a counter's LED board (窗口屏)."""

from __future__ import annotations

import msgspec
from litestar import Request, Router, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from config.halls import HallDefinition
from displays.render import header
from queueing.errors import NotFound
from queueing.service import HallRegistry

__all__ = ["router"]


def _hall(definition: HallDefinition) -> dict:
    """The hall's header as plain data: ``tojson`` writes it into the page (a Struct it cannot)."""
    return msgspec.to_builtins(header(definition))


@get("/halls/{hall:str}/screen", include_in_schema=False)
async def hall_screen(hall: FromPath[str], registry: NamedDependency[HallRegistry], request: Request) -> Template:
    definition = registry.get(hall).definition
    return Template(
        "screen.html",
        context={"hall": _hall(definition), "heartbeat": request.app.state.settings.device_heartbeat_seconds},
    )


@get("/halls/{hall:str}/counters/{counter:int}/board", include_in_schema=False)
async def counter_board(
    hall: FromPath[str], counter: FromPath[int], registry: NamedDependency[HallRegistry], request: Request
) -> Template:
    definition = registry.get(hall).definition
    spec = next((c for c in definition.counters if c.number == counter), None)
    if spec is None:
        raise NotFound(f"counter {counter} does not exist in hall {hall}", f"{counter}号窗口不存在")
    return Template(
        "board.html",
        context={
            "hall": _hall(definition),
            "counter": spec,
            "heartbeat": request.app.state.settings.device_heartbeat_seconds,
        },
    )


router = Router(path="/", route_handlers=[hall_screen, counter_board])
