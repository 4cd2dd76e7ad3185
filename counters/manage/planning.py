"""The manager's planning: simulate a day, advise a plan, replay a recorded day, what-if from now,
forecast a day (the simulator of ``queueing.simulation``, on a hall's own record).

It runs in the statistics worker process (``worker.py``), never in the halls' own: a thousand
simulated days take seconds of CPU. Requests and answers are msgspec types; the API
(``api.py``) checks what it can before sending a request here, and this module refuses the
rest with a message that names the field.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections.abc import Sequence
from typing import Annotated, Literal

import msgspec
from sqlalchemy.engine import Engine

from appointments.service import AppointmentService
from counters.manage.report import HallParts
from queueing.bounds import CounterNumber, Day, within_calendar
from queueing.errors import Invalid, NotFound
from queueing.kinds import CounterKind, CounterSpec
from queueing.records import HallSnapshot
from queueing.simulation.advice import Advice, advise
from queueing.simulation.engine import Control, counters_by_kind
from queueing.simulation.engine import Engine as DayEngine
from queueing.simulation.forecast import Accuracy, DayCounts, Forecast, accuracy, forecast
from queueing.simulation.history import HISTORY_WEEKS, History, day_counts, service_minutes
from queueing.simulation.model import Model, Pool, level_controls
from queueing.simulation.results import SimulationResult, clock, combine, tally_day
from queueing.simulation.scenario import (
    Behaviour,
    Demand,
    Header,
    Limits,
    Plan,
    ScenarioError,
    ScenarioFile,
    ServiceLevel,
    ServiceTime,
    Target,
    check,
    minutes_of,
)
from queueing.simulation.whatif import Change, WhatIf, WhatIfResult
from queueing.stats.figures import nearest_rank
from queueing.stats.table import Columns

__all__ = [
    "ForecastAnswer",
    "PlanningService",
    "RecordedWaits",
    "ReplayChange",
    "ReplayRequest",
    "ReplayResult",
    "WhatIfRequest",
]

WHAT_IF_REPLICATIONS = 200


class ReplayChange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A change to a recorded day's counters: at ``at`` ("10:00"), open or close counter
    ``counter``, or make it another kind."""

    at: str
    counter: CounterNumber
    action: Literal["open", "close", "reconfigure"]
    kind: CounterKind | None = None
    domains: tuple[str, ...] | None = None


class ReplayRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A recorded day, its citizens as they came, with other counters: ``changes`` on top of
    the day's own, or a whole ``plan`` (open counters of each kind per hour from the first
    hour) instead of them; neither: the day's own counters (which should give its own waits)."""

    day: Day
    changes: list[ReplayChange] = msgspec.field(default_factory=list)
    plan: Plan | None = None

    def __post_init__(self) -> None:
        within_calendar("day", self.day)


class RecordedWaits(msgspec.Struct, frozen=True):
    tickets: int
    called: int
    wait_mean: float | None
    wait_p50: float | None
    wait_p90: float | None
    over_15: float | None  # share of the called waiting over 15 minutes


class ReplayResult(msgspec.Struct, frozen=True, kw_only=True):
    day: dt.date
    start: str
    recorded: RecordedWaits  # what the day's citizens really waited
    own: SimulationResult  # the day replayed with its own counters (checks the replay)
    replayed: SimulationResult  # … with the changes or the plan
    idle_waiting_minutes: float  # counter-minutes idle while a ticket it could serve waited, that day
    waits: dict[str, list[float | None]]  # ticket number -> [recorded, own, replayed] minutes


class WhatIfRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    changes: list[Change] = msgspec.field(default_factory=list)
    replications: Annotated[int, msgspec.Meta(ge=10, le=2000)] = WHAT_IF_REPLICATIONS
    target_minutes: Annotated[int, msgspec.Meta(ge=1, le=240)] = 15  # whole minutes, as the hall's own target


class ForecastAnswer(msgspec.Struct, frozen=True, kw_only=True):
    forecast: Forecast
    accuracy: Accuracy
    scenario: ScenarioFile  # the day as a scenario: the forecast's demand, the recorded service times


def _refuse(exc: ScenarioError | ValueError) -> Invalid:
    text = str(exc)
    return Invalid(text, f"模拟参数有误：{text}")


class PlanningService:
    def __init__(self, engine: Engine, halls: Sequence[HallParts], appointments: AppointmentService) -> None:
        self.halls = {h.queue.id: h for h in halls}
        self.history = History(engine)
        self.appointments = appointments

    def _part(self, hall: str) -> HallParts:
        found = self.halls.get(hall)
        if found is None:
            raise NotFound(f"no hall {hall!r}", f"没有大厅 {hall}")
        return found

    # ------------------------------------------------------------------ models

    def _records(self, hall: str, scenario: ScenarioFile, now: dt.datetime) -> dict[str, list[float]]:
        return self.history.scenario_services(self._part(hall).queue.rules, scenario, now)

    def model(self, hall: str, scenario: ScenarioFile, now: dt.datetime) -> Model:
        part = self._part(hall)
        try:
            scenario = check(msgspec.structs.replace(scenario, path=scenario.path or "request"))
            return Model(part.queue, scenario, self._records(hall, scenario, now))
        except (ScenarioError, ValueError) as exc:
            raise _refuse(exc) from None

    def simulate(self, hall: str, scenario: ScenarioFile, now: dt.datetime) -> SimulationResult:
        model = self.model(hall, scenario, now)
        try:
            with Pool(model) as pool:
                return model.simulate(pool=pool)
        except ScenarioError as exc:
            raise _refuse(exc) from None

    def advise(self, hall: str, scenario: ScenarioFile, now: dt.datetime) -> Advice:
        model = self.model(hall, scenario, now)
        try:
            with Pool(model) as pool:
                return advise(model, pool=pool)
        except ScenarioError as exc:
            raise _refuse(exc) from None

    # ------------------------------------------------------------------ forecast

    def forecast(self, hall: str, day: dt.date, now: dt.datetime) -> ForecastAnswer:
        part = self._part(hall)
        predicted, history, recorded = self._predict(part, day, now)
        checked = accuracy(part.queue.rules.hours, history)
        return ForecastAnswer(forecast=predicted, accuracy=checked, scenario=_scenario(part, day, predicted, recorded))

    def _predict(
        self, part: HallParts, day: dt.date, now: dt.datetime
    ) -> tuple[Forecast, list[DayCounts], dict[str, list[float]]]:
        """``day``'s forecast, the past days it rests on, and the recorded service minutes of
        those days by item (what an ``empirical`` service time draws from): one read."""
        hall = part.queue.id
        rules = part.queue.rules
        today = rules.hall_day(now)
        since = min(day, today) - dt.timedelta(weeks=HISTORY_WEEKS)
        until = min(day, today) - dt.timedelta(days=1)
        tables = self.history.days(rules, since, until, now)
        booked_by_day = {}
        if part.appointments.settings.enabled:
            booked_by_day = asyncio.run(self.appointments.booked_by_slot(hall, since, day))
        history = day_counts(tables, rules.zone, booked_by_day)
        predicted = forecast(day, rules.hours, history, booked_by_day.get(day, {}))
        return predicted, history, service_minutes(Columns.of(tables))

    # ------------------------------------------------------------------ replay

    def replay(self, hall: str, request: ReplayRequest, now: dt.datetime) -> ReplayResult:
        part = self._part(hall)
        rules = part.queue.rules
        day = self.history.recorded(rules, request.day)
        if not day.citizens:
            raise NotFound(f"day: {request.day} has no tickets in the record", f"{request.day} 没有取号记录")
        spans = rules.hours.spans_on(request.day)
        start = float(min([s for s, _ in spans[:1]] + [math.floor(day.first / 60) * 60]))
        end = float(max([e for _, e in spans[-1:]] + [math.ceil((day.last + 1e-9) / 60) * 60]))
        engine = DayEngine(rules, day.counters, request.day, start, end, recall=1.0)
        hours = engine.hours
        group_of = {item.code: item.group for item in rules.items}

        def run(controls: list[Control]) -> tuple[SimulationResult, list[float]]:
            record = engine.run(day.citizens, controls)
            totals = tally_day(record, start, hours, group_of)
            waits = [c - a if c == c else math.nan for a, c in zip(record.arrived, record.called, strict=True)]
            return combine([totals], seed=0, start=start), waits

        own, own_waits = run(day.controls)
        if request.plan is not None:
            kinds = counters_by_kind(day.counters)
            for kind, counts in request.plan.items():
                if kind not in kinds:
                    raise Invalid(f"plan.{kind}: no counter of this kind", "方案中的窗口类型不存在")
                if any(c > len(kinds[kind]) for c in counts):
                    raise Invalid(f"plan.{kind}: more counters than the hall has ({len(kinds[kind])})", "窗口数超出")
            controls = level_controls(kinds, request.plan, start, hours)
        else:
            controls = list(day.controls)
            specs = {spec.number: spec for spec in day.counters}
            for index, change in enumerate(request.changes):
                try:
                    at = float(minutes_of(change.at))
                except ValueError as exc:
                    raise Invalid(f"changes[{index}].at: {exc}", "时间格式有误，应如 10:00") from None
                if change.counter not in specs:
                    raise Invalid(f"changes[{index}].counter: no counter {change.counter}", "窗口不存在")
                if change.action == "reconfigure":
                    old = specs[change.counter]
                    spec = CounterSpec(
                        number=old.number, name=old.name, kind=change.kind or old.kind,
                        domains=change.domains if change.domains is not None else old.domains,
                    )  # fmt: skip
                    controls.append(Control(at, "reconfigure", counter=change.counter, spec=spec))
                else:
                    controls.append(Control(at, change.action, counter=change.counter))
        replayed, replayed_waits = run(controls)
        recorded_waits = [day.waits.get(n) for n in day.numbers]
        # As the simulator counts them: the waits of those who came when called (not no-shows).
        came = [w for w, c in zip(recorded_waits, day.citizens, strict=True) if not c.no_show]
        called = sorted(w for w in came if w is not None)

        def rank(p: float) -> float | None:
            return round(nearest_rank(called, p), 2) if called else None

        kept = self.history.days(rules, request.day, request.day, now)
        idle = sum(c.idle_waiting for table in kept for c in table.counters) / 60
        return ReplayResult(
            day=request.day,
            start=clock(start),
            recorded=RecordedWaits(
                tickets=len(day.citizens),
                called=len(called),
                wait_mean=round(sum(called) / len(called), 2) if called else None,
                wait_p50=rank(0.5),
                wait_p90=rank(0.9),
                over_15=round(sum(1 for w in called if w > 15) / len(called), 4) if called else None,
            ),
            own=own,
            replayed=replayed,
            idle_waiting_minutes=round(idle, 1),
            waits={
                number: [_minutes(r), _minutes(o), _minutes(p)]
                for number, r, o, p in zip(day.numbers, recorded_waits, own_waits, replayed_waits, strict=True)
            },
        )

    # ------------------------------------------------------------------ what if, from now

    def what_if(self, hall: str, snapshot: HallSnapshot, now: dt.datetime, request: WhatIfRequest) -> WhatIfResult:
        part = self._part(hall)
        rules = part.queue.rules
        today = rules.hall_day(now)
        spans = rules.hours.spans_on(today)
        window = rules.issuing_window(today)
        local = now.astimezone(rules.zone)
        minute = local.hour * 60 + local.minute
        # Arrivals until closing (a hall that issues around the clock: its opening hours').
        end = spans[-1][1] if spans else window[1] if window else 24 * 60
        start = minute // 60 * 60
        if end - start < 60:
            end = start + 60
        predicted, _, recorded = self._predict(part, today, now)  # the same weeks' services, read once
        expected = _scenario(part, today, predicted, recorded)
        scenario = msgspec.structs.replace(
            expected,
            scenario=msgspec.structs.replace(expected.scenario, start=clock(start), end=clock(end), date=today),
            demand=_with_waiting(part, snapshot, [_from(d, start) for d in expected.demand]),
            plan=None,
            # the request's target among the results' wait_over shares (the live view shows it)
            target=Target(service_level=ServiceLevel(within_minutes=request.target_minutes, share=0.8)),
        )
        try:
            model = Model(part.queue, check(scenario), recorded, counters=[c.spec for c in snapshot.counters])
            what = WhatIf(model, snapshot, now)
            with Pool(what) as pool:
                return what.compare(pool, request.changes, request.replications, 1, request.target_minutes)
        except (ScenarioError, ValueError) as exc:
            raise _refuse(exc) from None


def _minutes(value: float | None) -> float | None:
    return None if value is None or value != value else round(value, 2)


def _from(demand: Demand, start: int) -> Demand:
    """A demand of the whole day (per half hour from midnight) from minute ``start`` on."""
    rates = demand.per_30min or []
    return msgspec.structs.replace(demand, per_30min=rates[start // 30 :] or [0.0])


def _with_waiting(part: HallParts, snapshot: HallSnapshot, demand: list[Demand]) -> list[Demand]:
    """``demand`` and, for an item someone waits for that no more are expected for (a new hall,
    an item not taken on that weekday before), a block with no arrivals: its service time."""
    named = {d.item for d in demand}
    waiting = sorted({t.item for t in snapshot.tickets if t.state.is_open} - named)
    for item in waiting:
        known = part.queue.rules.item_by_code.get(item)
        if known is not None:
            service = ServiceTime(distribution="exponential", mean_minutes=known.service_minutes)
            demand.append(Demand(item=item, per_30min=[0.0], service=service))
    return demand


def _scenario(part: HallParts, day: dt.date, predicted: Forecast, recorded: dict[str, list[float]]) -> ScenarioFile:
    """The forecast day as a scenario: from the opening to the last ticket, each item's expected
    arrivals per half hour, its recorded service time (or the hall file's, with too few records)."""
    rules = part.queue.rules
    # The day's opening hours (a hall that issues around the clock still serves in them).
    spans = rules.hours.spans_on(day)
    window = (spans[0][0], spans[-1][1]) if spans else rules.issuing_window(day) or (9 * 60, 17 * 60)
    start, end = window[0] // 30 * 30, math.ceil(window[1] / 30) * 30
    demand = []
    for item in predicted.items:
        known = rules.item_by_code.get(item.item)
        if known is None:  # an item the hall file no longer has
            continue
        expected = [w + a for w, a in zip(item.walk_in, item.appointments, strict=True)]
        booked = sum(item.appointments)
        if len(recorded.get(item.item, [])) >= 20:
            service = ServiceTime(distribution="empirical")
        else:
            service = ServiceTime(distribution="exponential", mean_minutes=known.service_minutes)
        demand.append(
            Demand(
                item=item.item,
                per_30min=[round(x, 3) for x in expected[start // 30 : end // 30]] or [0.0],
                appointments=round(min(1.0, booked / item.total), 4) if item.total else 0.0,
                service=service,
            )
        )
    header = Header(hall=part.queue.id, start=clock(start), end=clock(end), date=day)
    return ScenarioFile(
        scenario=header,
        demand=demand,
        behaviour=Behaviour(),
        limits=Limits(),
        # the hall's own service level: most (80 %) called within its target minutes
        target=Target(service_level=ServiceLevel(within_minutes=part.counters.stats.service_level_minutes, share=0.8)),
        path="forecast",
    )
