"""A scenario made ready to run on a hall: its citizens, its counters, its plans.

``Model`` checks the scenario against the hall (the items exist, the plan's kinds and
counts fit the counters the hall file defines) and then makes, for a seed and a
replication, the day's citizens (``citizens``) and, for a plan, the counters' changes
(``controls``). ``simulate`` runs the replications (in several processes when asked)
and combines them into a ``SimulationResult``.

A plan is ``{kind: [open counters in hour 0, hour 1, …]}`` with the kinds of
``engine.kind_key``; kinds left out stay closed. No plan and no spans: every counter of the
hall file open all day.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import multiprocessing
import os
import signal
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from queueing.kinds import CounterSpec, served_items
from queueing.policy import HallRules, parse_span
from queueing.settings import QueueHall
from queueing.simulation.capacity import hour_load
from queueing.simulation.engine import Control, Engine, collector_paused, counters_by_kind, kind_key
from queueing.simulation.results import THRESHOLDS, SimulationResult, Totals, clock, combine, tally_day
from queueing.simulation.sampling import Citizen, Sampler, arrivals, generator, sampler
from queueing.simulation.scenario import Demand, Plan, ScenarioError, ScenarioFile, ServiceTime

__all__ = ["Model", "Plan", "Pool", "level_controls", "rate_in_hour"]


class Model:
    """``scenario`` on ``hall``; ``records``: the hall's recorded service minutes per item,
    for the items whose service time is ``empirical``."""

    def __init__(
        self,
        hall: QueueHall,
        scenario: ScenarioFile,
        records: Mapping[str, Sequence[float]] | None = None,
        *,
        counters: Sequence[CounterSpec] | None = None,
    ) -> None:
        self.hall = hall
        self.scenario = scenario
        self.where = scenario.path or "scenario"
        self.records = {item: tuple(minutes) for item, minutes in (records or {}).items()}
        self.rules: HallRules = hall.rules
        self.counters = tuple(sorted(counters if counters is not None else hall.counters, key=lambda c: c.number))
        self.start, self.end = float(scenario.start), float(scenario.end)
        self.day = scenario.scenario.date or _next_monday()
        self.engine = Engine(
            self.rules,
            self.counters,
            self.day,
            self.start,
            self.end,
            walk=scenario.behaviour.walk_minutes,
            recall=scenario.behaviour.recall_minutes,
        )
        self.hours = self.engine.hours
        self.kinds = counters_by_kind(self.counters)
        self.served = {spec.number: served_items(spec, self.rules.items) for spec in self.counters}
        self.group_of = {item.code: item.group for item in self.rules.items}
        target = scenario.target.service_level if scenario.target else None
        self.thresholds = tuple(sorted({*THRESHOLDS, *((target.within_minutes,) if target else ())}))
        self._check()
        self.samplers: dict[str, Sampler] = {}
        self.mean_minutes: dict[str, float] = {}
        for index, demand in enumerate(scenario.demand):
            self.samplers[demand.item], self.mean_minutes[demand.item] = self._sampler(
                demand.item, demand.service, f"demand[{index}].service"
            )

    # ------------------------------------------------------------------ checks

    def fail(self, field: str, message: str) -> ScenarioError:
        return ScenarioError(f"{self.where}: {field}: {message}")

    def _check(self) -> None:
        items = self.rules.item_by_code
        seen: set[str] = set()
        for index, demand in enumerate(self.scenario.demand):
            if demand.item not in items:
                raise self.fail(f"demand[{index}].item", f"{demand.item!r} is not an item of hall {self.hall.id}")
            if demand.item in seen:
                raise self.fail(f"demand[{index}].item", f"{demand.item} has two [[demand]] blocks; give it one")
            seen.add(demand.item)
        for index, demand in enumerate(self.scenario.demand):
            for k, transfer in enumerate(demand.transfers):
                if transfer.item not in seen:
                    raise self.fail(
                        f"demand[{index}].transfers[{k}].item",
                        f"{transfer.item!r} needs a [[demand]] block of its own (its service time; rates may be 0)",
                    )
        if self.scenario.plan is not None:
            self.check_plan(self.scenario.plan, "plan")
        numbers = {spec.number for spec in self.counters}
        for index, span in enumerate(self.scenario.spans):
            if span.counter not in numbers:
                raise self.fail(f"spans[{index}].counter", f"hall {self.hall.id} has no counter {span.counter}")

    def check_plan(self, plan: Mapping[str, Sequence[int]], field: str = "plan") -> None:
        for kind, counts in plan.items():
            have = len(self.kinds.get(kind, ()))
            if kind not in self.kinds and any(counts):
                known = ", ".join(sorted(self.kinds))
                raise self.fail(f"{field}.{kind}", f"hall {self.hall.id} has no counter of this kind; it has {known}")
            for hour, count in enumerate(counts[: self.hours]):
                if count > have:
                    raise self.fail(
                        f"{field}.{kind}",
                        f"hour {hour} ({self.clock(hour)}) asks for {count} counters; the hall file has {have}",
                    )

    def _sampler(self, item: str, service: ServiceTime, field: str) -> tuple[Sampler, float]:
        if service.distribution == "empirical":
            minutes = self.records.get(item, ())
            if len(minutes) < 20:
                raise self.fail(
                    field,
                    f"an empirical service time needs the hall's record of {item}: {len(minutes)} services found, "
                    "at least 20 are needed (give a distribution instead)",
                )
            return sampler(service, minutes), math.fsum(minutes) / len(minutes)
        mean = service.minutes if service.distribution == "fixed" else service.mean_minutes
        return sampler(service), float(mean or 0.0)

    # ------------------------------------------------------------------ days

    def clock(self, hour: int) -> str:
        return clock(self.start + 60 * hour)

    @property
    def no_show_minutes(self) -> float:
        """How long a counter spends on a citizen who does not come: the recalls, then 过号."""
        return self.scenario.behaviour.recall_minutes * (self.rules.calling.max_recalls + 1)

    def demand(self, item: str) -> Demand | None:
        return next((d for d in self.scenario.demand if d.item == item), None)

    def citizens(self, seed: int, replication: int) -> list[Citizen]:
        """The day's citizens of replication ``replication``: the same for every plan."""
        made: list[Citizen] = []
        for demand in self.scenario.demand:
            made += arrivals(
                demand,
                self.start,
                self.end,
                generator(seed, replication, demand.item, "arrivals"),
                generator(seed, replication, demand.item, "citizens"),
                self.samplers[demand.item],
                self.samplers,
                self.no_show_minutes,
            )
        made.sort(key=lambda c: c.at)
        return made

    def default_plan(self) -> Plan:
        """Every counter of the hall file open in every hour."""
        return {kind: [len(numbers)] * self.hours for kind, numbers in self.kinds.items()}

    def plan(self) -> Plan | None:
        """The scenario's own plan: ``[plan]``; None if it gives ``[[spans]]``; else the default."""
        if self.scenario.spans:
            return None
        return {k: list(v) for k, v in self.scenario.plan.items()} if self.scenario.plan else self.default_plan()

    def controls(self, plan: Mapping[str, Sequence[int]] | None) -> list[Control]:
        """A plan's levels hour by hour (kinds left out: closed); or, with None, the spans."""
        if plan is None:
            made = []
            for span in self.scenario.spans:
                for text in span.open:
                    first, last = parse_span(text)
                    made.append(Control(float(first), "open", counter=span.counter))
                    made.append(Control(float(last), "close", counter=span.counter))
            return made
        return level_controls(self.kinds, plan, self.start, self.hours)

    def open_by_hour(self, plan: Mapping[str, Sequence[int]] | None) -> list[dict[str, float]]:
        """Counters of each kind open in each hour (spans: the fraction of the hour)."""
        if plan is not None:
            return [
                {kind: float(counts[min(h, len(counts) - 1)]) for kind, counts in plan.items() if counts}
                for h in range(self.hours)
            ]
        hours: list[dict[str, float]] = [{} for _ in range(self.hours)]
        spec_of = {spec.number: spec for spec in self.counters}
        for span in self.scenario.spans:
            kind = kind_key(spec_of[span.counter])
            for text in span.open:
                a, b = parse_span(text)
                for h in range(self.hours):
                    lo, hi = self.start + 60 * h, self.start + 60 * (h + 1)
                    overlap = max(0.0, min(b, hi) - max(a, lo)) / 60
                    if overlap:
                        hours[h][kind] = hours[h].get(kind, 0.0) + overlap
        return hours

    def work(self, hour: int) -> dict[str, float]:
        """Each item's work in hour ``hour``, in erlangs (counters busy with it on average):
        arrivals × (walk + service), a no-show's recalls, a transfer's second service."""
        scenario = self.scenario
        recall = self.no_show_minutes
        walk = scenario.behaviour.walk_minutes
        work: dict[str, float] = {}
        for demand in scenario.demand:
            rate = rate_in_hour(demand, hour)
            if not rate:
                continue
            shown = 1 - demand.no_show
            busy = shown * (walk + self.mean_minutes[demand.item]) + demand.no_show * recall
            work[demand.item] = work.get(demand.item, 0.0) + rate * busy / 60
            for transfer in demand.transfers:
                extra = rate * shown * transfer.share * (walk + self.mean_minutes[transfer.item]) / 60
                work[transfer.item] = work.get(transfer.item, 0.0) + extra
        return work

    def served_by_kind(self) -> dict[str, frozenset[str]]:
        return {kind: self.served[numbers[0]] for kind, numbers in self.kinds.items()}

    def loads(self, plan: Mapping[str, Sequence[int]] | None) -> list[float | None]:
        """Each hour's offered work ÷ what its open counters can do at best (≥ 1: the line
        grows through the hour whatever the order of calling)."""
        served = self.served_by_kind()
        return [
            hour_load(self.work(h), [(served[kind], count) for kind, count in open_now.items() if count > 0])
            for h, open_now in enumerate(self.open_by_hour(plan))
        ]

    def run_day(self, plan: Mapping[str, Sequence[int]] | None, seed: int, replication: int) -> Totals:
        with collector_paused():
            record = self.engine.run(self.citizens(seed, replication), self.controls(plan))
            totals = tally_day(record, self.start, self.hours, self.group_of, self.thresholds)
            del record
        return totals

    def simulate(
        self,
        plan: Mapping[str, Sequence[int]] | None = None,
        *,
        replications: int | None = None,
        seed: int | None = None,
        pool: Pool | None = None,
        notes: Sequence[str] = (),
    ) -> SimulationResult:
        """Run ``replications`` days of ``plan`` (default: the scenario's) and combine them."""
        if plan is None and not self.scenario.spans:
            plan = self.plan()
        if plan is not None:
            self.check_plan(plan)
        replications = replications or self.scenario.scenario.replications
        seed = self.scenario.scenario.seed if seed is None else seed
        days = (pool or Pool(self, 1)).totals(plan, seed, range(replications))
        return combine(days, seed=seed, start=self.start, loads=self.loads(plan), notes=notes)


def level_controls(
    kinds: Mapping[str, Sequence[int]], plan: Mapping[str, Sequence[int]], start: float, hours: int
) -> list[Control]:
    """A plan as the engine's controls: each kind's level at each hour where it changes (kinds
    of ``kinds`` the plan leaves out: closed; a plan shorter than the day: its last level)."""
    made = []
    for kind in kinds:
        counts = list(plan.get(kind, ()))[:hours]
        counts += [counts[-1] if counts else 0] * (hours - len(counts))
        previous = None
        for hour, count in enumerate(counts):
            if count != previous:
                made.append(Control(start + 60 * hour, "level", kind=kind, count=count))
            previous = count
    return made


def rate_in_hour(demand: Demand, hour: int) -> float:
    """Arrivals per hour in hour ``hour`` (per_30min: the two halves added)."""
    if demand.per_hour is not None:
        rates = demand.per_hour
        return rates[0] if len(rates) == 1 else rates[hour] if hour < len(rates) else 0.0
    halves = demand.per_30min or []
    return 2 * halves[0] if len(halves) == 1 else sum(halves[2 * hour : 2 * hour + 2])


def _next_monday() -> dt.date:
    """A weekday to put the simulated day on when the scenario names none (any fixed one does)."""
    return dt.date(2026, 11, 23)


# ---------------------------------------------------------------------- processes


class Runs(Protocol):
    """What a ``Pool`` runs: one simulated day of a variant (a plan …), for a seed and a replication."""

    def run_day(self, variant: Any, seed: int, replication: int) -> Any: ...


_FORKED: Runs | None = None  # in a forked worker: what it was forked with


def _as_born() -> None:
    """A forked worker dies when its pool ends it (SIGTERM), whatever handler the parent had
    installed for it: an event loop's, say, would keep the worker alive and the pool waiting."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_chunk(variant: Any, seed: int, replications: range) -> list[Any]:
    assert _FORKED is not None
    return [_FORKED.run_day(variant, seed, r) for r in replications]


class Pool:
    """Replications over ``workers`` processes, forked with what they run (nothing to send but
    the variant and the seeds there, and each day's sums back). One worker: in this process."""

    def __init__(self, model: Runs, workers: int | None = None) -> None:
        self.model = model
        self.workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
        self._pool: multiprocessing.pool.Pool | None = None

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None

    def _processes(self) -> multiprocessing.pool.Pool:
        global _FORKED
        if self._pool is None:
            _FORKED = self.model
            self._pool = multiprocessing.get_context("fork").Pool(self.workers, initializer=_as_born)
            _FORKED = None
        return self._pool

    def totals(self, variant: Any, seed: int, replications: range) -> list[Any]:
        """``run_day`` of ``variant`` for each replication, in order."""
        if self.workers == 1 or len(replications) < 8:
            return [self.model.run_day(variant, seed, r) for r in replications]
        chunks = _split(replications, self.workers * 4)
        parts = self._processes().starmap(_run_chunk, [(variant, seed, chunk) for chunk in chunks])
        return [t for part in parts for t in part]

    def many(self, variants: Sequence[Any], seed: int, replications: range) -> list[list[Any]]:
        """Several variants on the same citizens (common random numbers), all at once."""
        if self.workers == 1 or len(variants) * len(replications) < 8:
            return [[self.model.run_day(v, seed, r) for r in replications] for v in variants]
        chunks = _split(replications, max(1, self.workers * 2 // max(1, len(variants))))
        jobs = [(v, seed, chunk) for v in variants for chunk in chunks]
        parts = iter(self._processes().starmap(_run_chunk, jobs))
        return [[t for _ in chunks for t in next(parts)] for _ in variants]


def _split(replications: range, parts: int) -> list[range]:
    n = len(replications)
    parts = max(1, min(parts, n))
    bounds = [replications.start + n * k // parts for k in range(parts + 1)]
    return [range(a, b) for a, b in itertools.pairwise(bounds) if b > a]
