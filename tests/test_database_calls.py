"""``config.database.in_thread``: database work outside the hall's thread answered within its
deadline, with nothing done, or awaited once its commit has been sent (the outcome is the
database's). A stall is played by a statement held on an event, on a real SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from config.database import (
    _calls,
    bound_calls,
    connect_engine,
    in_thread,
    own_deadline,
    read_connection,
    write_transaction,
)
from queueing.errors import Unavailable

DEADLINE = 0.3


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = connect_engine(f"sqlite:///{tmp_path / 'calls.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE mark (n INTEGER)")
    before = dict(_calls)
    pool = ThreadPoolExecutor(2)
    bound_calls(pool, DEADLINE)
    yield engine
    _calls.update(before)
    pool.shutdown(wait=True)
    engine.dispose()


def marks(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM mark")).scalar_one()


def insert(engine: sa.Engine, held: threading.Event | None = None) -> str:
    with write_transaction(engine) as conn, conn.begin():
        conn.execute(sa.text("INSERT INTO mark VALUES (1)"))
        if held is not None:
            held.wait(10)  # a statement the database has not answered yet
    return "done"


def test_work_that_answers_in_time_is_returned(engine: sa.Engine) -> None:
    assert asyncio.run(in_thread(insert, engine)) == "done"
    assert marks(engine) == 1


def test_work_begun_and_stuck_is_answered_503_and_its_commit_refused(engine: sa.Engine) -> None:
    held = threading.Event()

    async def scenario() -> None:
        with pytest.raises(Unavailable) as refused:
            await in_thread(insert, engine, held)
        assert refused.value.status_code == 503 and "nothing was done" in refused.value.message

    asyncio.run(scenario())
    held.set()  # the database answers again: the abandoned transaction reaches its commit
    _calls["pool"].shutdown(wait=True)  # wait for the worker to finish
    assert marks(engine) == 0


def test_work_not_begun_is_withdrawn_and_never_runs(engine: sa.Engine) -> None:
    held, ran = threading.Event(), []

    def mark() -> None:
        ran.append(1)

    async def scenario() -> None:
        # both workers held by stuck calls; the third waits for a thread and is withdrawn
        stuck = [asyncio.ensure_future(in_thread(insert, engine, held)) for _ in range(2)]
        await asyncio.sleep(0.05)
        with pytest.raises(Unavailable):
            await in_thread(mark)
        for call in stuck:
            with pytest.raises(Unavailable):
                await call

    asyncio.run(scenario())
    held.set()
    _calls["pool"].shutdown(wait=True)
    assert ran == [] and marks(engine) == 0


def test_work_whose_commit_was_sent_is_awaited_past_the_deadline(engine: sa.Engine) -> None:
    committing = threading.Event()

    @event.listens_for(engine, "commit")
    def slow_commit(_connection: sa.Connection) -> None:  # after ours: the commit is on its way
        committing.wait(10)

    async def scenario() -> str:
        call = asyncio.ensure_future(in_thread(insert, engine))
        await asyncio.sleep(DEADLINE * 3)
        assert not call.done()  # past the deadline, still waited for
        committing.set()
        return await call

    assert asyncio.run(scenario()) == "done"
    assert marks(engine) == 1


def read_then_insert(engine: sa.Engine, held: threading.Event) -> str:
    with read_connection(engine) as conn, conn.begin():
        conn.execute(sa.text("SELECT count(*) FROM mark")).scalar_one()
    return insert(engine, held)


def test_a_read_committed_first_does_not_take_the_deadline_away(engine: sa.Engine) -> None:
    held = threading.Event()

    async def scenario() -> None:
        with pytest.raises(Unavailable):
            await in_thread(read_then_insert, engine, held)

    asyncio.run(scenario())
    held.set()
    _calls["pool"].shutdown(wait=True)
    assert marks(engine) == 0


def test_an_abandoned_bare_commit_leaves_no_transaction_open_in_the_pool(engine: sa.Engine) -> None:
    held = threading.Event()

    def bare(engine: sa.Engine) -> None:  # SQLAlchemy's other style: commit() without a begin() block
        conn = write_transaction(engine)
        conn.execute(sa.text("INSERT INTO mark VALUES (1)"))
        held.wait(10)
        conn.commit()
        conn.close()

    async def scenario() -> None:
        with pytest.raises(Unavailable):
            await in_thread(bare, engine)

    asyncio.run(scenario())
    held.set()
    _calls["pool"].shutdown(wait=True)
    assert marks(engine) == 0
    assert insert(engine) == "done" and marks(engine) == 1  # the pool's next writer is not stuck


def test_once_a_request_has_changed_something_its_later_calls_are_awaited(engine: sa.Engine) -> None:
    held = threading.Event()

    def slow_read() -> int:
        held.wait(10)
        return marks(engine)

    async def request() -> int:
        await in_thread(insert, engine)  # committed: this request changed something
        later = asyncio.ensure_future(in_thread(slow_read))
        await asyncio.sleep(DEADLINE * 3)
        assert not later.done()  # past the deadline, not told "nothing was done"
        held.set()
        return await later

    assert asyncio.run(request()) == 1


def test_what_follows_a_change_may_keep_its_own_deadline(engine: sa.Engine) -> None:
    """The audit trail's entry after a change: bounded, so a stall does not hold the answer."""
    held = threading.Event()

    async def request() -> None:
        await in_thread(insert, engine)
        with own_deadline(), pytest.raises(Unavailable):
            await in_thread(insert, engine, held)

    asyncio.run(request())
    held.set()
    _calls["pool"].shutdown(wait=True)
    assert marks(engine) == 1


def test_sqlite_writers_of_a_process_queue_for_one_another_not_for_sqlites_lock(engine: sa.Engine) -> None:
    """A writer waits before it takes a connection (a hundred halls' threads would otherwise
    hold every pooled one, sleeping in SQLite's busy handler), and goes once the last one's
    connection is back: also when that one was invalidated."""
    held, begun, second = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with contextlib.suppress(sa.exc.SQLAlchemyError), write_transaction(engine) as conn, conn.begin():
            conn.execute(sa.text("INSERT INTO mark VALUES (1)"))
            begun.set()
            held.wait(10)
            conn.invalidate()  # as an abandoned commit does: the lock must not leak with it

    def later() -> None:
        insert(engine)
        second.set()

    threads = [threading.Thread(target=first), threading.Thread(target=later)]
    threads[0].start()
    assert begun.wait(10)
    threads[1].start()
    assert not second.wait(0.3)  # queued behind the first writer
    assert engine.pool.checkedout() == 1  # without a connection of its own meanwhile
    with read_connection(engine) as conn, conn.begin():  # readers are not held up
        assert conn.execute(sa.text("SELECT count(*) FROM mark")).scalar_one() == 0
    held.set()
    for thread in threads:
        thread.join(10)
    assert second.is_set() and marks(engine) == 1  # the first was rolled back, the second wrote
    assert insert(engine) == "done"


def test_writers_in_many_threads_all_write(engine: sa.Engine) -> None:
    with ThreadPoolExecutor(32) as pool:
        assert list(pool.map(lambda _: insert(engine), range(200))) == ["done"] * 200
    assert marks(engine) == 200
