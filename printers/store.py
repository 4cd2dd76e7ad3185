"""Print jobs and printer states in the database: short transactions, called from threads."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from config.database import read_connection, write_transaction
from printers.models import PrinterStatusRow, PrintJobRow
from printers.schemas import PrintJobView

__all__ = ["PrintStore"]

_jobs: sa.Table = PrintJobRow.__table__  # type: ignore[attr-defined]
_status: sa.Table = PrinterStatusRow.__table__  # type: ignore[attr-defined]
_OPEN = ("queued", "sent")


def view_of(row: sa.Row) -> PrintJobView:
    return PrintJobView(
        id=row.id,
        ticket_id=row.ticket_id,
        number=row.number,
        device=row.device,
        state=row.state,
        created_at=row.created_at,
        done_at=row.done_at,
        fault=row.fault,
        error=row.error,
    )


class PrintStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, job: PrintJobRow) -> PrintJobView:
        with write_transaction(self.engine) as conn, conn.begin():
            conn.execute(_jobs.insert().values(**job.model_dump()))
        return PrintJobView(
            id=job.id,
            ticket_id=job.ticket_id,
            number=job.number,
            device=job.device,
            state=job.state,  # type: ignore[arg-type]
            created_at=job.created_at,
        )

    def job(self, hall: str, job_id: str) -> PrintJobView | None:
        with read_connection(self.engine) as conn, conn.begin():
            row = conn.execute(sa.select(*_columns()).where(_jobs.c.hall == hall, _jobs.c.id == job_id)).one_or_none()
        return None if row is None else view_of(row)

    def finish(
        self, hall: str, job_id: str, state: str, at: dt.datetime, fault: str = "", error: str = ""
    ) -> PrintJobView | None:
        """A job printed or failed; the printer's state follows. A job already finished stays
        as it was (an agent may report a job twice after a reconnection)."""
        with write_transaction(self.engine) as conn, conn.begin():
            row = conn.execute(sa.select(*_columns()).where(_jobs.c.hall == hall, _jobs.c.id == job_id)).one_or_none()
            if row is None:
                return None
            if row.state in _OPEN:
                conn.execute(
                    _jobs.update()
                    .where(_jobs.c.hall == hall, _jobs.c.id == job_id)
                    .values(state=state, done_at=at, fault=fault, error=error[:300])
                )
                if state == "printed":
                    self._set_status(conn, hall, row.device, at, state="ok", error="", last_printed_at=at)
                else:
                    self._set_status(conn, hall, row.device, at, state=fault or "error", error=error[:300])
            row = conn.execute(sa.select(*_columns()).where(_jobs.c.hall == hall, _jobs.c.id == job_id)).one()
        return view_of(row)

    def for_agent(
        self, hall: str, device: str, now: dt.datetime, expiry: dt.timedelta, given: frozenset[str] = frozenset()
    ) -> list[PrintJobRow]:
        """What an agent is to print and was not ``given`` yet, oldest first, marked sent;
        older ones expire instead."""
        with write_transaction(self.engine) as conn, conn.begin():
            conn.execute(
                _jobs.update()
                .where(
                    _jobs.c.hall == hall,
                    _jobs.c.device == device,
                    _jobs.c.state.in_(_OPEN),
                    _jobs.c.created_at < now - expiry,
                )
                .values(state="expired", done_at=now, error="not printed in time")
            )
            rows = conn.execute(
                sa.select(_jobs)
                .where(_jobs.c.hall == hall, _jobs.c.device == device, _jobs.c.state.in_(_OPEN))
                .order_by(_jobs.c.created_at, _jobs.c.id)
            ).all()
            rows = [r for r in rows if r.id not in given]
            if rows:
                conn.execute(
                    _jobs.update()
                    .where(_jobs.c.id.in_([r.id for r in rows]))
                    .values(state="sent", attempts=_jobs.c.attempts + 1)
                )
        return [PrintJobRow(**r._mapping) for r in rows]

    def agent_seen(self, hall: str, device: str, at: dt.datetime, connected: bool) -> None:
        with write_transaction(self.engine) as conn, conn.begin():
            self._set_status(conn, hall, device, at, agent_connected=connected, agent_seen_at=at)

    def printers(self, hall: str) -> tuple[dict[str, sa.Row], dict[str, int]]:
        """Each device's status row, and how many jobs wait for it."""
        with read_connection(self.engine) as conn, conn.begin():
            statuses = {r.device: r for r in conn.execute(sa.select(_status).where(_status.c.hall == hall))}
            waiting = dict(
                conn.execute(
                    sa.select(_jobs.c.device, sa.func.count())
                    .where(_jobs.c.hall == hall, _jobs.c.state.in_(_OPEN))
                    .group_by(_jobs.c.device)
                ).all()
            )
        return statuses, waiting

    @staticmethod
    def _set_status(conn: Connection, hall: str, device: str, at: dt.datetime, **values: object) -> None:
        current = conn.execute(
            sa.select(_status).where(_status.c.hall == hall, _status.c.device == device)
        ).one_or_none()
        if current is None:
            fresh = {"state": "unknown", "error": "", "agent_connected": False, "changed_at": at} | values
            conn.execute(_status.insert().values(hall=hall, device=device, **fresh))
            return
        if "state" in values and values["state"] != current.state:
            values["changed_at"] = at
        conn.execute(_status.update().where(_status.c.hall == hall, _status.c.device == device).values(**values))


def _columns() -> list[sa.Column]:
    return [c for c in _jobs.columns if c.name != "data"]
