"""The event store: appending to a hall's record, reading it back, snapshots, tickets.

Every function takes an open connection: the caller owns the transaction, so the events,
the head and the ticket rows of one command commit or roll back together.

This is the one read path to the record. Whoever reads a hall's history (the service
replaying it, the ratings finding a service, the AB posts' coverage, the statistics) asks
``events`` (by kind, hall day, counter, ticket, time) and ``tickets`` (a ticket's facts as
the ticket table keeps them); no module outside ``queueing/`` touches the tables.
``load`` rebuilds a hall's live state, for the service and for ``hall rebuild`` alike.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any, NamedTuple

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from config.database import bound_date, bound_instant, driver_execute
from queueing.commands import Priority
from queueing.events import (
    CounterClosed,
    CounterRetired,
    DayStarted,
    Event,
    Recorded,
    decode_event,
    encode_event,
)
from queueing.hall import HallQueue
from queueing.kinds import CounterSpec
from queueing.lifecycle import TicketState
from queueing.models import HallEventRow, HallHeadRow, HallSnapshotRow, TicketRow
from queueing.policy import HallRules
from queueing.records import HallSnapshot, TicketRecord

__all__ = [
    "Appends",
    "Loaded",
    "StoreError",
    "StoredEvent",
    "TicketFacts",
    "append",
    "counters_at",
    "day_inventory",
    "encode_snapshot",
    "ensure_head",
    "event_at",
    "events",
    "first_event_after",
    "head",
    "last_event_at",
    "latest_snapshot",
    "load",
    "lock_head",
    "lock_heads",
    "read_since",
    "save_snapshot",
    "ticket",
    "tickets",
]

_events = HallEventRow.__table__
_heads = HallHeadRow.__table__
_snapshots = HallSnapshotRow.__table__
_tickets = TicketRow.__table__
# The statements of the hot path, built once: building a statement costs more than running it.
_HEAD = sa.select(_heads.c.seq).where(_heads.c.hall == sa.bindparam("hall"))
# Several halls' heads in one statement, in the order of their ids: PostgreSQL locks the rows as
# they come out of the sort, so two processes locking some of the same halls never deadlock.
_HEADS = (
    sa.select(_heads.c.hall, _heads.c.seq)
    .where(_heads.c.hall.in_(sa.bindparam("halls", expanding=True)))
    .order_by(_heads.c.hall)
)
_LOCK_HEADS = _HEADS.with_for_update()
_READ_SINCE = (
    sa.select(_events.c.seq, _events.c.data)
    .where(_events.c.hall == sa.bindparam("hall"), _events.c.seq > sa.bindparam("after"))
    .order_by(_events.c.seq)
    .limit(sa.bindparam("batch"))
)
_snapshot_decoder = msgspec.msgpack.Decoder(HallSnapshot)
_snapshot_encoder = msgspec.msgpack.Encoder()
log = logging.getLogger("hall.store")


class StoreError(Exception):
    pass


def ensure_head(conn: Connection, hall: str) -> None:
    exists = conn.execute(sa.select(_heads.c.hall).where(_heads.c.hall == hall)).first()
    if exists is None:
        try:
            with conn.begin_nested():
                conn.execute(_heads.insert().values(hall=hall, seq=0))
        except sa.exc.IntegrityError:
            pass  # another process created it first


def head(conn: Connection, hall: str) -> int:
    """The last sequence number of the hall's record."""
    seq = conn.execute(_HEAD, {"hall": hall}).scalar()
    if seq is None:
        raise StoreError(f"hall {hall} has no head row")
    return seq


def heads(conn: Connection, halls: Collection[str], *, lock: bool = False) -> dict[str, int]:
    """``head`` for several halls, in one statement; a hall with no head row is not in it.
    ``lock``: locked until the transaction ends, in the order of the halls' ids (SQLite: already)."""
    statement = _LOCK_HEADS if lock and conn.dialect.name == "postgresql" else _HEADS
    return {hall: seq for hall, seq in conn.execute(statement, {"halls": sorted(halls)})}


def lock_head(conn: Connection, hall: str) -> int:
    """The last sequence number, locked until the transaction ends (SQLite: already locked)."""
    cursor = driver_execute(conn, _statements(conn.dialect).lock_head, (hall,))
    try:
        row = cursor.fetchone()
    finally:
        cursor.close()
    seq = None if row is None else row[0]
    if seq is None:
        raise StoreError(f"hall {hall} has no head row")
    return seq


def lock_heads(conn: Connection, halls: Collection[str]) -> dict[str, int]:
    """``lock_head`` for several halls at once, locked in the order of their ids (one round trip)."""
    seqs = heads(conn, halls, lock=True)
    if missing := set(halls) - seqs.keys():
        raise StoreError(f"halls {', '.join(sorted(missing))} have no head row")
    return seqs


# What other processes appended to several halls, in one round trip (PostgreSQL): a group of
# halls that two servers both write must catch up on most of them at every commit.
_READ_SINCE_MANY = (
    "SELECT e.hall, e.seq, e.data FROM hall_event AS e"
    " JOIN unnest(%s::varchar[], %s::bigint[], %s::bigint[]) AS since(hall, after, upto)"
    " ON e.hall = since.hall AND e.seq > since.after AND e.seq <= since.upto"
    " ORDER BY e.hall, e.seq"
)
CATCH_UP_AT_ONCE = 500  # events of one hall read with the others'; a hall further behind reads its own


def read_since_many(
    conn: Connection, memory: Mapping[str, int], heads: Mapping[str, int]
) -> dict[str, Iterator[Recorded]]:
    """What other processes appended to the halls a few events behind (``CATCH_UP_AT_ONCE``),
    from each hall's sequence number in ``memory`` up to its head read in this transaction
    (``heads``: a later statement may see later commits), in one statement (PostgreSQL). A hall
    not in the answer reads its own (``read_since``); on SQLite, where a statement costs no round
    trip, every hall does. Each hall's events are decoded as they are taken, so one a hall cannot
    decode fails that hall alone."""
    after = {hall: seq for hall, seq in memory.items() if 0 < heads.get(hall, 0) - seq <= CATCH_UP_AT_ONCE}
    if not after or conn.dialect.name != "postgresql":
        return {}
    found: dict[str, list[tuple[int, Any]]] = {hall: [] for hall in after}
    halls = sorted(after)
    bounds = ([after[hall] for hall in halls], [heads[hall] for hall in halls])
    cursor = driver_execute(conn, _READ_SINCE_MANY, (halls, *bounds))
    try:
        rows = cursor.fetchall()
    finally:
        cursor.close()
    for hall, seq, data in rows:
        found[hall].append((seq, data))
    return {hall: (Recorded(seq, decode_event(data)) for seq, data in rows) for hall, rows in found.items()}


def read_since(conn: Connection, hall: str, after: int, batch: int = 5000) -> Iterator[Recorded]:
    """The recorded events with a sequence number above ``after``, in order."""
    while True:
        rows = conn.execute(_READ_SINCE, {"hall": hall, "after": after, "batch": batch}).all()
        for seq, data in rows:
            yield Recorded(seq, decode_event(data))
        if len(rows) < batch:
            return
        after = rows[-1][0]


class _DriverStatements(NamedTuple):
    """The hot path's statements in the driver's own SQL, and how its values are bound."""

    lock_head: str
    insert_events: str
    advance_head: str
    insert_tickets: str
    update_tickets: str
    upsert_tickets: str  # an update of rows that exist, as an insert of many rows (see ``_insert_rows``)
    instant: Callable[[dt.datetime | None], Any]
    date: Callable[[dt.date | None], Any]
    mark: str
    quote: Callable[[str], str]
    many_rows: bool  # several rows in one statement (SQLite: see ``_insert_rows``), or ``executemany``


# The ticket table's columns in the order ``_ticket_values`` gives them: ``id`` last, so one
# tuple serves the insert and the update (``... WHERE id = ?``).
_TICKET_COLUMNS = (
    "hall", "day", "number", "group", "seq", "item", "priority", "state", "counter", "to_counter", "recalls",
    "transfers", "channel", "idempotency_key", "issued_at", "called_at", "started_at", "missed_at", "ended_at",
    "appointment_slot", "updated_seq", "id",
)  # fmt: skip
_EVENT_COLUMNS_WRITTEN = ("hall", "seq", "at", "day", "kind", "ticket_id", "counter", "actor", "data")
if set(_TICKET_COLUMNS) != set(_tickets.c.keys()) or set(_EVENT_COLUMNS_WRITTEN) != set(_events.c.keys()):
    raise RuntimeError("append does not write every column of the ticket and event tables")
_driver_statements: dict[str, _DriverStatements] = {}


def _statements(dialect: sa.Dialect) -> _DriverStatements:
    """The appends and the head's lock go to the driver directly (``driver_execute``), their
    values already bound as SQLAlchemy's types would bind them: the same rows, without
    SQLAlchemy's per-row parameter processing and per-statement work (most of an append's cost)."""
    found = _driver_statements.get(dialect.name)
    if found is not None:
        return found
    if dialect.paramstyle not in ("qmark", "format", "pyformat"):
        raise StoreError(f"no hot-path statements for the {dialect.name} driver ({dialect.paramstyle})")
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    quote = dialect.identifier_preparer.quote

    def insert(table: sa.Table, columns: tuple[str, ...]) -> str:
        return (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join([mark] * len(columns))})"
        )

    head = f"SELECT seq FROM {quote(_heads.name)} WHERE hall = {mark}"
    found = _driver_statements[dialect.name] = _DriverStatements(
        # PostgreSQL: the row locked until the transaction ends; SQLite: BEGIN IMMEDIATE locked it all
        lock_head=head + " FOR UPDATE" if dialect.name == "postgresql" else head,
        insert_events=insert(_events, _EVENT_COLUMNS_WRITTEN),
        advance_head=f"UPDATE {quote(_heads.name)} SET seq = {mark} WHERE hall = {mark} AND seq = {mark}",
        insert_tickets=insert(_tickets, _TICKET_COLUMNS),
        update_tickets=f"UPDATE {quote(_tickets.name)} SET "
        + ", ".join(f"{quote(c)} = {mark}" for c in _TICKET_COLUMNS[:-1])
        + f" WHERE id = {mark}",
        upsert_tickets=insert(_tickets, _TICKET_COLUMNS)
        + " ON CONFLICT (id) DO UPDATE SET "
        + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in _TICKET_COLUMNS[:-1]),
        instant=bound_instant(dialect),
        date=bound_date(dialect),
        mark=mark,
        quote=quote,
        many_rows=dialect.name == "sqlite",
    )
    return found


def _send(conn: Connection, statement: str, parameters: Any, *, many: bool = False) -> int:
    """``statement`` on the driver's cursor (``driver_execute``); the rows it changed."""
    cursor = driver_execute(conn, statement, parameters, many=many)
    try:
        return cursor.rowcount
    finally:
        cursor.close()


# Rows per statement: within SQLite's 32,766 and PostgreSQL's 65,535 parameters (22 a ticket).
_ROWS_PER_STATEMENT = 500
_many_rows: dict[tuple[str, str, int], str] = {}


def _insert_rows(conn: Connection, sql: _DriverStatements, single: str, rows: list[tuple]) -> None:
    """``single`` (an insert of one row, optionally followed by an ON CONFLICT clause) for every
    row, as one statement of many rows: SQLite's ``executemany`` lets go of the GIL for each row,
    and each time the event loop may hold it for up to its switch interval (5 ms)."""
    if len(rows) == 1:
        _send(conn, single, rows[0])
        return
    head, _, values = single.partition(" VALUES ")
    one, _, tail = values.partition(")")
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        chunk = rows[start : start + _ROWS_PER_STATEMENT]
        key = (single, conn.dialect.name, len(chunk))
        text = _many_rows.get(key)
        if text is None:
            text = _many_rows[key] = f"{head} VALUES {', '.join([one + ')'] * len(chunk))}{tail}"
            if len(_many_rows) > 4096:
                _many_rows.clear()
        _send(conn, text, tuple(value for row in chunk for value in row))


def append(conn: Connection, queue: HallQueue, recorded: list[Recorded]) -> None:
    """Write ``recorded`` (already applied to ``queue``) and the tickets they touched."""
    appends = Appends(conn.dialect)
    appends.add(queue, recorded)
    appends.flush(conn)


class Appends:
    """Rows for the record and the ticket table, gathered from several appends (of one hall or
    of several) and sent at ``flush`` in one statement of each kind: a transaction that writes a
    hundred halls' commands makes five round trips to the database, not four hundred."""

    __slots__ = ("_changed", "_events", "_heads", "_new", "_sql")

    def __init__(self, dialect: sa.Dialect) -> None:
        self._sql = _statements(dialect)
        self._events: list[tuple] = []
        self._heads: list[tuple] = []  # (new last, hall, old last): each advance checks where it starts
        self._new: list[tuple] = []
        self._changed: list[tuple] = []

    def add(self, queue: HallQueue, recorded: list[Recorded]) -> None:
        """The rows of ``recorded``, just applied to ``queue``: the tickets as they are now."""
        if not recorded:
            return
        sql = self._sql
        hall, hall_day, instant, date = queue.rules.hall, queue.rules.hall_day, sql.instant, sql.date
        rows = self._events
        for r in recorded:
            event = r.event
            rows.append(
                (
                    hall,
                    r.seq,
                    instant(event.at),
                    date(hall_day(event.at)),
                    event.__struct_config__.tag,
                    getattr(event, "ticket_id", None),
                    getattr(event, "counter", None),
                    event.actor,
                    encode_event(event).decode(),
                )
            )
        self._heads.append((recorded[-1].seq, hall, recorded[0].seq - 1))
        _project_tickets(sql, queue, recorded, self._new, self._changed)

    def discard(self) -> None:
        """Forget what was added since the last flush (its transaction was rolled back)."""
        self._events, self._heads, self._new, self._changed = [], [], [], []

    def flush(self, conn: Connection) -> None:
        """Send what was added, in order: a ticket is inserted before it is updated."""
        events, heads, new, changed = self._events, self._heads, self._new, self._changed
        self.discard()
        if not events:
            return
        sql = self._sql
        if not sql.many_rows:
            # psycopg sends an ``executemany`` in one pipeline, and parses each statement's text
            # once: statements of many rows, each of its own length, cost it more than they save.
            _send(conn, sql.insert_events, events, many=True)
            moved = (
                _send(conn, sql.advance_head, heads[0])
                if len(heads) == 1
                else _send(conn, sql.advance_head, heads, many=True)
            )
            if moved != len(heads):
                raise StoreError("the record moved on under us: a hall's head is not where its appends began")
            if new:
                _send(conn, sql.insert_tickets, new, many=True)
            if changed:
                _send(conn, sql.update_tickets, changed, many=True)
            return
        _insert_rows(conn, sql, sql.insert_events, events)
        _advance_heads(conn, sql, heads)
        if new:
            _insert_rows(conn, sql, sql.insert_tickets, new)
        if len(changed) == 1:
            _send(conn, sql.update_tickets, changed[0])
        elif changed:
            # A ticket changed twice is written once, as it is now (each row holds all its columns).
            latest = list({row[-1]: row for row in changed}.values())
            _insert_rows(conn, sql, sql.upsert_tickets, latest)


def _advance_heads(conn: Connection, sql: _DriverStatements, heads: list[tuple]) -> None:
    """Move each hall's head on, in one statement, checking that each starts where it was."""
    if len(heads) == 1:
        moved = _send(conn, sql.advance_head, heads[0])
    else:
        spans: dict[str, list[int]] = {}  # hall -> [from, to]
        for new, hall, old in heads:
            span = spans.setdefault(hall, [old, old])
            if span[1] != old:
                raise StoreError(f"hall {hall}: appends out of order at {old}")
            span[1] = new
        m = sql.mark
        text = (
            f"UPDATE {sql.quote(_heads.name)} SET seq = CASE hall "
            + " ".join([f"WHEN {m} THEN CAST({m} AS BIGINT)"] * len(spans))
            + " END WHERE "
            + " OR ".join([f"(hall = {m} AND seq = {m})"] * len(spans))
        )
        values = [v for hall, (_, new) in spans.items() for v in (hall, new)]
        values += [v for hall, (old, _) in spans.items() for v in (hall, old)]
        moved, heads = _send(conn, text, tuple(values)), list(spans)
    if moved != len(heads):
        raise StoreError("the record moved on under us: a hall's head is not where its appends began")


def _project_tickets(
    sql: _DriverStatements, queue: HallQueue, recorded: list[Recorded], new_rows: list[tuple], changed_rows: list[tuple]
) -> None:
    """The rows that bring the ticket table in line with ``queue``, which has just applied
    ``recorded``: added to ``new_rows`` (to insert) and ``changed_rows`` (to update)."""
    issued: set[str] = set()
    touched: dict[str, int] = {}
    expired: list[tuple] = []
    for r in recorded:
        event = r.event
        if isinstance(event, DayStarted):  # the core expired them and let them go with the old day
            expired.extend(_ticket_values(t, queue, r.seq, sql) for t in queue.expired)
            continue
        if isinstance(event, CounterClosed | CounterRetired):
            touched.update(dict.fromkeys(event.released, r.seq))
            continue
        ticket_id = getattr(event, "ticket_id", None)
        if ticket_id is None:
            continue
        if event.__struct_config__.tag == "ticket_issued":
            issued.add(ticket_id)
        touched[ticket_id] = r.seq
    tickets = queue.tickets
    new_rows += [_ticket_values(tickets[t], queue, seq, sql) for t, seq in touched.items() if t in issued]
    changed_rows += expired
    changed_rows += [_ticket_values(tickets[t], queue, seq, sql) for t, seq in touched.items() if t not in issued]


def _ticket_values(ticket: TicketRecord, queue: HallQueue, seq: int, sql: _DriverStatements) -> tuple:
    """A ticket's row, in the order of ``_TICKET_COLUMNS``."""
    instant = sql.instant
    return (
        queue.rules.hall,
        sql.date(queue.rules.hall_day(ticket.issued_at)),
        ticket.number,
        ticket.group,
        ticket.seq,
        ticket.item,
        ticket.priority.value,
        ticket.state.value,
        ticket.counter,
        ticket.to_counter,
        ticket.recalls,
        ticket.transfers,
        ticket.channel,
        ticket.idempotency_key,
        instant(ticket.issued_at),
        instant(ticket.called_at),
        instant(ticket.started_at),
        instant(ticket.missed_at),
        instant(ticket.ended_at),
        instant(ticket.appointment_slot),
        seq,
        ticket.id,
    )


# ---------------------------------------------------------------- reading the record


class StoredEvent(msgspec.Struct, frozen=True):
    """One event of a hall's record as it was kept: its place, time and hall day, what it names."""

    seq: int
    at: dt.datetime
    day: dt.date  # the hall day, in the hall's time zone
    kind: str  # the event's tag, e.g. "service_completed"
    ticket_id: str | None
    counter: int | None
    actor: str | None
    event: Event


class TicketFacts(msgspec.Struct, frozen=True, kw_only=True):
    """A ticket of any day as the ticket table keeps it (the latest of its record)."""

    id: str
    hall: str
    day: dt.date
    number: str
    group: str
    item: str
    priority: Priority
    state: TicketState
    counter: int | None = None
    to_counter: int | None = None
    recalls: int = 0
    transfers: int = 0
    channel: str = "kiosk"
    issued_at: dt.datetime
    called_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    missed_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    appointment_slot: dt.datetime | None = None


_EVENT_COLUMNS = (
    _events.c.seq,
    _events.c.at,
    _events.c.day,
    _events.c.kind,
    _events.c.ticket_id,
    _events.c.counter,
    _events.c.actor,
    _events.c.data,
)
_FACT_COLUMNS = tuple(_tickets.c[name] for name in TicketFacts.__struct_fields__)


def events(
    conn: Connection,
    hall: str,
    *,
    kinds: Collection[str] = (),
    since: dt.date | None = None,
    until: dt.date | None = None,
    counter: int | None = None,
    ticket_id: str | None = None,
    seq: int | None = None,
    before: dt.datetime | None = None,
    excluding: sa.Select | None = None,
    newest_first: bool = False,
    limit: int | None = None,
    batch: int = 5000,
) -> Iterator[StoredEvent]:
    """The events of ``hall`` that match every filter given, in record order (``newest_first``:
    the reverse). ``since``/``until``: hall days, both included; ``before``: earlier than that
    instant; ``excluding``: a select of sequence numbers to leave out (e.g. services already
    rated). Read in batches, so a year of events never sits in memory at once."""
    query = sa.select(*_EVENT_COLUMNS).where(_events.c.hall == hall)
    if kinds:
        query = query.where(_events.c.kind.in_(list(kinds)))
    if since is not None:
        query = query.where(_events.c.day >= since)
    if until is not None:
        query = query.where(_events.c.day <= until)
    if counter is not None:
        query = query.where(_events.c.counter == counter)
    if ticket_id is not None:
        query = query.where(_events.c.ticket_id == ticket_id)
    if seq is not None:
        query = query.where(_events.c.seq == seq)
    if before is not None:
        query = query.where(_events.c.at < before)
    if excluding is not None:
        query = query.where(_events.c.seq.not_in(excluding))
    order = _events.c.seq.desc() if newest_first else _events.c.seq
    left = limit
    last: int | None = None
    while left is None or left > 0:
        page = query
        if last is not None:
            page = page.where(_events.c.seq < last if newest_first else _events.c.seq > last)
        size = batch if left is None else min(batch, left)
        rows = conn.execute(page.order_by(order).limit(size)).all()
        for row in rows:
            yield StoredEvent(*row[:-1], decode_event(row.data))  # type: ignore[arg-type]
        if len(rows) < size:
            return
        last = rows[-1].seq
        if left is not None:
            left -= len(rows)


def day_inventory(conn: Connection, hall: str, since: dt.date, until: dt.date) -> dict[dt.date, tuple[int, int]]:
    """For each hall day in [since, until] with events: its last sequence number and how many
    events it has (what tells whether something kept about the day is still whole)."""
    rows = conn.execute(
        sa.select(_events.c.day, sa.func.max(_events.c.seq), sa.func.count())
        .where(_events.c.hall == hall, _events.c.day >= since, _events.c.day <= until)
        .group_by(_events.c.day)
    ).all()
    return {day: (last, count) for day, last, count in rows}


def days_of(conn: Connection, hall: str, seqs: Collection[int]) -> dict[int, dt.date]:
    """The hall day of each of the events ``seqs`` that exist (lookups by key: cheap)."""
    if not seqs:
        return {}
    rows = conn.execute(
        sa.select(_events.c.seq, _events.c.day).where(_events.c.hall == hall, _events.c.seq.in_(sorted(seqs)))
    ).all()
    return {seq: day for seq, day in rows}


def first_event_after(conn: Connection, hall: str, day: dt.date) -> StoredEvent | None:
    """The first event of the first hall day after ``day`` (it starts that day)."""
    row = conn.execute(
        sa.select(*_EVENT_COLUMNS)
        .where(_events.c.hall == hall, _events.c.day > day)
        .order_by(_events.c.day, _events.c.seq)
        .limit(1)
    ).first()
    return None if row is None else StoredEvent(*row[:-1], decode_event(row.data))  # type: ignore[arg-type]


_COUNTER_KINDS = ("counter_defined", "counter_reconfigured", "counter_retired")


def counters_at(conn: Connection, hall: str, day: dt.date) -> dict[int, CounterSpec]:
    """The hall's counters as they stood when hall day ``day`` began (the hall file's, and a
    manager's changes, which outlive the day)."""
    specs: dict[int, CounterSpec] = {}
    for stored in events(conn, hall, kinds=_COUNTER_KINDS, until=day - dt.timedelta(days=1)):
        event = stored.event
        if isinstance(event, CounterRetired):
            specs.pop(event.counter, None)
        else:
            specs[event.counter] = event.spec  # type: ignore[union-attr]
    return specs


def tickets(conn: Connection, hall: str, ticket_ids: Collection[str]) -> dict[str, TicketFacts]:
    """The facts of the tickets named, of any day (those that exist)."""
    if not ticket_ids:
        return {}
    rows = conn.execute(
        sa.select(*_FACT_COLUMNS).where(_tickets.c.hall == hall, _tickets.c.id.in_(list(ticket_ids)))
    ).mappings()
    return {row["id"]: msgspec.convert(dict(row), TicketFacts) for row in rows}


def ticket(conn: Connection, hall: str, ticket_id: str) -> TicketFacts | None:
    """One ticket of any day, as the ticket table keeps it."""
    return tickets(conn, hall, [ticket_id]).get(ticket_id)


def encode_snapshot(queue: HallQueue) -> bytes:
    return _snapshot_encoder.encode(queue.export())


def save_snapshot(conn: Connection, hall: str, seq: int, at: dt.datetime, data: bytes) -> None:
    """Store an encoded snapshot of ``hall`` at ``seq``, keeping the last few."""
    conn.execute(_snapshots.insert().values(hall=hall, seq=seq, at=at, data=data))
    keep = conn.execute(
        sa.select(_snapshots.c.seq)
        .where(_snapshots.c.hall == hall)
        .order_by(_snapshots.c.seq.desc())
        .offset(3)
        .limit(1)
    ).scalar()
    if keep is not None:  # the events themselves are never deleted
        conn.execute(_snapshots.delete().where(_snapshots.c.hall == hall, _snapshots.c.seq <= keep))


def latest_snapshot(conn: Connection, hall: str) -> HallSnapshot | None:
    """The newest snapshot this program can read; None if there is none (replay it all)."""
    data = conn.execute(
        sa.select(_snapshots.c.data).where(_snapshots.c.hall == hall).order_by(_snapshots.c.seq.desc()).limit(1)
    ).scalar()
    if data is None:
        return None
    try:
        return _snapshot_decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        log.warning("the latest snapshot of hall %s is unreadable (an older format?); replaying the record", hall)
        return None


def event_at(conn: Connection, hall: str, seq: int) -> Event | None:
    found = next(events(conn, hall, seq=seq), None)
    return None if found is None else found.event


def last_event_at(conn: Connection, hall: str) -> dt.datetime | None:
    return conn.execute(
        sa.select(_events.c.at).where(_events.c.hall == hall).order_by(_events.c.seq.desc()).limit(1)
    ).scalar()


# ---------------------------------------------------------------- the live state from the record


class Loaded(NamedTuple):
    queue: HallQueue
    snapshot_seq: int  # 0: replayed from the first event
    replayed: int  # events applied after the snapshot
    last_at: dt.datetime | None  # the time of the record's latest event


def load(conn: Connection, rules: HallRules, *, from_snapshot: bool = True) -> Loaded:
    """A hall's live state: its latest snapshot (unless ``from_snapshot`` is off) and every
    event after it, applied in order. The service loads this way at start-up and after a
    failure; ``hall rebuild`` compares both ways."""
    snapshot = latest_snapshot(conn, rules.hall) if from_snapshot else None
    queue = HallQueue.restore(rules, snapshot) if snapshot else HallQueue(rules)
    replayed = 0
    for recorded in read_since(conn, rules.hall, queue.seq):
        queue.apply(recorded)
        replayed += 1
    return Loaded(queue, snapshot.seq if snapshot else 0, replayed, last_event_at(conn, rules.hall))
