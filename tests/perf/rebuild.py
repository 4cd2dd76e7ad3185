"""Figure 3: rebuilding a hall's live state from 100,000 recorded events.

The record is made the way the service makes it: a simulated demo hall (its caps, its 14
counters and clerks) goes through ordinary working days, driven through the core
(``HallQueue.handle``), and every batch of up to 64 commands is appended with the real
store (``store.append``, one transaction per batch, snapshots as the service takes them)
to a SQLite file. A day: clerks sign in and open at about 8:50; citizens arrive from
8:45 to 16:30 with morning and afternoon peaks (a few green-channel, some appointments,
most walk-ins); counters call, recall, start, complete, mark no-shows (some reinstated at
the desk within the grace period), transfer, suspend and resume, pause for lunch, and
close and sign out at 17:00; some citizens give up and are cancelled; whoever still waits
at night expires with the next day.

Then ``HallQueue(rules)`` + ``apply`` of every event read back with ``store.read_since`` is
timed, as ``hall rebuild`` does it (``config/cli.py`` ``cmd_rebuild``), and ``hall rebuild``
itself is run on the same file as a cross-check.
"""

from __future__ import annotations

import base64
import datetime as dt
import heapq
import itertools
import os
import random
import re
import statistics
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from config.database import connect_engine, read_connection, write_transaction
from config.halls import HallDefinition, load_hall
from config.migrations import upgrade
from queueing import store
from queueing.commands import (
    CallNext,
    CancelTicket,
    CloseCounter,
    CompleteService,
    DefineCounter,
    IssueTicket,
    MarkNoShow,
    OpenCounter,
    PauseCounter,
    Priority,
    Recall,
    ReconfigureCounter,
    Reinstate,
    Resume,
    SignIn,
    SignOut,
    StartService,
    Suspend,
    Transfer,
)
from queueing.errors import Refusal
from queueing.events import Recorded, TicketCalled
from queueing.hall import HallQueue
from queueing.kinds import served_items
from queueing.lifecycle import CounterState, TicketState
from queueing.models import HallEventRow
from tests.perf.common import ROOT, Figure, Outcome, clerks, fmt, issue_pools, python, scratch_dir
from tests.support import DEMO_HALL, KIOSK, MANAGER, SHANGHAI, staff

__all__ = ["Simulation", "bench_rebuild", "make_record"]

FIRST_DAY = dt.date(2026, 3, 2)  # a Monday
BATCH = 64  # commands per transaction, as a busy hall's batch


def _minutes(day: dt.date, minute: float) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), SHANGHAI) + dt.timedelta(minutes=minute)


class Simulation:
    """A busy hall, day after day, through the core; ``sink`` gets each command's events."""

    def __init__(
        self,
        hall: HallDefinition,
        sink: Callable[[HallQueue, list[Recorded]], None],
        *,
        tickets_per_day: int = 420,
        seed: int = 20261123,
        on_day_end: Callable[[], None] | None = None,
    ) -> None:
        self.hall = hall
        self.on_day_end = on_day_end
        self.days = 0
        self.queue = HallQueue(hall.rules)
        self.sink = sink
        self.rng = random.Random(seed)
        self.tickets_per_day = tickets_per_day
        self.clerks = {number: staff(name) for number, name in clerks(hall).items()}
        self.pools = issue_pools(hall)
        self.items = [item.code for item in hall.rules.items]
        self.minutes = {item.code: item.service_minutes for item in hall.rules.items}
        self.served = {c.number: frozenset(served_items(c, hall.rules.items)) for c in hall.counters}
        self.refused: Counter[str] = Counter()
        self.commands = 0
        self._order = itertools.count()
        self._heap: list = []

    # ------------------------------------------------------------------ plumbing

    def _at(self, when: dt.datetime, action: Callable, *args) -> None:
        heapq.heappush(self._heap, (when, next(self._order), action, args))

    def _do(self, command) -> list[Recorded] | None:
        self.commands += 1
        try:
            recorded = self.queue.handle(command)
        except Refusal as refusal:
            self.refused[f"{type(command).__name__}: {refusal.code}"] += 1
            if refusal.recorded:
                self.sink(self.queue, refusal.recorded)
            return None
        if recorded:
            self.sink(self.queue, recorded)
        return recorded

    def _id(self) -> str:
        return base64.urlsafe_b64encode(self.rng.randbytes(12)).decode()

    def _state(self, ticket_id: str) -> TicketState | None:
        ticket = self.queue.tickets.get(ticket_id)
        return ticket.state if ticket else None

    # ------------------------------------------------------------------ days

    def run(self, events: int, days: int | None = None) -> None:
        """Simulate whole days until the record holds at least ``events`` events (or until
        ``days`` working days are done)."""
        if not self.queue.counters:
            for spec in self.hall.counters:
                self._do(DefineCounter(at=_minutes(FIRST_DAY, 8 * 60), spec=spec))
        day = FIRST_DAY
        while self.queue.seq < events and (days is None or self.days < days):
            if day.weekday() < 5:
                self._day(day, events)
            day += dt.timedelta(days=1)

    def _day(self, day: dt.date, events: int) -> None:
        self.day, self.close = day, _minutes(day, 17 * 60)
        self.lunched: set[int] = set()
        self.parked: dict[int, list[tuple[dt.datetime, str]]] = {n: [] for n in self.clerks}
        for number in self.clerks:
            self._at(_minutes(day, 8 * 60 + 45 + self.rng.uniform(0, 14)), self._open, number)
        # Arrivals, 8:45 to 16:30, busiest mid-morning and mid-afternoon.
        for _ in range(self.tickets_per_day):
            peak = self.rng.choice((10 * 60, 10 * 60, 14 * 60 + 30, 14 * 60 + 30, 12 * 60 + 30))
            minute = min(16 * 60 + 30, max(8 * 60 + 45, self.rng.gauss(peak, 75)))
            self._at(_minutes(day, minute), self._arrive)
        self._at(_minutes(day, 10 * 60), self._reconfigure, 5, "fund_first")
        self._at(_minutes(day, 15 * 60), self._reconfigure, 5, "longest_waiting")
        while self._heap and self.queue.seq < events:
            when, _, action, args = heapq.heappop(self._heap)
            action(when, *args)
        self._heap.clear()
        self.days += 1
        if self.on_day_end is not None:
            self.on_day_end()

    def _reconfigure(self, when: dt.datetime, number: int, profile: str) -> None:
        self._do(ReconfigureCounter(at=when, actor=MANAGER, counter=number, profile=profile))

    def _arrive(self, when: dt.datetime) -> None:
        roll = self.rng.random()
        item = self.rng.choice(self.rng.choice(self.pools))
        if roll < 0.02:
            command = IssueTicket(
                at=when, actor=MANAGER, ticket_id=self._id(), item=item, priority=Priority.GREEN, channel="desk"
            )
        elif roll < 0.10:
            slot = _minutes(self.day, (when.hour * 60 + when.minute) // 30 * 30 + 30)
            command = IssueTicket(
                at=when,
                actor=KIOSK,
                ticket_id=self._id(),
                item=item,
                priority=Priority.APPOINTMENT,
                appointment_slot=slot,
                idempotency_key=self._id(),
            )
        else:
            command = IssueTicket(at=when, actor=KIOSK, ticket_id=self._id(), item=item, idempotency_key=self._id())
        if self._do(command) and self.rng.random() < 0.03:  # gives up waiting
            self._at(when + dt.timedelta(minutes=self.rng.uniform(20, 90)), self._give_up, command.ticket_id)

    def _give_up(self, when: dt.datetime, ticket_id: str) -> None:
        if self._state(ticket_id) is TicketState.WAITING:
            self._do(CancelTicket(at=when, actor=MANAGER, ticket_id=ticket_id))

    # ------------------------------------------------------------------ a counter

    def _open(self, when: dt.datetime, number: int) -> None:
        clerk = self.clerks[number]
        self._do(SignIn(at=when, actor=clerk, counter=number))
        self._do(OpenCounter(at=when, actor=clerk, counter=number))
        self._free(when + dt.timedelta(minutes=self.rng.uniform(1, 5)), number)

    def _free(self, when: dt.datetime, number: int) -> None:
        """The counter has nobody: what it does next."""
        self._at(when + dt.timedelta(seconds=self.rng.uniform(10, 60)), self._next, number)

    def _next(self, when: dt.datetime, number: int) -> None:
        clerk = self.clerks[number]
        counter = self.queue.counters[number]
        if when >= self.close:
            for _due, ticket_id in self.parked[number]:  # never came back
                if self._state(ticket_id) is TicketState.SUSPENDED:
                    self._do(CancelTicket(at=when, actor=MANAGER, ticket_id=ticket_id))
            self._do(CloseCounter(at=when, actor=clerk, counter=number))
            self._do(SignOut(at=when, actor=clerk, counter=number))
            return
        lunch = _minutes(self.day, 11 * 60 + 45 + 60 * (number % 2))
        if number not in self.lunched and when >= lunch and counter.state is CounterState.OPEN:
            self.lunched.add(number)
            self._do(PauseCounter(at=when, actor=clerk, counter=number, reason="lunch"))
            back = when + dt.timedelta(minutes=self.rng.uniform(40, 50))
            self._at(back, self._back, number)
            return
        ready = [p for p in self.parked[number] if p[0] <= when]
        if ready:
            self.parked[number].remove(ready[0])
            if self._do(Resume(at=when, actor=clerk, counter=number, ticket_id=ready[0][1])):
                self._at(when + dt.timedelta(minutes=self.rng.uniform(3, 8)), self._complete, number)
                return
        recorded = self._do(CallNext(at=when, actor=clerk, counter=number))
        called = next((r.event for r in recorded or () if isinstance(r.event, TicketCalled)), None)
        if called is None:
            self._at(when + dt.timedelta(minutes=1), self._next, number)  # nobody: look again in a minute
            return
        roll = self.rng.random()
        if roll < 0.05:  # does not come: recall twice, then no-show
            for minute, action in ((1, self._recall), (2, self._recall), (3, self._no_show)):
                self._at(when + dt.timedelta(minutes=minute), action, number)
            return
        start = when + dt.timedelta(minutes=self.rng.uniform(0.5, 1.5))
        if roll < 0.15:
            self._at(when + dt.timedelta(minutes=0.4), self._recall, number)
        self._at(start, self._start, number)

    def _back(self, when: dt.datetime, number: int) -> None:
        self._do(OpenCounter(at=when, actor=self.clerks[number], counter=number))
        self._free(when, number)

    def _recall(self, when: dt.datetime, number: int) -> None:
        self._do(Recall(at=when, actor=self.clerks[number], counter=number))

    def _no_show(self, when: dt.datetime, number: int) -> None:
        ticket_id = self.queue.counters[number].current
        self._do(MarkNoShow(at=when, actor=self.clerks[number], counter=number))
        if ticket_id and self.rng.random() < 0.4:  # turns up at the desk within the grace period
            self._at(when + dt.timedelta(minutes=self.rng.uniform(2, 25)), self._reinstate, ticket_id)
        self._free(when, number)

    def _reinstate(self, when: dt.datetime, ticket_id: str) -> None:
        if self._state(ticket_id) is TicketState.NO_SHOW:
            self._do(Reinstate(at=when, actor=MANAGER, ticket_id=ticket_id))

    def _start(self, when: dt.datetime, number: int) -> None:
        clerk = self.clerks[number]
        ticket_id = self.queue.counters[number].current
        if ticket_id is None or not self._do(StartService(at=when, actor=clerk, counter=number)):
            self._free(when, number)
            return
        ticket = self.queue.tickets[ticket_id]
        roll = self.rng.random()
        later = when + dt.timedelta(minutes=self.rng.uniform(2, 5))
        if roll < 0.04:  # wrong item: transfer, keeping the number (一票到底)
            item = self.rng.choice([i for i in self.items if i != ticket.item])
            self._at(later, self._transfer, number, item)
        elif roll < 0.06:  # fetches a missing document: suspend, resume later at this counter
            self._at(later, self._suspend, number)
        else:
            minutes = self.minutes.get(ticket.item, 10) * self.rng.lognormvariate(0, 0.35)
            self._at(when + dt.timedelta(minutes=minutes), self._complete, number)

    def _complete(self, when: dt.datetime, number: int) -> None:
        self._do(CompleteService(at=when, actor=self.clerks[number], counter=number))
        self._free(when, number)

    def _transfer(self, when: dt.datetime, number: int, item: str) -> None:
        self._do(Transfer(at=when, actor=self.clerks[number], counter=number, item=item))
        self._free(when, number)

    def _suspend(self, when: dt.datetime, number: int) -> None:
        ticket_id = self.queue.counters[number].current
        if ticket_id and self._do(Suspend(at=when, actor=self.clerks[number], counter=number)):
            self.parked[number].append((when + dt.timedelta(minutes=self.rng.uniform(5, 20)), ticket_id))
        self._free(when, number)


class _Writer:
    """Appends what the simulation records, as the service does: a transaction per batch of
    up to 64 commands, then a snapshot every 2,000 events and at each new day."""

    def __init__(self, engine, hall_id: str, snapshot_every: int = 2000) -> None:
        self.engine, self.hall_id, self.snapshot_every = engine, hall_id, snapshot_every
        self.pending: list[Recorded] = []
        self.commands = 0
        self.snapshot_seq = 0
        self.snapshots = 0
        self.transactions = 0
        self.queue: HallQueue | None = None
        with write_transaction(engine) as conn, conn.begin():
            store.ensure_head(conn, hall_id)

    def __call__(self, queue: HallQueue, recorded: list[Recorded]) -> None:
        self.queue = queue
        self.pending += recorded
        self.commands += 1
        if self.commands % BATCH == 0:
            self.flush()

    def flush(self) -> None:
        if not self.pending or self.queue is None:
            return
        queue, batch = self.queue, self.pending
        with write_transaction(self.engine) as conn, conn.begin():
            store.append(conn, queue, batch)
        self.transactions += 1
        self.pending = []
        day_started = any(type(r.event).__name__ == "DayStarted" for r in batch)
        if day_started or queue.seq - self.snapshot_seq >= self.snapshot_every:
            with write_transaction(self.engine) as conn, conn.begin():
                store.save_snapshot(conn, queue.rules.hall, queue.seq, batch[-1].event.at, store.encode_snapshot(queue))
            self.snapshot_seq = queue.seq
            self.snapshots += 1


def make_record(database_url: str, events: int, hall: HallDefinition | None = None) -> dict:
    """Simulate the demo hall until ``events`` are recorded in ``database_url``; what was made."""
    hall = hall or load_hall(DEMO_HALL)
    engine = connect_engine(database_url)
    try:
        upgrade(engine)
        writer = _Writer(engine, hall.id)
        # Flushed at the end of every day, so that no batch spans midnight.
        simulation = Simulation(hall, writer, on_day_end=writer.flush)
        simulation.run(events)
        writer.flush()
        events_table = HallEventRow.__table__
        with read_connection(engine) as conn, conn.begin():
            kinds = dict(
                conn.execute(
                    sa.select(events_table.c.kind, sa.func.count())
                    .where(events_table.c.hall == hall.id)
                    .group_by(events_table.c.kind)
                    .order_by(sa.func.count().desc())
                ).all()
            )
    finally:
        engine.dispose()
    return {
        "events": simulation.queue.seq,
        "days": simulation.days,
        "last_day": simulation.day.isoformat(),
        "commands": simulation.commands,
        "transactions": writer.transactions,
        "snapshots": writer.snapshots,
        "refused": dict(simulation.refused),
        "events_by_kind": kinds,
        "state": simulation.queue.export(),
    }


def bench_rebuild(events: int = 100_000, repeats: int = 3, target_seconds: float = 2.0, cli: bool = True) -> Outcome:
    started = time.perf_counter()
    outcome = Outcome("rebuild")
    hall = load_hall(DEMO_HALL)
    with scratch_dir("rebuild") as folder:
        url = f"sqlite:///{folder / 'hall.db'}"
        made_at = time.perf_counter()
        made = make_record(url, events, hall)
        made_seconds = time.perf_counter() - made_at
        final_state = made.pop("state")
        engine = connect_engine(url)
        try:
            runs = []
            for _ in range(repeats):
                seconds, rebuilt = _rebuild(engine, hall)
                runs.append(seconds)
                if rebuilt.seq != made["events"] or rebuilt.export() != final_state:
                    raise RuntimeError(f"rebuilt state differs from the simulated hall (seq {rebuilt.seq})")
            decode_only = _read_only(engine, hall.id)
        finally:
            engine.dispose()
        cli_result = _cli_rebuild(folder, url, hall) if cli else None
        size_mb = (folder / "hall.db").stat().st_size / 1e6
    median = statistics.median(runs)
    outcome.figures.append(
        Figure(
            key="rebuild.seconds",
            label=f"rebuild from {made['events']:,} events (SQLite, read_since + apply)",
            value=round(median, 3),
            unit="s",
            text=f"{median:.2f} s ({fmt(made['events'] / median)} events/s)",
            target=f"< {fmt(target_seconds)} s",
            ok=median < target_seconds,
        )
    )
    if cli_result is not None:
        outcome.figures.append(
            Figure(
                key="rebuild.cli_seconds",
                label="`hall rebuild` on the same record (its own timing)",
                value=cli_result["seconds"],
                unit="s",
                text=f"{cli_result['seconds']:.2f} s, {cli_result['verdict']} the live state",
                target=f"< {fmt(target_seconds)} s",
                ok=cli_result["seconds"] < target_seconds and cli_result["identical"],
            )
        )
    outcome.details = {
        "record": made,
        "record_seconds": round(made_seconds, 2),
        "database_mb": round(size_mb, 1),
        "rebuild_seconds": [round(r, 3) for r in runs],
        "events_per_second": round(made["events"] / median),
        "read_and_decode_only_seconds": round(decode_only, 3),
        "cli": cli_result,
    }
    outcome.seconds = time.perf_counter() - started
    return outcome


def _rebuild(engine, hall: HallDefinition) -> tuple[float, HallQueue]:
    """What ``hall rebuild`` times: a new core, and every event of the record applied."""
    with read_connection(engine) as conn, conn.begin():
        started = time.perf_counter()
        rebuilt = HallQueue(hall.rules)
        for recorded in store.read_since(conn, hall.id, 0):
            rebuilt.apply(recorded)
        return time.perf_counter() - started, rebuilt


def _read_only(engine, hall_id: str) -> float:
    with read_connection(engine) as conn, conn.begin():
        started = time.perf_counter()
        for _ in store.read_since(conn, hall_id, 0):
            pass
        return time.perf_counter() - started


def _cli_rebuild(folder: Path, url: str, hall: HallDefinition) -> dict:
    env = {"HALL_FILES": str(DEMO_HALL), "HALL_DATA_DIR": str(folder), "DATABASE_URL": url}
    done = subprocess.run(
        [python(), "-m", "config.cli", "rebuild", "--hall", hall.id],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    found = re.search(r"replayed (\d+) events in ([\d.]+) s; (identical to|DIFFERENT from)", done.stdout)
    if found is None:
        raise RuntimeError(f"hall rebuild said: {done.returncode} {done.stdout} {done.stderr[-2000:]}")
    return {
        "events": int(found[1]),
        "seconds": float(found[2]),
        "verdict": found[3],
        "identical": found[3] == "identical to",
        "exit_code": done.returncode,
        "output": done.stdout.strip(),
    }
