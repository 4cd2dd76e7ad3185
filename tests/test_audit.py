"""The audit trail's table: what a caller records is kept, with no clear personal data."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import sqlalchemy as sa

from config.audit.models import AuditEntryRow
from config.audit.schemas import AuditEntry
from config.audit.store import AuditStore
from config.database import connect_engine, read_connection
from config.migrations import upgrade
from tests.support import id_number

AT = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)


def test_an_entry_is_kept_whole_and_its_details_masked(tmp_path: Path) -> None:
    engine = connect_engine(f"sqlite:///{tmp_path / 'hall.db'}")
    upgrade(engine)
    store = AuditStore(engine)
    person = id_number(7)
    store.add(
        AuditEntry(
            hall="demo",
            at=AT,
            actor_kind="staff",
            actor="manager",
            role="manager",
            address="10.0.0.8",
            action="appointments.cancel_slots",
            target="SB01 2026-12-08",
            details={"reason": f"停电 call 13812345678 about {person}"},
        )
    )
    store.add(AuditEntry(hall="demo", at=AT, actor_kind="citizen", action="auth.login_failed", target="x" * 500))
    with read_connection(engine) as conn, conn.begin():
        rows = conn.execute(sa.select(AuditEntryRow.__table__).order_by("id")).all()
    assert [r.id for r in rows] == [1, 2]  # numbered by the database, in order
    first = rows[0]
    assert (first.actor, first.address, first.action, first.at.replace(tzinfo=dt.UTC)) == (
        "manager",
        "10.0.0.8",
        "appointments.cancel_slots",
        AT,
    )
    reason = json.loads(first.details)["reason"]
    assert "13812345678" not in reason and person not in reason
    assert "138****5678" in reason
    assert len(rows[1].target) == 200 and rows[1].details == ""  # cut to the column, not refused
