"""Writing, searching and pruning the audit trail."""

from __future__ import annotations

import datetime as dt
import json

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from config.audit.models import AuditEntryRow
from config.audit.schemas import AuditEntry, AuditQuery
from config.database import read_connection, write_transaction
from config.privacy import mask_text

__all__ = ["AuditStore", "record"]

_entries = AuditEntryRow.__table__  # type: ignore[attr-defined]
_LIMITS = {c.name: c.type.length for c in _entries.columns if getattr(c.type, "length", None)}


def _row(entry: AuditEntry) -> dict[str, object]:
    values = msgspec.structs.asdict(entry)
    values.pop("id")
    # Whatever a caller put in the details, no clear ID number or phone reaches the table.
    values["details"] = mask_text(msgspec.json.encode(entry.details).decode()) if entry.details else ""
    for name, limit in _LIMITS.items():
        if isinstance(values.get(name), str):
            values[name] = values[name][:limit]  # type: ignore[index]
    return values


def record(conn: Connection, entry: AuditEntry) -> None:
    """Add ``entry`` within the caller's transaction: the change and its record commit together."""
    conn.execute(_entries.insert().values(**_row(entry)))


def _entry(row: sa.Row) -> AuditEntry:
    values = row._asdict()
    values["details"] = json.loads(values["details"]) if values["details"] else {}
    return msgspec.convert(values, AuditEntry)


class AuditStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, entry: AuditEntry) -> None:
        """Add ``entry`` in a transaction of its own (a sign-in, a refusal: nothing else changes)."""
        with write_transaction(self.engine) as conn, conn.begin():
            record(conn, entry)

    def search(self, hall: str, query: AuditQuery) -> list[AuditEntry]:
        """A hall's entries matching ``query``, newest first, at most ``query.limit`` of them, with
        those that concern no one hall (a prune of the trail, a sign-in to an unknown hall)."""
        columns = _entries.c
        where = [columns.hall.in_((hall, ""))]
        if query.actor:
            where.append(columns.actor == query.actor)
        if query.action:  # a prefix: "auth." finds every sign-in, "PUT /api/halls/{hall}/roster" every roster save
            escaped = query.action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(columns.action.like(escaped + "%", escape="\\"))
        if query.outcome:
            where.append(columns.outcome == query.outcome)
        if query.since is not None:
            where.append(columns.at >= query.since)
        if query.until is not None:
            where.append(columns.at < query.until)
        if query.before is not None:
            where.append(columns.id < query.before)
        statement = sa.select(_entries).where(*where).order_by(columns.id.desc()).limit(query.limit)
        with read_connection(self.engine) as conn, conn.begin():
            return [_entry(row) for row in conn.execute(statement)]

    def prune(self, older_than: dt.datetime, entry: AuditEntry) -> int:
        """Delete the entries of every hall recorded before ``older_than`` and add ``entry`` (saying
        how many went) in the same transaction: the trail never loses entries without a trace."""
        with write_transaction(self.engine) as conn, conn.begin():
            gone = conn.execute(_entries.delete().where(_entries.c.at < older_than)).rowcount
            record(conn, msgspec.structs.replace(entry, details={**entry.details, "deleted": gone}))
        return gone
