"""The database: SQLite (WAL) by default, PostgreSQL when the URL says so.

SQLite writers take the database lock when their transaction begins (``BEGIN
IMMEDIATE``), so two processes never interleave a read-then-append; readers use plain
deferred transactions. ``synchronous=FULL`` makes every commit durable on disk before
the client hears of it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

__all__ = ["UTCDateTime", "connect_engine", "instant", "is_postgres", "read_connection", "write_transaction"]


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
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _sqlite_transactions(engine, sqlite_synchronous)
        return engine
    connect_args: dict[str, object] = {
        "connect_timeout": max(1, round(wait_seconds)),
        "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 3, "keepalives_count": 3,
    }  # fmt: skip
    if not prepared:
        connect_args["prepare_threshold"] = None
    return sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=wait_seconds,
        connect_args=connect_args,
    )


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
        connection.exec_driver_sql(f"BEGIN {mode}")


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def write_transaction(engine: Engine) -> Connection:
    """A connection whose transaction may write (SQLite: holds the write lock from BEGIN)."""
    return engine.connect()


def read_connection(engine: Engine) -> Connection:
    """A connection for reading only (SQLite: a deferred transaction, no write lock)."""
    return engine.connect().execution_options(sqlite_begin="DEFERRED")
