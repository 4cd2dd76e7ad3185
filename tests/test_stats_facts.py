"""The statistics' facts and figures against a plain reference computation over the raw events.

Random days of the demo hall are driven through the core by the tests' day simulation
(``tests/perf/rebuild.py``: lunches, recalls, no-shows and reinstatements, transfers, suspends,
cancellations, a counter re-purposed, midnight expiring the rest). The fast way (``fold_day``,
kept and read back, then ``figures``) must give exactly what this module's reference gives: a
loop over the events that keeps its own simple state, without the core.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queueing.events import (
    CounterClosed,
    CounterDefined,
    CounterOpened,
    CounterPaused,
    CounterReconfigured,
    CounterRetired,
    DayStarted,
    Recorded,
    ServiceCompleted,
    ServiceStarted,
    StaffSignedIn,
    StaffSignedOut,
    TicketCalled,
    TicketCancelled,
    TicketIssued,
    TicketMissed,
    TicketRecalled,
    TicketReinstated,
    TicketResumed,
    TicketSuspended,
    TicketTransferred,
)
from queueing.kinds import served_items
from queueing.stats.facts import DayFacts, fold_day
from queueing.stats.figures import Names, counter_figures, estimate_figures, ticket_figures
from queueing.stats.table import Columns, DayTable
from tests.perf.rebuild import Simulation
from tests.support import demo_hall

HALL = demo_hall()
ZONE = ZoneInfo("Asia/Shanghai")
TARGET = 15  # minutes
NAMES = Names(item_domain={i.code: i.domain for i in HALL.rules.items})


def simulate(seed: int, per_day: int, events: int) -> dict[dt.date, list[Recorded]]:
    recorded: list[Recorded] = []
    Simulation(HALL, lambda _, r: recorded.extend(r), tickets_per_day=per_day, seed=seed).run(events)
    days: dict[dt.date, list[Recorded]] = defaultdict(list)
    for entry in recorded:
        days[HALL.rules.hall_day(entry.event.at)].append(entry)
    return dict(days)


def fast(days: dict[dt.date, list[Recorded]]) -> list[DayFacts]:
    """The facts of every day, through a msgpack round trip as ``stats_day`` keeps them."""
    specs: dict[int, object] = {}
    ordered = sorted(days)
    result = []
    for index, day in enumerate(ordered):
        after = days[ordered[index + 1]][0].event if index + 1 < len(ordered) else None
        facts = fold_day(HALL.rules, day, dict(specs), days[day], after)  # type: ignore[arg-type]
        result.append(msgspec.msgpack.decode(msgspec.msgpack.encode(facts), type=DayFacts))
        for entry in days[day]:  # the counters as the next day begins
            if isinstance(entry.event, CounterDefined | CounterReconfigured):
                specs[entry.event.counter] = entry.event.spec
            elif isinstance(entry.event, CounterRetired):
                specs.pop(entry.event.counter, None)
    return result


# ---------------------------------------------------------------- the reference


class _Ticket:
    def __init__(self, event: TicketIssued, t: float) -> None:
        self.item, self.state, self.to_counter = event.item, "waiting", None
        self.arrived, self.first_call, self.quoted = t, None, event.quoted_minutes
        self.outcome, self.served = "waiting", None  # served: (counter, kind, clerk, service seconds)
        self.first = None  # (counter, kind, clerk) of the first call
        self.visit: dict | None = None


def reference(days: dict[dt.date, list[Recorded]]) -> tuple[dict, dict]:
    """Per ticket (wait, service, outcome, counter) and per counter (open, busy, idle, paused)
    seconds, by a plain walk over the events."""
    tickets: dict[str, _Ticket] = {}
    specs: dict[int, object] = {}
    state: dict[int, str] = {}
    staff: dict[int, str] = {}
    current: dict[int, str | None] = {}
    reason: dict[int, str] = {}
    seconds: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    last = None

    def eligible(n: int) -> bool:
        serves = served_items(specs[n], HALL.rules.items)  # type: ignore[arg-type]
        return any(
            t.state == "waiting" and (t.to_counter == n or (t.to_counter is None and t.item in serves))
            for t in tickets.values()
        )

    def book(until: float) -> None:
        for n in specs:
            elapsed = until - last if last is not None else 0.0
            if elapsed <= 0:
                continue
            busy = current.get(n) is not None
            if state.get(n) == "open" or busy:
                seconds[n]["open"] += elapsed
                if busy:
                    seconds[n]["busy"] += elapsed
            if state.get(n) == "paused":
                seconds[n]["paused:" + reason.get(n, "")] += elapsed
            if state.get(n) == "open" and not busy and eligible(n):
                seconds[n]["idle"] += elapsed

    ordered = sorted(days)
    for day in ordered:
        for entry in days[day]:
            e = entry.event
            t = e.at.timestamp()
            book(t)
            last = t
            if isinstance(e, DayStarted):
                for ticket_id in e.expired:
                    ticket = tickets[ticket_id]
                    if ticket.outcome == "waiting":
                        ticket.outcome = "expired"
                    ticket.state = "gone"
                for n in specs:
                    state[n], staff[n], current[n] = "closed", "", None
            elif isinstance(e, CounterDefined | CounterReconfigured):
                specs[e.counter] = e.spec
                state.setdefault(e.counter, "closed")
            elif isinstance(e, CounterRetired):
                del specs[e.counter]
            elif isinstance(e, CounterOpened):
                state[e.counter] = "open"
            elif isinstance(e, CounterPaused):
                state[e.counter], reason[e.counter] = "paused", e.reason
            elif isinstance(e, CounterClosed):
                state[e.counter] = "closed"
                for ticket_id in e.released:
                    tickets[ticket_id].to_counter = None
            elif isinstance(e, StaffSignedIn):
                staff[e.counter] = e.staff
            elif isinstance(e, StaffSignedOut):
                staff[e.counter] = ""
            elif isinstance(e, TicketIssued):
                tickets[e.ticket_id] = _Ticket(e, t)
            elif isinstance(e, TicketCalled):
                ticket = tickets[e.ticket_id]
                where = (e.counter, specs[e.counter].kind.value, staff.get(e.counter, ""))  # type: ignore[attr-defined]
                ticket.first_call = ticket.first_call if ticket.first_call is not None else t
                ticket.first = ticket.first or where
                ticket.state, ticket.to_counter = "called", None
                ticket.visit = {"where": where, "called": t, "started": None, "away": 0.0, "left": None}
                current[e.counter] = e.ticket_id
            elif isinstance(e, ServiceStarted):
                visit = tickets[e.ticket_id].visit
                visit["started"] = visit["started"] if visit["started"] is not None else t  # type: ignore[index]
            elif isinstance(e, TicketSuspended):
                tickets[e.ticket_id].visit["left"] = t  # type: ignore[index]
                current[e.counter] = None
            elif isinstance(e, TicketResumed):
                visit = tickets[e.ticket_id].visit
                visit["away"] += t - visit["left"]  # type: ignore[index]
                visit["started"] = visit["started"] if visit["started"] is not None else t  # type: ignore[index]
                current[e.counter] = e.ticket_id
            elif isinstance(e, ServiceCompleted):
                ticket = tickets[e.ticket_id]
                visit = ticket.visit
                began = visit["started"] if visit["started"] is not None else visit["called"]  # type: ignore[index]
                ticket.served = (*visit["where"], max(t - began - visit["away"], 0.0))  # type: ignore[index]
                ticket.outcome, ticket.state = "served", "gone"
                current[e.counter] = None
            elif isinstance(e, TicketMissed):
                tickets[e.ticket_id].outcome, tickets[e.ticket_id].state = "no_show", "missed"
                current[e.counter] = None
            elif isinstance(e, TicketReinstated):
                tickets[e.ticket_id].outcome, tickets[e.ticket_id].state = "waiting", "waiting"
            elif isinstance(e, TicketTransferred):
                ticket = tickets[e.ticket_id]
                ticket.item, ticket.to_counter, ticket.state = e.item, e.to_counter, "waiting"
                current[e.counter] = None
            elif isinstance(e, TicketCancelled):
                ticket = tickets[e.ticket_id]
                ticket.outcome, ticket.state = "cancelled", "gone"
            elif isinstance(e, TicketRecalled):
                pass
    return tickets, seconds


def nearest_rank(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(p * len(ordered)), 1) - 1]


# ---------------------------------------------------------------- the property


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), per_day=st.integers(20, 260), days=st.integers(1, 3))
def test_the_fast_figures_equal_the_reference(seed: int, per_day: int, days: int) -> None:
    record = simulate(seed, per_day, events=per_day * 5 * days)
    facts = fast(record)
    tickets, seconds = reference(record)

    # every ticket: its outcome, wait, service, and the counter it belongs to
    by_id = {t.id: t for f in facts for t in f.tickets}
    assert by_id.keys() == tickets.keys()
    for ticket_id, ref in tickets.items():
        fact = by_id[ticket_id]
        assert fact.outcome == ref.outcome, (ticket_id, fact, ref.outcome)
        assert fact.wait() == (None if ref.first_call is None else ref.first_call - ref.arrived)
        served = fact.served_visit() if fact.outcome == "served" else None
        if ref.served is None:
            assert served is None
        else:
            began = served.started if served.started is not None else served.called
            assert (served.counter, served.kind, served.clerk) == ref.served[:3]
            assert served.ended - began - served.suspended == pytest.approx(ref.served[3], abs=1e-6)

    # the figures of all tickets, and by counter kind: from the days' columns, as kept
    tables = [msgspec.msgpack.decode(msgspec.msgpack.encode(DayTable.of(f, ZONE)), type=DayTable) for f in facts]
    columns = Columns.of(tables)
    total, by = ticket_figures(columns, NAMES, TARGET, ["kind", "hour"])
    waits = [r.first_call - r.arrived for r in tickets.values() if r.first_call is not None]
    services = [r.served[3] for r in tickets.values() if r.served is not None]
    assert total.arrivals == len(tickets)
    for outcome in ("served", "no_show", "cancelled", "expired", "waiting"):
        assert getattr(total, outcome) == sum(1 for r in tickets.values() if r.outcome == outcome)
    if waits:
        assert total.wait_p90 == round(nearest_rank(waits, 0.9) / 60, 2)
        assert total.wait_max == round(max(waits) / 60, 2)
        assert total.wait_mean == round(sum(waits) / len(waits) / 60, 2)
    if services:
        assert total.service_p90 == round(nearest_rank(services, 0.9) / 60, 2)
    within = sum(1 for r in tickets.values() if r.first_call is not None and r.first_call - r.arrived <= TARGET * 60)
    assert total.within_target == within
    served_within = sum(1 for r in tickets.values() if r.served is not None and r.first_call - r.arrived <= TARGET * 60)
    served = sum(1 for r in tickets.values() if r.served is not None)
    assert total.service_level_served == (round(served_within / served, 4) if served else None)
    kinds: dict[str, int] = defaultdict(int)
    for r in tickets.values():
        where = r.served or r.first
        kinds[where[1] if where else ""] += 1
    assert {row.key: row.arrivals for row in by["kind"]} == dict(kinds)

    # the counters' time, over the closed days (the reference runs to the last event)
    figures = counter_figures(columns, NAMES, ["counter"])["counter"]
    got = {row.key: row for row in figures}
    for n, spent in seconds.items():
        row = got.get(f"demo/{n}")
        if row is None:
            assert sum(spent.values()) == 0
            continue
        assert row.open_hours == pytest.approx(spent["open"] / 3600, abs=2e-3)
        assert row.busy_hours == pytest.approx(spent["busy"] / 3600, abs=2e-3)
        assert row.idle_waiting_hours == pytest.approx(spent["idle"] / 3600, abs=2e-3)
        for key, value in spent.items():
            if key.startswith("paused:"):
                assert row.paused_hours.get(key.removeprefix("paused:"), 0.0) == pytest.approx(value / 3600, abs=2e-3)

    # what each ticket was told, against its wait
    told = [
        (r.quoted, (r.first_call - r.arrived) / 60)
        for r in tickets.values()
        if r.quoted is not None and r.first_call is not None
    ]
    [everyone] = estimate_figures(columns)["all"] or [None]
    if told:
        assert everyone.tickets == len(told)
        assert everyone.bias == round(sum(q - w for q, w in told) / len(told), 2)
        assert everyone.mean_absolute_error == round(sum(abs(q - w) for q, w in told) / len(told), 2)
