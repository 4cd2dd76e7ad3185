"""The service around the core: group commit, a batch across midnight, recovery after a failed write."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import msgspec
import pytest
import sqlalchemy as sa

from config.database import UTCDateTime, bound_date, bound_instant, connect_engine
from config.halls import HallDefinition, load_hall
from config.migrations import upgrade
from queueing import store
from queueing.commands import Actor, CallNext, IssueTicket, OpenCounter, Role
from queueing.errors import Invalid
from queueing.service import HallRuntime, HallWorker, _Job
from tests.support import DEMO_HALL, KIOSK, SHANGHAI, demo_hall


class SteppingClock:
    """Returns the times given, one per reading, then keeps the last."""

    def __init__(self, *times: dt.datetime) -> None:
        self.times = list(times)

    def __call__(self) -> dt.datetime:
        return self.times.pop(0) if len(self.times) > 1 else self.times[0]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else f"sqlite:///{tmp_path / 'h.db'}"
    engine = connect_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _worker_commits(engine: sa.Engine, worker: HallWorker) -> list[int]:
    """A list that grows by one at each commit made by ``worker``'s thread (the group commits;
    a new day's snapshot is written meanwhile on a thread of its own, and is not counted)."""
    commits: list[int] = []

    def committed(_conn: sa.Connection) -> None:
        if threading.current_thread().name == worker.name:
            commits.append(1)

    sa.event.listen(engine, "commit", committed)
    return commits


def _hold(runtime: HallRuntime) -> threading.Event:
    """Keep the hall thread busy until the event is set, so that what is sent meanwhile forms one batch."""
    release, holding = threading.Event(), threading.Event()

    def wait() -> None:
        holding.set()
        release.wait(10)

    runtime._worker.put(runtime, _Job(call=wait))
    assert holding.wait(10)
    return release


def _issue(runtime: HallRuntime, ticket_id: str) -> asyncio.Future:
    command = IssueTicket(at=dt.datetime.now(dt.UTC), actor=KIOSK, ticket_id=ticket_id, item="SB01")
    return asyncio.ensure_future(runtime.execute(command))


def _issue_view(runtime: HallRuntime, ticket_id: str) -> asyncio.Future:
    command = IssueTicket(at=dt.datetime.now(dt.UTC), actor=KIOSK, ticket_id=ticket_id, item="SB01")
    return asyncio.ensure_future(runtime.execute(command, lambda q, rec, at: q.ticket_view(q.tickets[ticket_id], at)))


def test_a_batch_across_midnight_keeps_both_days_tickets(engine: sa.Engine) -> None:
    evening = dt.datetime(2026, 11, 23, 23, 59, 59, tzinfo=SHANGHAI)
    clock = SteppingClock(evening)
    runtime = HallRuntime(demo_hall().queue_part(), engine, clock=clock)

    async def scenario() -> None:
        await runtime.start()
        release = _hold(runtime)
        clock.times = [evening, evening + dt.timedelta(seconds=2)]  # the second command is past midnight
        late, early = _issue_view(runtime, "late"), _issue_view(runtime, "early")
        await asyncio.sleep(0.05)  # both are queued behind the held thread
        release.set()
        # Each answer shows its own ticket as it was right after its own command.
        late_view, early_view = await asyncio.gather(late, early)
        assert (late_view.number, late_view.state, late_view.people_ahead) == ("B001", "waiting", 0)
        assert (early_view.number, early_view.state) == ("B001", "waiting")
        day, tickets = await runtime.read(lambda q, at: (q.day, sorted(q.tickets)))
        assert day == evening.date() + dt.timedelta(days=1) and tickets == ["early"]
        yesterday = await runtime.ticket_status("late")
        assert yesterday is not None and yesterday.number == "B001" and yesterday.state == "expired"
        today = await runtime.ticket_status("early")
        assert today is not None and today.number == "B001" and today.state == "waiting"
        await runtime.close()

    asyncio.run(scenario())


def test_group_commit_puts_concurrent_commands_in_one_transaction(engine: sa.Engine) -> None:
    runtime = HallRuntime(demo_hall().queue_part(), engine)
    commits = _worker_commits(engine, runtime._worker)

    async def scenario() -> None:
        await runtime.start()
        release = _hold(runtime)
        pending = [_issue(runtime, f"t{i}") for i in range(20)]
        await asyncio.sleep(0.05)
        commits.clear()
        release.set()
        tickets = await asyncio.gather(*pending)
        assert [r[-1].event.number for r in tickets] == [f"B{i:03d}" for i in range(1, 21)]
        await runtime.close()

    asyncio.run(scenario())
    assert len(commits) == 1, f"{len(commits)} commits for one batch of 20 commands"


def test_a_failed_write_leaves_no_trace_in_memory(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = HallRuntime(demo_hall().queue_part(), engine)
    real_append = store.Appends.add
    failures = iter([True])

    def append_that_fails_once(appends, queue, recorded):  # a disk that fails once, mid-transaction
        real_append(appends, queue, recorded)
        if next(failures, False):
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))

    async def scenario() -> None:
        await runtime.start()
        monkeypatch.setattr(store.Appends, "add", append_that_fails_once)
        with pytest.raises(sa.exc.OperationalError):
            await _issue(runtime, "lost")
        # The state in memory went back to the record: the number is not used up, nothing is there.
        recorded = await _issue(runtime, "kept")
        assert recorded[-1].event.number == "B001"
        assert await runtime.read(lambda q, at: sorted(q.tickets)) == ["kept"]
        await runtime.close()

    asyncio.run(scenario())
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM ticket")).scalar() == 1
        assert store.head(conn, "demo") == conn.execute(sa.text("SELECT max(seq) FROM hall_event")).scalar()


def test_one_command_failing_in_a_batch_fails_alone(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = HallRuntime(demo_hall().queue_part(), engine)
    real_append = store.Appends.add

    def append(appends, queue, recorded):  # the write of ticket "bad" fails, like a value the column refuses
        if any(getattr(r.event, "ticket_id", None) == "bad" for r in recorded):
            raise sa.exc.DataError("INSERT", {}, Exception("value too long for type character varying(40)"))
        real_append(appends, queue, recorded)

    async def scenario() -> None:
        await runtime.start()
        monkeypatch.setattr(store.Appends, "add", append)
        release = _hold(runtime)
        good1, bad, good2 = _issue(runtime, "good1"), _issue(runtime, "bad"), _issue(runtime, "good2")
        await asyncio.sleep(0.05)
        release.set()
        results = await asyncio.gather(good1, bad, good2, return_exceptions=True)
        assert isinstance(results[1], sa.exc.DataError)
        assert [r[-1].event.number for r in (results[0], results[2])] == ["B001", "B002"]
        assert await runtime.read(lambda q, at: sorted(q.tickets)) == ["good1", "good2"]
        await runtime.close()

    asyncio.run(scenario())


def test_the_ticket_table_follows_a_counter_the_hall_file_dropped(
    engine: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    hall = demo_hall()
    manager = Actor("manager", Role.MANAGER)

    async def before() -> None:
        runtime = HallRuntime(hall.queue_part(), engine)
        await runtime.start()
        await runtime.execute(IssueTicket(at=dt.datetime.now(dt.UTC), actor=KIOSK, ticket_id="pick", item="CJ01"))
        await runtime.execute(OpenCounter(at=dt.datetime.now(dt.UTC), actor=manager, counter=14))
        await runtime.execute(CallNext(at=dt.datetime.now(dt.UTC), actor=manager, counter=14))
        await runtime.close()

    async def after() -> None:
        runtime = HallRuntime(msgspec.structs.replace(hall.queue_part(), counters=hall.counters[:-1]), engine)  # no 14
        await runtime.start()
        view = await runtime.ticket_status("pick")
        assert (view.state, view.counter) == ("waiting", None)
        await runtime.close()

    asyncio.run(before())
    with caplog.at_level(logging.WARNING, logger="hall.queue"):
        asyncio.run(after())
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT state, counter FROM ticket WHERE id = 'pick'")).one()
    assert tuple(row) == ("waiting", None)
    assert any("no counter serves" in r.getMessage() and r.items == ["CJ01"] for r in caplog.records)


def test_an_unreadable_snapshot_means_replaying_the_whole_record(engine: sa.Engine) -> None:
    async def scenario(expected_tickets: list[str]) -> None:
        runtime = HallRuntime(demo_hall().queue_part(), engine)
        await runtime.start()
        if not expected_tickets:
            await _issue(runtime, "a")
        assert await runtime.read(lambda q, at: sorted(q.tickets)) == (expected_tickets or ["a"])
        await runtime.close()

    asyncio.run(scenario([]))  # the first start takes a snapshot at the start of the day
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM hall_snapshot")).scalar() >= 1
        conn.execute(sa.text("UPDATE hall_snapshot SET data = :junk"), {"junk": b"\x00not a snapshot"})
    asyncio.run(scenario(["a"]))


def test_the_appends_bind_times_and_days_as_sqlalchemy_would(engine: sa.Engine) -> None:
    """The hall's appends go to the driver with their values bound beforehand: the rows must
    be the ones SQLAlchemy's column types would write (readers and other writers see no seam)."""
    dialect = engine.dialect
    through_sqlalchemy = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    instants = [
        dt.datetime(2026, 11, 23, 23, 59, 59, 123456, tzinfo=SHANGHAI),
        dt.datetime(2026, 11, 23, 1, 0, 1, tzinfo=dt.UTC),  # no microseconds: still written with six zeros
        dt.datetime(1999, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        None,
    ]
    for value in instants * 2:  # the second time from the recent instants kept
        assert through_sqlalchemy is not None and bound_instant(dialect)(value) == through_sqlalchemy(value)
    with pytest.raises(ValueError):
        bound_instant(dialect)(dt.datetime(2026, 11, 23, 9))
    day_through_sqlalchemy = sa.Date().dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
    for day in (dt.date(2026, 11, 23), dt.date(999, 1, 2), None):
        assert bound_date(dialect)(day) == day_through_sqlalchemy(day)


# ---------------------------------------------------------------- several halls, one worker


def _halls(tmp_path: Path, *ids: str) -> list[HallDefinition]:
    """Copies of the demo hall with their own ids."""
    text = DEMO_HALL.read_text()
    assert '\nid = "demo"\n' in text
    halls = []
    for hall in ids:
        path = tmp_path / f"{hall}.toml"
        path.write_text(text.replace('\nid = "demo"\n', f'\nid = "{hall}"\n', 1))
        halls.append(load_hall(path))
    return halls


def _sharing_a_worker(engine: sa.Engine, tmp_path: Path, *ids: str) -> tuple[HallWorker, list[HallRuntime]]:
    """Halls (copies of the demo hall) on one worker, not yet started."""
    worker = HallWorker()
    return worker, [HallRuntime(hall.queue_part(), engine, worker=worker) for hall in _halls(tmp_path, *ids)]


async def _in_halls(runtimes: list[HallRuntime], scenario: Callable[[], Awaitable[None]]) -> None:
    """``scenario`` with the halls started, and closed after it."""
    for runtime in runtimes:
        await runtime.start()
    try:
        await scenario()
    finally:
        for runtime in runtimes:
            await runtime.close()


async def _each_issues_its_first(runtimes: list[HallRuntime]) -> None:
    """After a fault that recorded nothing: each hall goes on, and its next ticket is its first."""
    for runtime in runtimes:
        assert (await _issue(runtime, f"{runtime.id}-after"))[-1].event.number == "B001"


def _hold_worker(worker: HallWorker, runtime: HallRuntime) -> threading.Event:
    """As ``_hold``, for a worker that several halls share."""
    release, holding = threading.Event(), threading.Event()

    def wait() -> None:
        holding.set()
        release.wait(10)

    worker.put(runtime, _Job(call=wait))
    assert holding.wait(10)
    return release


async def _as_one_batch(worker: HallWorker, held: HallRuntime, asking: Callable[[], list[asyncio.Future]]) -> list:
    """The answers (or errors) to what ``asking`` sends while the worker is held, so that it
    takes them all together."""
    release = _hold_worker(worker, held)
    asked = asking()
    await asyncio.sleep(0.05)
    release.set()
    return await asyncio.wait_for(asyncio.gather(*asked, return_exceptions=True), 10)


def _two_servers(pg_url: str, tmp_path: Path, *ids: str, scenario: Callable[..., Awaitable[None]]) -> None:
    """``scenario(here, there)``: halls (copies of the demo hall) served by two processes'
    workers, named "here" and "there", on one PostgreSQL database; each side's halls started
    before and closed after it."""
    engines = [connect_engine(pg_url), connect_engine(pg_url)]
    upgrade(engines[0])
    halls = _halls(tmp_path, *ids)
    workers = [HallWorker("here"), HallWorker("there")]
    here, there = (
        [HallRuntime(h.queue_part(), engine, worker=worker) for h in halls]
        for engine, worker in zip(engines, workers, strict=True)
    )

    async def run() -> None:
        await _in_halls([*here, *there], lambda: scenario(here, there))

    try:
        asyncio.run(run())
    finally:
        for engine in engines:
            engine.dispose()


def _ticket_counts(held: HallRuntime, runtimes: list[HallRuntime]) -> Awaitable[list]:
    """How many tickets each hall's memory has, asked of them all together (one batch of reads)."""
    return _as_one_batch(
        held._worker, held, lambda: [asyncio.ensure_future(r.read(lambda q, at: len(q.tickets))) for r in runtimes]
    )


def test_the_commands_of_several_halls_commit_in_one_transaction(engine: sa.Engine, tmp_path: Path) -> None:
    worker, runtimes = _sharing_a_worker(engine, tmp_path, "h3", "h1", "h2")
    commits = _worker_commits(engine, worker)

    async def scenario() -> None:
        release = _hold_worker(worker, runtimes[0])
        pending = [_issue(runtime, f"{runtime.id}-t{i}") for i in range(3) for runtime in runtimes]
        await asyncio.sleep(0.05)
        commits.clear()
        release.set()
        tickets = await asyncio.gather(*pending)
        assert len(commits) == 1, f"{len(commits)} commits for one batch of three halls"
        # Each hall numbers its own tickets, in the order they came.
        numbers = {(r[-1].event.ticket_id, r[-1].event.number) for r in tickets}
        assert numbers == {(f"{h}-t{i}", f"B{i + 1:03d}") for h in ("h1", "h2", "h3") for i in range(3)}
        for runtime in runtimes:
            assert await runtime.read(lambda q, at: len(q.tickets)) == 3

    asyncio.run(_in_halls(runtimes, scenario))
    with engine.connect() as conn:
        for hall in ("h1", "h2", "h3"):
            assert (
                store.head(conn, hall)
                == conn.execute(sa.text("SELECT max(seq) FROM hall_event WHERE hall = :h"), {"h": hall}).scalar()
            )
            assert conn.execute(sa.text("SELECT count(*) FROM ticket WHERE hall = :h"), {"h": hall}).scalar() == 3


def test_a_command_failing_in_one_hall_fails_no_other_halls_commands(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker, runtimes = _sharing_a_worker(engine, tmp_path, "h1", "h2")
    real_append = store.Appends.add

    def append(appends, queue, recorded):  # the write of ticket "bad" fails, like a value the column refuses
        if any(getattr(r.event, "ticket_id", None) == "bad" for r in recorded):
            raise sa.exc.DataError("INSERT", {}, Exception("value too long for type character varying(40)"))
        real_append(appends, queue, recorded)

    async def scenario() -> None:
        monkeypatch.setattr(store.Appends, "add", append)
        one, two = runtimes
        release = _hold_worker(worker, one)
        asked = [_issue(one, "a1"), _issue(two, "b1"), _issue(two, "bad"), _issue(two, "b2"), _issue(one, "a2")]
        await asyncio.sleep(0.05)
        release.set()
        a1, b1, bad, b2, a2 = await asyncio.gather(*asked, return_exceptions=True)
        assert isinstance(bad, sa.exc.DataError)
        assert [r[-1].event.number for r in (a1, a2, b1, b2)] == ["B001", "B002", "B001", "B002"]
        assert await one.read(lambda q, at: sorted(q.tickets)) == ["a1", "a2"]
        assert await two.read(lambda q, at: sorted(q.tickets)) == ["b1", "b2"]

    asyncio.run(_in_halls(runtimes, scenario))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM ticket")).scalar() == 4


def test_a_hall_that_cannot_load_its_state_fails_alone_and_the_others_still_commit_once(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker, runtimes = _sharing_a_worker(engine, tmp_path, "h1", "h2", "h3")
    broken = store.StoreError("hall h1: an event this version cannot read")
    real_load = store.load

    def load(conn, rules):  # h1's record cannot be loaded any more (a newer version wrote it)
        if rules.hall == "h1":
            raise broken
        return real_load(conn, rules)

    commits = _worker_commits(engine, worker)

    async def scenario() -> None:
        monkeypatch.setattr(store, "load", load)
        runtimes[0]._stale = True  # it must load its state again before its next command
        for batch in range(2):  # and it stays broken: every batch
            commits.clear()
            answers = await _as_one_batch(
                worker, runtimes[0], lambda b=batch: [_issue(r, f"{r.id}-{b}-{n}") for n in range(2) for r in runtimes]
            )
            assert answers[0] is broken and answers[3] is broken
            assert not any(isinstance(a, BaseException) for i, a in enumerate(answers) if i not in (0, 3)), answers
            assert len(commits) == 1, f"{len(commits)} commits: the healthy halls no longer commit together"
        for runtime in runtimes[1:]:
            assert await runtime.read(lambda q, at: len(q.tickets)) == 4

    asyncio.run(_in_halls(runtimes, scenario))


def test_a_database_out_of_reach_fails_a_groups_commands_without_trying_each_again(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker, runtimes = _sharing_a_worker(engine, tmp_path, "h1", "h2")
    tries = []

    def out_of_reach(*args):
        tries.append(1)
        raise sa.exc.OperationalError("SELECT", {}, Exception("connection timeout expired"))

    async def scenario() -> None:
        monkeypatch.setattr(store, "lock_heads", out_of_reach)
        monkeypatch.setattr(store, "lock_head", out_of_reach)
        answers = await _as_one_batch(
            worker, runtimes[0], lambda: [_issue(r, f"{r.id}-{n}") for n in range(3) for r in runtimes]
        )
        assert all(isinstance(a, sa.exc.OperationalError) for a in answers)
        assert len(tries) == 1, f"the database was tried {len(tries)} times for one batch"
        monkeypatch.undo()
        for runtime in runtimes:  # back: nothing was recorded, and the halls go on
            assert await runtime.read(lambda q, at: len(q.tickets)) == 0
        await _each_issues_its_first(runtimes)

    asyncio.run(_in_halls(runtimes, scenario))


def test_a_step_of_the_worker_that_breaks_answers_its_callers_and_the_halls_go_on(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker, runtimes = _sharing_a_worker(engine, tmp_path, "h1", "h2")
    bug = RuntimeError("a bug in the worker's own step")

    def broken(self, work):
        raise bug

    async def scenario() -> None:
        monkeypatch.setattr(HallWorker, "_run_commands", broken)
        answers = await _as_one_batch(worker, runtimes[0], lambda: [_issue(r, f"{r.id}-1") for r in runtimes])
        assert answers == [bug, bug]
        monkeypatch.undo()
        await _each_issues_its_first(runtimes)  # the worker lives on, and nothing half-done was kept

    asyncio.run(_in_halls(runtimes, scenario))


def test_an_also_refused_in_one_hall_leaves_the_others_in_the_same_commit(
    engine: sa.Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    worker, runtimes = _sharing_a_worker(engine, tmp_path, "h1", "h2")

    def refuse(conn: sa.Connection, recorded: list) -> None:
        conn.execute(sa.text("SELECT 1"))
        raise Invalid("already checked in", "已签到")

    async def scenario() -> None:
        one, two = runtimes
        release = _hold_worker(worker, one)
        command = IssueTicket(at=dt.datetime.now(dt.UTC), actor=KIOSK, ticket_id="refused", item="SB01")
        asked = [_issue(one, "a1"), asyncio.ensure_future(two.execute(command, also=refuse)), _issue(two, "b1")]
        await asyncio.sleep(0.05)
        caplog.clear()
        release.set()
        a1, refused, b1 = await asyncio.gather(*asked, return_exceptions=True)
        assert isinstance(refused, Invalid)
        assert a1[-1].event.number == "B001" and b1[-1].event.number == "B001"
        assert await one.read(lambda q, at: sorted(q.tickets)) == ["a1"]
        assert await two.read(lambda q, at: sorted(q.tickets)) == ["b1"]
        # Only the hall whose ``also`` refused went back to the record; the other one's command
        # was committed with the group and its state kept.
        reloaded = {r.hall for r in caplog.records if r.getMessage() == "hall state loaded"}
        assert reloaded == {"h2"}

    with caplog.at_level(logging.INFO, logger="hall.queue"):
        asyncio.run(_in_halls(runtimes, scenario))


def test_two_processes_writing_the_same_halls_do_not_deadlock(
    pg_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Two servers on one PostgreSQL database, each with a worker for the same halls: each
    group locks the head rows in the order of the halls' ids, so neither waits for the other
    in a circle (PostgreSQL would abort one with a deadlock after a second)."""
    engines = [connect_engine(pg_url), connect_engine(pg_url)]
    upgrade(engines[0])
    halls = _halls(tmp_path, "h1", "h2", "h3", "h4")
    workers = [HallWorker(), HallWorker()]
    servers = [[HallRuntime(h.queue_part(), e, worker=w) for h in halls] for e, w in zip(engines, workers, strict=True)]

    async def scenario() -> None:
        for runtimes in servers:
            for runtime in runtimes:
                await runtime.start()
        asked = []
        for round_ in range(25):
            for side, runtimes in enumerate(servers):
                order = runtimes if (round_ + side) % 2 else runtimes[::-1]  # each asks in its own order
                asked += [_issue(runtime, f"{runtime.id}-{side}-{round_}") for runtime in order]
            await asyncio.sleep(0.002)
        results = await asyncio.gather(*asked, return_exceptions=True)
        assert not [r for r in results if isinstance(r, BaseException)], results
        for runtimes in servers:
            for runtime in runtimes:
                assert await runtime.read(lambda q, at: len(q.tickets)) == 50
                await runtime.close()

    try:
        with caplog.at_level(logging.WARNING, logger="hall.queue"):
            asyncio.run(scenario())
        # A deadlock would abort a group, which then went hall by hall: nothing lost, but slow.
        assert not [r for r in caplog.records if "group commit" in r.getMessage()]
        with engines[0].connect() as conn:
            for hall in halls:
                seqs = conn.execute(
                    sa.text("SELECT seq FROM hall_event WHERE hall = :h ORDER BY seq"), {"h": hall.id}
                ).scalars()
                assert list(seqs) == list(range(1, store.head(conn, hall.id) + 1))
    finally:
        for engine in engines:
            engine.dispose()


def test_a_group_writes_the_rows_that_one_command_at_a_time_would(
    engine: sa.Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The rows of several halls' commands go in one statement of each kind (a ticket changed
    twice written once, as it ended): the record and the ticket table are those that the same
    commands one per transaction leave."""
    at = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
    manager = Actor("manager", Role.MANAGER)

    def commands(hall: str) -> list:
        return [
            IssueTicket(at=at, actor=KIOSK, ticket_id=f"{hall}-1", item="CJ01"),
            IssueTicket(at=at, actor=KIOSK, ticket_id=f"{hall}-2", item="CJ01"),
            OpenCounter(at=at, actor=manager, counter=14),
            CallNext(at=at, actor=manager, counter=14),
            CallNext(at=at, actor=manager, counter=14),
            IssueTicket(at=at, actor=KIOSK, ticket_id=f"{hall}-3", item="CJ01"),
        ]

    async def together(halls: list[HallDefinition]) -> None:
        worker = HallWorker()
        runtimes = [HallRuntime(h.queue_part(), engine, clock=lambda: at, worker=worker) for h in halls]
        for runtime in runtimes:
            await runtime.start()
        release = _hold_worker(worker, runtimes[0])
        asked = [
            asyncio.ensure_future(runtime.execute(command))
            for step in zip(*(commands(r.id) for r in runtimes), strict=True)
            for runtime, command in zip(runtimes, step, strict=True)
        ]
        await asyncio.sleep(0.05)
        release.set()
        await asyncio.gather(*asked, return_exceptions=True)
        for runtime in runtimes:
            await runtime.close()

    async def one_by_one(halls: list[HallDefinition]) -> None:
        for hall in halls:
            runtime = HallRuntime(hall.queue_part(), engine, clock=lambda: at)
            await runtime.start()
            for command in commands(hall.id):
                with contextlib.suppress(Exception):
                    await runtime.execute(command)
            await runtime.close()

    with caplog.at_level(logging.WARNING, logger="hall.queue"):
        asyncio.run(together(_halls(tmp_path, "h1", "h2")))
    assert not [r for r in caplog.records if "group commit" in r.getMessage()]  # the group was written as one
    asyncio.run(one_by_one(_halls(tmp_path, "r1", "r2")))

    def rows(table: str, prefix: str) -> list[str]:
        with engine.connect() as conn:
            found = conn.execute(sa.text(f"SELECT * FROM {table} WHERE hall LIKE :p"), {"p": f"{prefix}%"})
            return sorted(re.sub(rf"\b{prefix}(\d)", r"x\1", repr(tuple(row))) for row in found)

    for table in ("ticket", "hall_event", "hall_head"):
        assert rows(table, "h") == rows(table, "r"), table
    assert len(rows("ticket", "h")) == 6


def test_a_hall_whose_record_cannot_be_read_fails_no_other_halls_reads(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reads of several halls share one look at the record: a hall whose catching up breaks
    (an event this version cannot decode, say) fails its own reads, not those of the halls
    that came after it."""
    worker = HallWorker()
    broken, fine = [HallRuntime(h.queue_part(), engine, worker=worker) for h in _halls(tmp_path, "h1", "h2")]

    def undecodable(conn: sa.Connection, head_seq: int | None, read: object = ()) -> None:
        raise msgspec.ValidationError("Invalid value 'from-a-newer-version' - at `$.kind`")

    async def scenario() -> None:
        for runtime in (broken, fine):
            await runtime.start()
        await _issue(fine, "f1")
        monkeypatch.setattr(broken, "_catch_up", undecodable)
        release = _hold_worker(worker, broken)
        asked = [
            asyncio.ensure_future(broken.read(lambda q, at: len(q.tickets))),
            asyncio.ensure_future(fine.read(lambda q, at: len(q.tickets))),
        ]
        await asyncio.sleep(0.05)
        release.set()
        broken_read, fine_read = await asyncio.gather(*asked, return_exceptions=True)
        assert isinstance(broken_read, msgspec.ValidationError)
        assert fine_read == 1
        monkeypatch.undo()
        for runtime in (broken, fine):
            await runtime.close()

    asyncio.run(scenario())


def test_what_is_asked_while_a_worker_stops_is_done_by_the_next_one(engine: sa.Engine, tmp_path: Path) -> None:
    """A hall stopping and another starting on the same worker, with work asked of them in
    between (a reload of the hall files, say): that work waits for the next thread, it is not
    lost behind the last one's stop mark; and a read asked while the reading threads are gone
    goes to the worker, not into an error."""
    _, (first, second) = _sharing_a_worker(engine, tmp_path, "h1", "h2")

    async def scenario() -> None:
        await _in_halls([first, second], lambda: asyncio.sleep(0))  # started, then closed: the worker's threads stop
        asked = [
            asyncio.ensure_future(second.read(lambda q, at: "read")),
            asyncio.ensure_future(second.ticket_history("nobody")),
        ]
        await asyncio.sleep(0.05)
        assert not any(a.done() for a in asked)  # nobody to do them yet
        await first.start()
        assert await asyncio.wait_for(asyncio.gather(*asked), 10) == ["read", []]
        await first.close()

    asyncio.run(scenario())


def test_a_hall_held_by_a_stalled_database_still_closes(engine: sa.Engine, tmp_path: Path) -> None:
    """Stopping a hall waits for what was asked of it before, but not for ever: a worker held
    (a database that stalls) lets the hall stop after its deadline, and the process with it
    (nothing left for the event loop's end to wait for while the worker is still held)."""
    (hall,) = _halls(tmp_path, "h1")
    runtime = HallRuntime(hall.queue_part(), engine, wait_seconds=1.0)
    held: list[threading.Event] = []
    left: list[threading.Thread] = []

    async def scenario() -> None:
        await runtime.start()
        held.append(_hold(runtime))  # the worker stays held for 10 s unless released
        await asyncio.wait_for(runtime.close(), 10)
        left.extend(t for t in threading.enumerate() if t.name == runtime._worker.name)

    started = time.perf_counter()
    try:
        asyncio.run(scenario())
        took = time.perf_counter() - started
        assert [t.is_alive() for t in left] == [True]  # still held: nothing waited for it
    finally:
        for release in held:
            release.set()
    assert 0.9 < took < 5, took  # the hall's deadline, then its worker's


def test_a_group_catches_up_with_another_process_in_one_read(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Halls that another server wrote since this one last looked are caught up in one
    statement for the whole group (a hall far behind reads on its own), and go on from where
    the record is: the next numbers follow the other server's."""
    read_alone: list[str] = []
    one_by_one = store.read_since

    def read_since(conn: sa.Connection, hall: str, after: int, batch: int = 5000):  # type: ignore[no-untyped-def]
        if threading.current_thread().name == "here":  # this server's catching up, not the other's
            read_alone.append(hall)
        return one_by_one(conn, hall, after, batch)

    async def scenario(here: list[HallRuntime], there: list[HallRuntime]) -> None:
        near, far, _ = there
        await asyncio.gather(*(_issue(near, f"n{n}") for n in range(3)))
        await asyncio.gather(*(_issue(far, f"f{n}") for n in range(8)))
        monkeypatch.setattr(store, "CATCH_UP_AT_ONCE", 5)  # 3 behind read with the others, 8 alone
        monkeypatch.setattr(store, "read_since", read_since)
        answers = await _as_one_batch(
            here[0]._worker, here[0], lambda: [_issue_view(runtime, f"{runtime.id}-here") for runtime in here]
        )
        assert [a.number for a in answers] == ["B004", "B009", "B001"]
        assert read_alone == ["far"]
        # Reads too (a heartbeat asks every hall with a screen at once): one look for them all.
        read_alone.clear()
        await asyncio.gather(*(_issue(near, f"n{n}") for n in range(3, 5)))
        await asyncio.gather(*(_issue(far, f"f{n}") for n in range(8, 16)))
        assert await _ticket_counts(here[0], here) == [6, 17, 1]
        assert read_alone == ["far"]

    _two_servers(pg_url, tmp_path, "near", "far", "still", scenario=scenario)


def test_a_read_is_not_upset_by_a_commit_of_another_process_while_it_looks(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL each statement of a read sees the commits made before it: another server
    committing between the read of the halls' heads and of their new events must not carry the
    hall's memory past the head it read (which would fail the reads as "memory ahead")."""
    read_heads = store.heads

    async def scenario(here: list[HallRuntime], there: list[HallRuntime]) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(_issue(runtime, f"{runtime.id}-0") for runtime in there))

        async def meanwhile() -> None:
            await _issue(there[0], "h1-meanwhile")

        def heads_then_a_commit(conn: sa.Connection, ids: list[str], *, lock: bool = False) -> dict[str, int]:
            seen = read_heads(conn, ids, lock=lock)
            if threading.current_thread().name == "here":  # the other server commits meanwhile
                asyncio.run_coroutine_threadsafe(meanwhile(), loop).result(10)
            return seen

        monkeypatch.setattr(store, "heads", heads_then_a_commit)
        assert await _ticket_counts(here[0], here) == [1, 1]  # as the heads were read
        monkeypatch.undo()
        assert await here[0].read(lambda q, at: len(q.tickets)) == 2  # the next read sees the rest

    _two_servers(pg_url, tmp_path, "h1", "h2", scenario=scenario)


def test_a_worker_started_again_waits_for_the_one_left_behind(engine: sa.Engine, tmp_path: Path) -> None:
    """A worker left behind at a stop (held by a stalled database) and the hall started again:
    the new thread does nothing of the halls' until the old one has finished what it had begun,
    so that two threads never work on one hall's memory at once."""
    (hall,) = _halls(tmp_path, "h1")
    runtime = HallRuntime(hall.queue_part(), engine, wait_seconds=1.0)

    async def scenario() -> None:
        await runtime.start()
        release = _hold(runtime)
        try:
            await runtime.close()  # the worker is left behind, still held
            (left,) = [t for t in threading.enumerate() if t.name == runtime._worker.name]
            restarted = asyncio.ensure_future(runtime.start())
            await asyncio.sleep(0.3)
            assert not restarted.done()  # waits for the one left behind
        finally:
            release.set()
        await asyncio.wait_for(restarted, 10)
        assert not left.is_alive()
        await _each_issues_its_first([runtime])  # the new thread does the hall's commands
        await runtime.close()

    asyncio.run(scenario())
