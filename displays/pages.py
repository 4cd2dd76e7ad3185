"""The screens: the hall screen (综合屏) and a counter's LED board (窗口屏). (The evaluation pad, also
on the counter's channel, is the counters' page.)"""

from __future__ import annotations

import msgspec
from litestar import Router, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from displays.render import header
from displays.service import DisplayService
from displays.settings import DisplayHall
from displays.voice import LAYOUT
from queueing.params import CounterParam

__all__ = ["router"]


def _header(part: DisplayHall) -> dict:
    """The hall's header as plain data: ``tojson`` writes it into the page (a Struct it cannot)."""
    return msgspec.to_builtins(header(part))


@get("/halls/{hall:str}/screen", include_in_schema=False)
async def hall_screen(hall: FromPath[str], displays: NamedDependency[DisplayService]) -> Template:
    part = displays.hall(hall)
    # how a full call is laid out: the screen cuts one short once it has been said whole, if behind
    voice = {"repeat": part.voice.repeat, "chime": part.voice.chime, **LAYOUT}
    return Template(
        "screen.html", context={"hall": _header(part), "heartbeat": displays.heartbeat_seconds, "voice": voice}
    )


@get("/halls/{hall:str}/counters/{counter:int}/board", include_in_schema=False)
async def counter_board(
    hall: FromPath[str], counter: CounterParam, displays: NamedDependency[DisplayService]
) -> Template:
    part = displays.counter_of(hall, counter)
    return Template(
        "board.html",
        context={
            "hall": _header(part),
            "counter": next(c for c in part.counters if c.number == counter),
            "heartbeat": displays.heartbeat_seconds,
        },
    )


router = Router(path="/", route_handlers=[hall_screen, counter_board])
