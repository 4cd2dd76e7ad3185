"""Writing and reading the audit trail."""

from __future__ import annotations

import msgspec
from sqlalchemy.engine import Connection, Engine

from config.audit.models import AuditEntryRow
from config.audit.schemas import AuditEntry
from config.database import write_transaction
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


class AuditStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, entry: AuditEntry) -> None:
        """Add ``entry`` in a transaction of its own (a sign-in, a refusal: nothing else changes)."""
        with write_transaction(self.engine) as conn, conn.begin():
            record(conn, entry)
