"""The database: SQLite (WAL) by default, PostgreSQL when the URL says so.

SQLite writers take the database lock when their transaction begins (``BEGIN
IMMEDIATE``), so two processes never interleave a read-then-append; readers use plain
deferred transactions. ``synchronous=FULL`` makes every commit durable on disk before
the client hears of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import functools
import logging
import threading
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from queueing.errors import Unavailable

__all__ = [
    "UNREACHABLE",
    "UTCDateTime",
    "bound_calls",
    "bound_date",
    "bound_instant",
    "changed",
    "connect_engine",
    "driver_execute",
    "in_thread",
    "instant",
    "is_postgres",
    "log_background_failure",
    "own_deadline",
    "read_connection",
    "write_transaction",
]

T = TypeVar("T")


class UTCDateTime(sa.types.TypeDecorator):
    """Zone-aware instants, stored as UTC in both SQLite and PostgreSQL (every table's times)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


_sqlite_texts: dict[dt.datetime, str] = {}  # recent instants as SQLite text: a ticket's times recur in its rows


def _sqlite_instant(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    text = _sqlite_texts.get(value)  # equal aware datetimes are the same instant, so the same text
    if text is None:
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        utc = value.astimezone(dt.UTC)
        # The text SQLAlchemy's SQLite DATETIME writes, byte for byte: "2026-11-23 01:00:01.000000".
        text = "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (  # noqa: UP031 (the fastest way here)
            utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond,
        )  # fmt: skip
        if len(_sqlite_texts) >= 4096:
            _sqlite_texts.clear()
        _sqlite_texts[value] = text
    return text


def _postgres_instant(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored")
    return value.astimezone(dt.UTC)


def _sqlite_date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()  # as SQLAlchemy's SQLite DATE: "2026-11-23"


def _same(value: Any) -> Any:
    return value


def bound_instant(dialect: sa.Dialect) -> Callable[[dt.datetime | None], Any]:
    """What the driver is given for an ``instant`` column, exactly as ``UTCDateTime`` and its
    dialect's type would bind it: for statements sent to the driver (``driver_execute``: the hall's
    appends), which skip SQLAlchemy's per-row bind processing."""
    return _sqlite_instant if dialect.name == "sqlite" else _postgres_instant


def bound_date(dialect: sa.Dialect) -> Callable[[dt.date | None], Any]:
    """What the driver is given for a ``Date`` column (as ``bound_instant``)."""
    return _sqlite_date if dialect.name == "sqlite" else _same


def instant(nullable: bool = False, index: bool = False) -> sa.Column:
    """A column of zone-aware instants."""
    return sa.Column(UTCDateTime(), nullable=nullable, index=index)


def _normalise(url: str) -> str:
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def connect_engine(
    url: str, *, sqlite_synchronous: str = "FULL", pool_size: int = 5, prepared: bool = True, wait_seconds: float = 30.0
) -> Engine:
    """An engine for ``url``. ``prepared=False``: PostgreSQL plans every statement afresh (the
    statistics' range queries, where a generic prepared plan reads far more than it needs).
    ``wait_seconds``: how long to wait for a pooled connection or a new one to PostgreSQL (a
    database that stalls is then an error, answered 503, not a request held for ever). A
    statement already sent waits for its answer: TCP keepalives notice a peer gone quiet while
    idle, not a stalled one that still acknowledges (the hall's queue bounds its own waits,
    ``HallRuntime.wait_seconds``)."""
    url = _normalise(url)
    if url.startswith("sqlite"):
        database = sa.engine.make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Last in, first out: the hall's thread gets back the connection it wrote with, whose page
        # cache is still good; handed the one another wrote with last (first in, first out, two
        # pooled connections: every other command), SQLite drops its cache and reads it again.
        engine = sa.create_engine(url, pool_use_lifo=True, connect_args={"check_same_thread": False, "timeout": 30})
        _sqlite_transactions(engine, sqlite_synchronous)
        if database and database != ":memory:":
            _one_writer_at_a_time(engine)
        event.listen(engine, "commit", _before_commit)
        return engine
    connect_args: dict[str, object] = {
        "connect_timeout": max(1, round(wait_seconds)),
        "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 3, "keepalives_count": 3,
    }  # fmt: skip
    if not prepared:
        connect_args["prepare_threshold"] = None
    engine = sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=wait_seconds,
        connect_args=connect_args,
    )
    event.listen(engine, "commit", _before_commit)
    return engine


def _sqlite_transactions(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        driver_execute(connection, f"BEGIN {mode}").close()


def driver_execute(conn: Connection, statement: str, parameters: Any = (), *, many: bool = False) -> Any:
    """``statement`` on the driver's own cursor, in ``conn``'s transaction, its parameters bound
    as they are (``many``: a list of them): for the hall's few statements run on every command,
    where SQLAlchemy's work around a statement costs several times the statement's own (~15 us
    against ~2 on SQLite). Its failures are SQLAlchemy's, as ``exec_driver_sql`` raises them
    (a lost connection invalidated alike). The caller closes the cursor returned."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if many:
            cursor.executemany(statement, parameters)
        else:
            cursor.execute(statement, parameters)
    except BaseException as exc:
        cursor.close()
        conn._handle_dbapi_exception(exc, statement, parameters, cursor, None)  # raises
    return cursor


# The database out of reach or too slow (refused, cut, a pool or connect timeout): a request is
# answered 503 to try again, a log says it in a line, and nothing is worth trying again at once.
UNREACHABLE = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)


def log_background_failure(logger: logging.Logger, what: str, exc: Exception, **extra: Any) -> None:
    """Work in the background that failed (a round of a sweep, a watcher or a live view, a print
    job after its ticket was answered): the database out of reach or stalling is said in one
    line, as the requests say it, not a traceback every round of an outage; anything else is a
    fault to find, with its traceback."""
    if isinstance(exc, Unavailable):
        logger.warning("%s: %s", what, exc.message, extra=extra)
    elif isinstance(exc, UNREACHABLE):
        # The driver's first line too: SQLite says a missing table with the same class as a
        # refused connection, and a fault must not pass for an outage unread.
        said = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        reason = said[0][:200] if said else ""
        logger.warning("%s (database unavailable): %s: %s", what, type(exc).__name__, reason, extra=extra)
    else:
        logger.error("%s", what, exc_info=exc, extra=extra)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


# SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps and
# tries again (1, 2, 5 … 100 ms): with a hundred halls' threads writing in one process, the lock
# stood free while they slept, and they held every pooled connection while they did (100 halls
# at 2 operations a second each: p50 0.4 s, p99 3 s). Within a process, writers queue here
# instead, before taking a connection, and the next one goes the moment the last one's
# connection is back in the pool; other processes still meet SQLite's own wait.
_WRITERS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_WRITER_WAIT = 30.0  # as busy_timeout; past it a writer goes on and SQLite's wait decides


def _one_writer_at_a_time(engine: Engine) -> None:
    _WRITERS[engine] = threading.Lock()

    @event.listens_for(engine.pool, "checkin")
    def _written(_dbapi_connection: Any, record: Any) -> None:
        # Also when the connection was invalidated (an abandoned commit): the lock never leaks.
        lock = record.record_info.pop("writer", None)
        if lock is not None:
            lock.release()


def write_transaction(engine: Engine) -> Connection:
    """A connection whose transaction may write (SQLite: holds the write lock from BEGIN;
    one writer of this process at a time takes a connection, see ``_WRITERS``)."""
    lock = _WRITERS.get(engine)
    if lock is None or not lock.acquire(timeout=_WRITER_WAIT):
        return engine.connect()
    try:
        conn = engine.connect()
    except BaseException:
        lock.release()
        raise
    conn.connection.record_info["writer"] = lock  # released when the connection is checked in
    return conn


def read_connection(engine: Engine) -> Connection:
    """A connection for reading only (SQLite: a deferred transaction, no write lock)."""
    return engine.connect().execution_options(sqlite_begin="DEFERRED")


# ---------------------------------------------------------------- database calls with a deadline
#
# The hall's own work goes through its worker thread and is bounded there (``HallRuntime._submit``).
# Everything else a request asks of the database (sign-in, bookings, ratings, rosters, the audit
# search, print jobs) runs in a worker thread through ``in_thread``: a call that has not
# answered within ``seconds`` is answered 503 with nothing done. A call not begun is withdrawn;
# one begun but not yet committing is abandoned, and its commit, should the database come back,
# is refused (rolled back); one whose commit was sent is awaited, for its outcome is no longer
# ours to deny. Once a request has changed something (a write committed here, or a hall
# command), its later calls are awaited too: "nothing was done" would no longer be true.
# Reads are connections from ``read_connection``: their commit ends a read and binds nothing.


class _Attempt:
    """One ``in_thread`` call as its worker thread and its deadline see it."""

    __slots__ = ("abandoned", "committing", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.abandoned = False
        self.committing = False  # a commit was sent: from then on the call is waited for

    def abandon(self) -> bool:
        with self.lock:
            if not self.committing:
                self.abandoned = True
            return self.abandoned


class _Abandoned(Exception):
    """Raised inside a worker thread whose caller has already been answered 503."""


_current = threading.local()
_calls: dict[str, Any] = {"pool": None, "seconds": 30.0}
_POOL_THREADS = 48  # as the app's (config.app): a few calls held by a stall starve no others
_changed: contextvars.ContextVar[bool] = contextvars.ContextVar("hall_request_changed", default=False)


@contextlib.contextmanager
def own_deadline() -> Iterator[None]:
    """Calls within keep their deadline though the request has changed something: for what
    follows a change and must not hold its answer (the audit trail's entry: a trail it cannot
    write costs a log line). The flag lives in a request's own task (uvicorn: one a request);
    a long-lived task that changes things should run each unit of work in a task of its own."""
    token = _changed.set(False)
    try:
        yield
    finally:
        _changed.reset(token)


def changed() -> None:
    """This request (its task) has changed something that stands: its later database calls are
    awaited whatever the deadline (the hall's service says so after a command)."""
    _changed.set(True)


def bound_calls(pool: Executor, seconds: float) -> None:
    """The worker threads ``in_thread`` uses and how long a request waits for them (the
    process's default executor and ``database_wait_seconds``, set when the app starts)."""
    _calls["pool"], _calls["seconds"] = pool, seconds


def _before_commit(connection: Connection) -> None:
    attempt: _Attempt | None = getattr(_current, "attempt", None)
    if attempt is None:
        return
    with attempt.lock:
        if attempt.abandoned:
            # Dropped, not returned to the pool: a transaction still open there would be
            # committed by the next borrower (a bare ``commit()`` leaves it open when this raises).
            connection.invalidate()
            raise _Abandoned("the caller was answered 503; this transaction is rolled back")
        if connection.get_execution_options().get("sqlite_begin") != "DEFERRED":  # not a read
            attempt.committing = True


def _run(attempt: _Attempt, context: contextvars.Context, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
    _current.attempt = attempt
    try:
        return context.run(fn, *args)
    finally:
        _current.attempt = None


async def in_thread(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(*args)`` in a worker thread, answered within the deadline (see above): 503
    (``Unavailable``) when the database does not answer in time, with nothing done."""
    pool = _calls["pool"]
    if pool is None:  # no app started (a command, a test of a service alone)
        pool = _calls["pool"] = ThreadPoolExecutor(_POOL_THREADS, thread_name_prefix="hall-db")
    if kwargs:  # as asyncio.to_thread takes them
        fn, args = functools.partial(fn, *args, **kwargs), ()
    attempt = _Attempt()
    try:
        future = pool.submit(_run, attempt, contextvars.copy_context(), fn, args)
    except RuntimeError:  # that pool was shut down with its app (tests start several): a fresh one
        pool = _calls["pool"] = ThreadPoolExecutor(_POOL_THREADS, thread_name_prefix="hall-db")
        future = pool.submit(_run, attempt, contextvars.copy_context(), fn, args)
    waiting = asyncio.wrap_future(future)
    if _changed.get():  # the request changed something already: its outcome is awaited
        return await waiting
    expired = False

    def expire() -> None:
        nonlocal expired
        if not future.done() and (future.cancel() or attempt.abandon()):
            expired = True
            waiting.cancel()

    # A timer rather than a timeout around the await: the answer's path stays one await.
    timer = asyncio.get_running_loop().call_later(_calls["seconds"], expire)
    try:
        answer = await waiting
        if attempt.committing:
            _changed.set(True)
        return answer
    except asyncio.CancelledError:
        if not expired:
            raise  # the request itself was cancelled: the call goes on as it would have
        raise Unavailable(
            f"the database did not answer within {_calls['seconds']:g} s; nothing was done: try again shortly",
            "系统繁忙（数据库暂时无法响应），本次操作未生效，请稍后再试",
        ) from None
    finally:
        timer.cancel()
