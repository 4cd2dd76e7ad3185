"""The event store: appending to a hall's record, reading it back, snapshots, tickets.

Every function takes an open connection: the caller (``service.py``) owns the
transaction, so the events, the head and the ticket rows of one command commit or roll
back together.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection

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
from queueing.models import HallEventRow, HallHeadRow, HallSnapshotRow, TicketRow
from queueing.records import HallSnapshot, TicketRecord

__all__ = [
    "append",
    "encode_snapshot",
    "ensure_head",
    "event_at",
    "head",
    "last_event_at",
    "latest_snapshot",
    "lock_head",
    "read_since",
    "save_snapshot",
    "stored_ticket",
]

_events = HallEventRow.__table__
_heads = HallHeadRow.__table__
_snapshots = HallSnapshotRow.__table__
_tickets = TicketRow.__table__
# The statements of the hot path, built once: building a statement costs more than running it.
_HEAD = sa.select(_heads.c.seq).where(_heads.c.hall == sa.bindparam("hall"))
_LOCK_HEAD = _HEAD.with_for_update()
_ADVANCE_HEAD = (
    _heads.update()
    .where(_heads.c.hall == sa.bindparam("of_hall"), _heads.c.seq == sa.bindparam("expected"))
    .values(seq=sa.bindparam("new_seq"))
)
_INSERT_EVENTS = _events.insert()
_INSERT_TICKETS = _tickets.insert()
_READ_SINCE = (
    sa.select(_events.c.seq, _events.c.data)
    .where(_events.c.hall == sa.bindparam("hall"), _events.c.seq > sa.bindparam("after"))
    .order_by(_events.c.seq)
    .limit(sa.bindparam("batch"))
)
_UPDATE_TICKET = (  # one statement for every ticket update, its rows sent together (executemany)
    _tickets.update()
    .where(_tickets.c.id == sa.bindparam("ticket_id"))
    .values({c.name: sa.bindparam(f"new_{c.name}") for c in _tickets.c if c.name != "id"})
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


def lock_head(conn: Connection, hall: str) -> int:
    """The last sequence number, locked until the transaction ends (SQLite: already locked)."""
    seq = conn.execute(_LOCK_HEAD if conn.dialect.name == "postgresql" else _HEAD, {"hall": hall}).scalar()
    if seq is None:
        raise StoreError(f"hall {hall} has no head row")
    return seq


def read_since(conn: Connection, hall: str, after: int, batch: int = 5000) -> Iterator[Recorded]:
    """The recorded events with a sequence number above ``after``, in order."""
    while True:
        rows = conn.execute(_READ_SINCE, {"hall": hall, "after": after, "batch": batch}).all()
        for seq, data in rows:
            yield Recorded(seq, decode_event(data))
        if len(rows) < batch:
            return
        after = rows[-1][0]


def append(conn: Connection, queue: HallQueue, recorded: list[Recorded]) -> None:
    """Write ``recorded`` (already applied to ``queue``) and the tickets they touched."""
    if not recorded:
        return
    hall, rules = queue.rules.hall, queue.rules
    conn.execute(
        _INSERT_EVENTS,
        [
            {
                "hall": hall,
                "seq": r.seq,
                "at": r.event.at,
                "day": rules.hall_day(r.event.at),
                "kind": type(r.event).__struct_config__.tag,
                "ticket_id": getattr(r.event, "ticket_id", None),
                "counter": getattr(r.event, "counter", None),
                "actor": r.event.actor,
                "data": encode_event(r.event).decode(),
            }
            for r in recorded
        ],
    )
    last = recorded[-1].seq
    updated = conn.execute(_ADVANCE_HEAD, {"of_hall": hall, "expected": recorded[0].seq - 1, "new_seq": last})
    if updated.rowcount != 1:
        raise StoreError(f"hall {hall}: the record moved on under us before event {recorded[0].seq}")
    _project_tickets(conn, queue, recorded)


def _project_tickets(conn: Connection, queue: HallQueue, recorded: list[Recorded]) -> None:
    """Bring the ticket rows in line with ``queue``, which has just applied ``recorded``."""
    issued: set[str] = set()
    touched: dict[str, int] = {}
    for r in recorded:
        event = r.event
        if isinstance(event, DayStarted):
            if event.expired:  # they left memory with the old day
                conn.execute(
                    _tickets.update()
                    .where(_tickets.c.id.in_(event.expired))
                    .values(state="expired", ended_at=event.expired_at or event.at, updated_seq=r.seq)
                )
            continue
        if isinstance(event, CounterClosed | CounterRetired):
            touched.update(dict.fromkeys(event.released, r.seq))
            continue
        ticket_id = getattr(event, "ticket_id", None)
        if ticket_id is None:
            continue
        if type(event).__struct_config__.tag == "ticket_issued":
            issued.add(ticket_id)
        touched[ticket_id] = r.seq
    new_rows = [_ticket_row(queue.tickets[t], queue, seq) for t, seq in touched.items() if t in issued]
    changed_rows = [_ticket_row(queue.tickets[t], queue, seq) for t, seq in touched.items() if t not in issued]
    if new_rows:
        conn.execute(_INSERT_TICKETS, new_rows)
    if changed_rows:
        conn.execute(
            _UPDATE_TICKET,
            [{"ticket_id": row["id"], **{f"new_{k}": v for k, v in row.items() if k != "id"}} for row in changed_rows],
        )


def _ticket_row(ticket: TicketRecord, queue: HallQueue, seq: int) -> dict:
    return {
        "id": ticket.id,
        "hall": queue.rules.hall,
        "day": queue.rules.hall_day(ticket.issued_at),
        "number": ticket.number,
        "group": ticket.group,
        "seq": ticket.seq,
        "item": ticket.item,
        "priority": ticket.priority.value,
        "state": ticket.state.value,
        "counter": ticket.counter,
        "to_counter": ticket.to_counter,
        "recalls": ticket.recalls,
        "transfers": ticket.transfers,
        "channel": ticket.channel,
        "idempotency_key": ticket.idempotency_key,
        "issued_at": ticket.issued_at,
        "called_at": ticket.called_at,
        "started_at": ticket.started_at,
        "missed_at": ticket.missed_at,
        "ended_at": ticket.ended_at,
        "appointment_slot": ticket.appointment_slot,
        "updated_seq": seq,
    }


def stored_ticket(conn: Connection, hall: str, ticket_id: str) -> TicketRow | None:
    """A ticket of any day, as the ticket table keeps it."""
    row = conn.execute(sa.select(_tickets).where(_tickets.c.hall == hall, _tickets.c.id == ticket_id)).first()
    return None if row is None else TicketRow.model_validate(row._mapping)


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
    data = conn.execute(sa.select(_events.c.data).where(_events.c.hall == hall, _events.c.seq == seq)).scalar()
    return None if data is None else decode_event(data)


def last_event_at(conn: Connection, hall: str) -> dt.datetime | None:
    return conn.execute(
        sa.select(_events.c.at).where(_events.c.hall == hall).order_by(_events.c.seq.desc()).limit(1)
    ).scalar()
