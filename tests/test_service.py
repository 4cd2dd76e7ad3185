"""The service around the core: group commit, a batch across midnight, recovery after a failed write."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from config.database import connect_engine
from config.migrations import upgrade
from queueing import store
from queueing.commands import IssueTicket
from queueing.service import HallRuntime, _Job
from tests.support import KIOSK, SHANGHAI, demo_hall


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


def _hold(runtime: HallRuntime) -> threading.Event:
    """Keep the hall thread busy until the event is set, so that what is sent meanwhile forms one batch."""
    release, holding = threading.Event(), threading.Event()

    def wait() -> None:
        holding.set()
        release.wait(10)

    runtime._jobs.put(_Job(call=wait))
    assert holding.wait(10)
    return release


def _issue(runtime: HallRuntime, ticket_id: str) -> asyncio.Future:
    command = IssueTicket(at=dt.datetime.now(dt.UTC), actor=KIOSK, ticket_id=ticket_id, item="SB01")
    return asyncio.ensure_future(runtime.execute(command))


def test_a_batch_across_midnight_keeps_both_days_tickets(engine: sa.Engine) -> None:
    evening = dt.datetime(2026, 11, 23, 23, 59, 59, tzinfo=SHANGHAI)
    clock = SteppingClock(evening)
    runtime = HallRuntime(demo_hall(), engine, clock=clock)

    async def scenario() -> None:
        await runtime.start()
        release = _hold(runtime)
        clock.times = [evening, evening + dt.timedelta(seconds=2)]  # the second command is past midnight
        late, early = _issue(runtime, "late"), _issue(runtime, "early")
        await asyncio.sleep(0.05)  # both are queued behind the held thread
        release.set()
        await asyncio.gather(late, early)
        day, tickets = await runtime.read(lambda q, at: (q.day, sorted(q.tickets)))
        assert day == evening.date() + dt.timedelta(days=1) and tickets == ["early"]
        yesterday = await runtime.ticket_status("late")
        assert yesterday is not None and yesterday.number == "B001" and yesterday.state == "expired"
        today = await runtime.ticket_status("early")
        assert today is not None and today.number == "B001" and today.state == "waiting"
        await runtime.close()

    asyncio.run(scenario())


def test_group_commit_puts_concurrent_commands_in_one_transaction(engine: sa.Engine) -> None:
    runtime = HallRuntime(demo_hall(), engine)
    commits = []
    sa.event.listen(engine, "commit", lambda conn: commits.append(1))

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
    runtime = HallRuntime(demo_hall(), engine)
    real_append = store.append
    failures = iter([True])

    def append_that_fails_once(conn, queue, recorded):  # a disk that fails once, mid-transaction
        real_append(conn, queue, recorded)
        if next(failures, False):
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))

    async def scenario() -> None:
        await runtime.start()
        monkeypatch.setattr(store, "append", append_that_fails_once)
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
        assert store.head(conn, "demo")[0] == conn.execute(sa.text("SELECT max(seq) FROM hall_event")).scalar()
