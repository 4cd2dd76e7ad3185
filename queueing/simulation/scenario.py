"""What a simulation is asked (the scenario file, ``hall simulate SCENARIO.toml``):

    [scenario]
    hall = "hall.toml"        # a hall file, relative to this file
    start = "09:00"           # arrivals from
    end = "17:00"             # arrivals until; service goes on until every arrival is served
    replications = 1000
    seed = 1
    date = "2026-11-23"       # optional: the day (its weekday and hours); default the next Monday

    [[demand]]                # one block per item
    item = "SB01"
    per_hour = [60, 110, 85, 50, 55, 100, 80, 60]   # Poisson rates, one per hour from start
    # or per_30min = [...], one per half hour; one rate alone: the same all day
    green = 0.0               # shares of the arrivals (optional, default 0)
    appointments = 0.0
    no_show = 0.0
    service = { distribution = "lognormal", mean_minutes = 7.0, sigma_log = 0.5 }
    # "exponential" (mean_minutes), "lognormal" (mean_minutes, sigma_log), "fixed" (minutes),
    # "empirical" (the hall's own record: ``hall simulate`` reads it from the database)
    transfers = [{ item = "SB02", share = 0.05 }]   # optional: then transferred on (一票到底)

    [plan]                    # optional; default: the hall file's counters, all open from start
    no_difference = [5, 13, 11, 7, 7, 10, 11, 8]   # open counters of each kind, one number per hour
    # (one number alone: all day); other keys: "cross_province", "pickup", "domain:<code>"
    # ("domain:<a>+<b>" for counters of two domains); kinds left out stay closed

    [[spans]]                 # or, instead of [plan], counter by counter
    counter = 3
    open = ["09:00-12:00", "13:00-17:00"]

    [behaviour]               # optional; default: clerks call the moment they are free, citizens
    walk_minutes = 0.0        # come at once; a no-show is recalled every recall_minutes
    recall_minutes = 1.0

    [target]                  # for ``hall advise``
    hourly_mean_wait_minutes = 10
    # or: service_level = { within_minutes = 15, share = 0.9 }

    [limits]                  # for ``hall advise``: at most this many counters open at once
    staff = 14

Everything is checked when it is read; a mistake names the file and the field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import msgspec

from queueing.bounds import CounterCount, CounterLimit, CounterNumber, Day, Replications, Seed, within_calendar
from queueing.policy import parse_span
from queueing.tomlfiles import read_toml

__all__ = [
    "Behaviour",
    "Demand",
    "Header",
    "Limits",
    "ScenarioError",
    "ScenarioFile",
    "ServiceLevel",
    "ServiceTime",
    "Span",
    "Target",
    "TransferShare",
    "load_scenario",
    "minutes_of",
]

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^(24):(00)$")  # 24:00: the day's end


class ScenarioError(Exception):
    """A scenario file is wrong; the message names the file and the field."""


def minutes_of(text: str) -> int:
    """'09:30' -> 570."""
    match = _CLOCK.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a time like 09:00")
    if match[3]:
        return 24 * 60
    return int(match[1]) * 60 + int(match[2])


class ServiceTime(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    distribution: Literal["exponential", "lognormal", "fixed", "empirical"] = "exponential"
    mean_minutes: float | None = None  # exponential, lognormal
    sigma_log: float | None = None  # lognormal: the standard deviation of the log
    minutes: float | None = None  # fixed

    def __post_init__(self) -> None:
        if self.distribution in ("exponential", "lognormal") and not (self.mean_minutes and self.mean_minutes > 0):
            raise ValueError(f"{self.distribution} needs mean_minutes above 0")
        if self.distribution == "lognormal" and (self.sigma_log is None or self.sigma_log < 0):
            raise ValueError("lognormal needs sigma_log, 0 or more")
        if self.distribution == "fixed" and not (self.minutes and self.minutes > 0):
            raise ValueError("fixed needs minutes above 0")


class TransferShare(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A share of an item's citizens that the clerk, after serving them, transfers on to
    another item (一票到底: the same ticket, served there with that item's service time)."""

    item: str
    share: float

    def __post_init__(self) -> None:
        if not 0 <= self.share <= 1:
            raise ValueError("share is from 0 to 1")


class Demand(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    item: str
    per_hour: list[float] | None = None
    per_30min: list[float] | None = None
    green: float = 0.0
    appointments: float = 0.0
    no_show: float = 0.0
    service: ServiceTime = ServiceTime(distribution="empirical")
    transfers: list[TransferShare] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        if (self.per_hour is None) == (self.per_30min is None):
            raise ValueError("give per_hour or per_30min (one of them)")
        rates = self.per_hour if self.per_hour is not None else self.per_30min
        if any(r < 0 for r in rates or ()):
            raise ValueError("arrival rates are 0 or more")
        for name in ("green", "appointments", "no_show"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} is a share from 0 to 1")
        if self.green + self.appointments > 1:
            raise ValueError("green + appointments is at most 1")
        if sum(t.share for t in self.transfers) > 1:
            raise ValueError("the transfer shares add up to at most 1")

    def rates(self) -> list[tuple[float, float]]:
        """(length of the piece in minutes, arrivals per minute) for each piece from the start;
        one rate alone holds all day."""
        if self.per_hour is not None:
            return [(60.0 if len(self.per_hour) > 1 else 24 * 60.0, r / 60.0) for r in self.per_hour]
        halves = self.per_30min or []
        return [(30.0 if len(halves) > 1 else 24 * 60.0, r / 30.0) for r in halves]


Plan = dict[str, list[CounterCount]]  # counters of each kind open per hour, from the first


class Span(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    counter: CounterNumber
    open: list[str]


class Behaviour(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    walk_minutes: float = 0.0  # from the call to the counter
    recall_minutes: float = 1.0  # between a call and a recall of a no-show citizen


class ServiceLevel(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    within_minutes: float
    share: float

    def __post_init__(self) -> None:
        if not 0 < self.share <= 1:
            raise ValueError("share is from 0 to 1")
        if self.within_minutes <= 0:
            raise ValueError("within_minutes must be above 0")


class Target(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    hourly_mean_wait_minutes: float | None = None
    service_level: ServiceLevel | None = None

    def __post_init__(self) -> None:
        if (self.hourly_mean_wait_minutes is None) == (self.service_level is None):
            raise ValueError("give hourly_mean_wait_minutes or service_level (one of them)")


class Limits(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    staff: CounterLimit | None = None  # counters open at once, at most


class Header(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The scenario file's ``[scenario]``."""

    hall: str = ""  # the hall file, relative to the scenario file (the API: the hall of the URL)
    start: str = "09:00"
    end: str = "17:00"
    replications: Replications = 200
    seed: Seed = 1
    date: Day | None = None

    def __post_init__(self) -> None:
        within_calendar("date", self.date)


class ScenarioFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    scenario: Header
    demand: list[Demand] = msgspec.field(default_factory=list)
    plan: Plan | None = None
    spans: list[Span] = msgspec.field(default_factory=list)
    behaviour: Behaviour = Behaviour()
    target: Target | None = None
    limits: Limits = Limits()
    path: str = ""  # where it was read from

    @property
    def start(self) -> int:
        return minutes_of(self.scenario.start)

    @property
    def end(self) -> int:
        return minutes_of(self.scenario.end)

    def hall_path(self) -> Path:
        return (Path(self.path).parent / self.scenario.hall).resolve()


def load_scenario(path: str | Path) -> ScenarioFile:
    path = Path(path)
    scenario, _ = read_toml(path, ScenarioFile, "the scenario", ScenarioError)
    return check(msgspec.structs.replace(scenario, path=str(path)))


def check(scenario: ScenarioFile) -> ScenarioFile:
    """What a scenario must be beyond its types; ``ScenarioError`` naming the field."""
    where = scenario.path or "scenario"

    def fail(field: str, message: str) -> ScenarioError:
        return ScenarioError(f"{where}: {field}: {message}")

    try:
        start, end = scenario.start, scenario.end
    except ValueError as exc:
        raise fail("scenario.start/end", str(exc)) from None
    if end <= start:
        raise fail("scenario.end", f"{scenario.scenario.end} must come after start {scenario.scenario.start}")
    hours = -(-(end - start) // 60)
    for index, demand in enumerate(scenario.demand):
        pieces = demand.rates()
        span = sum(length for length, _ in pieces)
        if span < end - start:
            key = "per_hour" if demand.per_hour is not None else "per_30min"
            raise fail(
                f"demand[{index}].{key}", f"{len(pieces)} rates cover {span:g} minutes; the day has {end - start}"
            )
    if not scenario.demand:
        raise fail("demand", "at least one [[demand]] block")
    if scenario.plan is not None and scenario.spans:
        raise fail("plan", "a [plan] or [[spans]], not both")
    for key, counts in (scenario.plan or {}).items():
        if key not in ("no_difference", "cross_province", "pickup") and not key.startswith("domain:"):
            raise fail(f"plan.{key}", "the kinds are no_difference, cross_province, pickup and domain:<code>")
        if 1 < len(counts) < hours or not counts:
            raise fail(f"plan.{key}", f"{len(counts)} hours given; the day has {hours} (or give one for all day)")
    for index, span in enumerate(scenario.spans):
        for text in span.open:
            try:
                parse_span(text)
            except ValueError as exc:
                raise fail(f"spans[{index}].open", str(exc)) from None
    return scenario
