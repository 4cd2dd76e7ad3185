"""The screens: the hall screen (综合屏), a counter's LED board (窗口屏) and its evaluation pad (评价器)."""

from __future__ import annotations

import msgspec
from litestar import Request, Router, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from config.halls import HallDefinition
from counters.kinds import CounterSpec
from counters.ratings import Level
from displays.render import header
from queueing.errors import NotFound
from queueing.service import HallRegistry

__all__ = ["rating_levels", "router"]


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


def _counter(definition: HallDefinition, counter: int) -> CounterSpec:
    spec = next((c for c in definition.counters if c.number == counter), None)
    if spec is None:
        raise NotFound(f"counter {counter} does not exist in hall {definition.id}", f"{counter}号窗口不存在")
    return spec


@get("/halls/{hall:str}/counters/{counter:int}/board", include_in_schema=False)
async def counter_board(
    hall: FromPath[str], counter: FromPath[int], registry: NamedDependency[HallRegistry], request: Request
) -> Template:
    definition = registry.get(hall).definition
    spec = _counter(definition, counter)
    return Template(
        "board.html",
        context={
            "hall": _hall(definition),
            "counter": spec,
            "heartbeat": request.app.state.settings.device_heartbeat_seconds,
        },
    )


# The levels' colours on the pad, best to worst: green to red.
_LEVEL_COLOURS = {
    Level.VERY_SATISFIED: "#1b8a3a",
    Level.SATISFIED: "#5aa832",
    Level.BASIC: "#c99a06",
    Level.DISSATISFIED: "#e0671b",
    Level.VERY_DISSATISFIED: "#c62828",
}
_LEVELS_EN = {
    Level.VERY_SATISFIED: "Very satisfied",
    Level.SATISFIED: "Satisfied",
    Level.BASIC: "Fair",
    Level.DISSATISFIED: "Dissatisfied",
    Level.VERY_DISSATISFIED: "Very dissatisfied",
}


def rating_levels() -> list[dict]:
    """The five levels as the pad and the ticket's page offer them, best first."""
    return [
        {
            "value": level.value,
            "label": level.label_zh,
            "en": _LEVELS_EN[level],
            "bad": level.bad,
            "colour": _LEVEL_COLOURS[level],
        }
        for level in Level
    ]


@get("/halls/{hall:str}/counters/{counter:int}/pad", include_in_schema=False)
async def evaluation_pad(
    hall: FromPath[str], counter: FromPath[int], registry: NamedDependency[HallRegistry], request: Request
) -> Template:
    """The counter's evaluation pad (评价器): a tablet facing the citizen, on the counter's device channel."""
    definition = registry.get(hall).definition
    spec = _counter(definition, counter)
    rules = definition.ratings
    return Template(
        "pad.html",
        context={
            "hall": _hall(definition),
            "counter": spec,
            "heartbeat": request.app.state.settings.device_heartbeat_seconds,
            "staff_numbers": {s.username: s.staff_no for s in definition.staff},
            "staff_photos": {s.username: s.photo for s in definition.staff if s.photo},
            "levels": rating_levels(),
            "reasons": list(rules.bad_reasons),
            "timeout": rules.pad_timeout_seconds,
        },
    )


router = Router(path="/", route_handlers=[hall_screen, counter_board, evaluation_pad])
