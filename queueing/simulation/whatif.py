"""What if, from now: the live hall cloned, the rest of the day run forward (pure).

The hall as it is (``HallSnapshot``: the tickets waiting and at counters, each counter's
state and kind) is restored into a core of its own for every replication, then:

- the citizens already waiting keep their place and their real arrival (their wait counts
  from it); each is given a service time (and a no-show chance) from their item's demand;
- a citizen at a counter is finished after the rest of a service time drawn from their item
  given how long it has already run (drawn again until longer than that; an exponential
  service has no memory, so this is its residual);
- citizens keep coming until the day's last arrival, at the expected rates (the scenario's
  demand: the forecast for today);
- counters stay as they are (open ones call, paused ones stay paused, closed ones closed)
  unless a change says otherwise: the manager's ``Change``s take effect now.

The same replication of two variants (as it is; with the changes) sees the same citizens
(common random numbers), so the difference is the change's. Besides the usual result, the
waits are kept per ten minutes of arrival, to say when the hall is back under a target
(``recovers_at``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Literal

import msgspec

from queueing.bounds import CounterNumber
from queueing.errors import Refusal
from queueing.hall import HallQueue
from queueing.kinds import CounterKind, CounterSpec
from queueing.lifecycle import TicketState
from queueing.records import HallSnapshot
from queueing.simulation.engine import Control, collector_paused, reconfigure_command
from queueing.simulation.model import Model
from queueing.simulation.results import SimulationResult, Totals, clock, combine, tally_day
from queueing.simulation.sampling import Citizen, stream
from queueing.stats.figures import nearest_rank

__all__ = ["Change", "WhatIf", "WhatIfResult", "recovers_at"]

BUCKET = 10  # minutes of arrival per recovery bucket


class Change(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A manager's change, from now: open or close a counter, or make it another kind."""

    counter: CounterNumber
    action: Literal["open", "close", "reconfigure"]
    kind: CounterKind | None = None  # reconfigure: the new kind
    domains: tuple[str, ...] | None = None  # reconfigure: its domains (a domain counter needs them)


class Variant(msgspec.Struct, frozen=True):
    changes: tuple[Change, ...] = ()


class WhatIfResult(msgspec.Struct, frozen=True, kw_only=True):
    at: dt.datetime
    replications: int
    baseline: SimulationResult
    changed: SimulationResult | None
    # when arrivals' p90 wait stays within the target from then on ("HH:MM"; None: not today)
    baseline_recovers_at: str | None
    changed_recovers_at: str | None
    target_minutes: float


def recovers_at(buckets: Sequence[list[float]], first: float, target: float) -> str | None:
    """The start of the first ten minutes from which every ten minutes' arrivals have a p90
    wait within ``target`` (waits pooled over the replications); None if that never comes."""
    ok_from: int | None = None
    for index, waits in enumerate(buckets):
        if not waits:
            continue
        within = nearest_rank(sorted(waits), 0.9) <= target
        ok_from = (index if ok_from is None else ok_from) if within else None
    return None if ok_from is None else clock(first + BUCKET * ok_from)


class WhatIf:
    """``model``: the rest of today as a scenario (its demand: the expected arrivals; its start:
    the current hour; its end: the last arrival), ``snapshot``: the live hall, ``now``."""

    def __init__(self, model: Model, snapshot: HallSnapshot, now: dt.datetime) -> None:
        self.model = model
        self.snapshot = msgspec.msgpack.encode(snapshot)
        self.now = model.engine.minute(now)
        self.at = now
        # the hall's counters as they are now, for the engine's kinds and capacity
        tickets = {t.id: t for t in snapshot.tickets}
        self.waiting = [t for t in snapshot.tickets if t.state is TicketState.WAITING]
        self.busy = {c.spec.number: tickets[c.current] for c in snapshot.counters if c.current in tickets}

    def check(self, changes: Sequence[Change]) -> None:
        """Each change is one the hall would take now: its counter exists, and the core accepts
        a new kind (it refuses one that leaves waiting citizens with no counter)."""
        queue = self._queue()
        for index, change in enumerate(changes):
            if change.counter not in queue.counters:
                raise self.model.fail(f"changes[{index}].counter", f"no counter {change.counter} in this hall")
            if change.action == "reconfigure" and change.kind is None:
                raise self.model.fail(f"changes[{index}].kind", "reconfigure needs the counter's new kind")
        for index, change in enumerate(changes):  # in order, on a copy of the hall
            for control in self._controls([change], queue):
                if control.action == "reconfigure" and control.spec is not None:
                    try:
                        queue.handle(reconfigure_command(self.at, control.counter, control.spec))
                    except Refusal as refusal:
                        raise self.model.fail(f"changes[{index}]", refusal.message) from None

    def _queue(self) -> HallQueue:
        snapshot = msgspec.msgpack.decode(self.snapshot, type=HallSnapshot)
        return HallQueue.restore(self.model.engine.rules, snapshot, quotes=False)

    def _controls(self, changes: Sequence[Change], queue: HallQueue) -> list[Control]:
        controls = []
        for change in changes:
            if change.action == "reconfigure":
                old = queue.counters[change.counter].spec
                spec = CounterSpec(
                    number=old.number,
                    name=old.name,
                    kind=change.kind or old.kind,
                    domains=change.domains if change.domains is not None else old.domains,
                    profile=None,
                )
                controls.append(Control(self.now, "reconfigure", counter=change.counter, spec=spec))
                if queue.counters[change.counter].state.value == "closed":
                    controls.append(Control(self.now, "open", counter=change.counter))
            else:
                controls.append(Control(self.now, change.action, counter=change.counter))
        return controls

    def run_day(self, variant: Variant, seed: int, replication: int) -> tuple[Totals, list[list[float]]]:
        with collector_paused():
            return self._run_day(variant, seed, replication)

    def _run_day(self, variant: Variant, seed: int, replication: int) -> tuple[Totals, list[list[float]]]:
        model = self.model
        queue = self._queue()
        rng = stream(seed, replication, "present")
        citizens: list[Citizen] = []
        for ticket in self.waiting:
            demand = model.demand(ticket.item)
            sampler = model.samplers.get(ticket.item)
            minutes = sampler(rng) if sampler else model.rules.item_by_code[ticket.item].service_minutes
            no_show = rng.random() < (demand.no_show if demand else 0.0)
            arrived = model.engine.minute(ticket.issued_at)
            minutes = model.no_show_minutes if no_show else minutes
            rank = ticket.priority.rank
            citizens.append(Citizen(arrived, ticket.item, rank, no_show, minutes, ticket=ticket.id))
        busy_until = {}
        for number, ticket in self.busy.items():
            began = ticket.started_at or ticket.called_at or self.at
            spent = max(0.0, (self.at - began).total_seconds() / 60 - ticket.suspended_seconds / 60)
            sampler = model.samplers.get(ticket.item)
            mean = model.mean_minutes.get(ticket.item, model.rules.item_by_code[ticket.item].service_minutes)
            total = None
            for _ in range(50):  # the service time, given that it has run ``spent`` minutes
                draw = sampler(rng) if sampler else mean
                if draw > spent:
                    total = draw
                    break
            busy_until[number] = self.now + ((total - spent) if total is not None else rng.expovariate(1 / mean))
        citizens += [c for c in model.citizens(seed, replication) if c.at >= self.now]
        record = model.engine.run(
            citizens, self._controls(variant.changes, queue), queue=queue, now=self.now, busy_until=busy_until
        )
        totals = tally_day(record, model.start, model.hours, model.group_of, model.thresholds)
        first = math.floor(self.now / BUCKET) * BUCKET
        buckets: list[list[float]] = [[] for _ in range(int((model.end - first) // BUCKET) + 1)]
        for citizen, called, gone in zip(record.citizens, record.called, record.no_show, strict=True):
            if called == called and not gone:
                index = min(max(int((max(citizen.at, self.now) - first) // BUCKET), 0), len(buckets) - 1)
                buckets[index].append(called - citizen.at)
        return totals, buckets

    def compare(
        self, pool: object, changes: Sequence[Change], replications: int, seed: int, target_minutes: float
    ) -> WhatIfResult:
        """The rest of the day as it is and with ``changes``, ``replications`` times each."""
        self.check(changes)
        variants = [Variant()] + ([Variant(tuple(changes))] if changes else [])
        runs = pool.many(variants, seed, range(replications))  # type: ignore[attr-defined]
        first = math.floor(self.now / BUCKET) * BUCKET
        results = []
        for days in runs:
            totals = [t for t, _ in days]
            pooled = [[w for _, b in days for w in b[k]] for k in range(len(days[0][1]))]
            result = combine(totals, seed=seed, start=self.model.start)
            results.append((result, recovers_at(pooled, first, target_minutes)))
        baseline, changed = results[0], (results[1] if len(results) > 1 else (None, None))
        return WhatIfResult(
            at=self.at,
            replications=replications,
            baseline=baseline[0],
            changed=changed[0],
            baseline_recovers_at=baseline[1],
            changed_recovers_at=changed[1],
            target_minutes=target_minutes,
        )
