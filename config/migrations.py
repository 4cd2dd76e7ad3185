"""Schema creation and upgrades, run at start-up, safe with several processes starting.

A new database gets today's tables and the latest version number. An older one runs,
in order, every migration above its version, each in the same transaction as the
version bump, so a failed upgrade leaves the data as it was. A database newer than the
code refuses to start rather than guess.

To change the schema: change the models, then append a ``Migration`` whose ``upgrade``
brings a database of the previous version to the new one (``ALTER TABLE …``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from config.database import is_postgres, write_transaction

__all__ = ["MIGRATIONS", "Migration", "SchemaError", "schema_version", "upgrade"]

_LOCK_KEY = 0x4841_4C4C  # "HALL": one process migrates, the others wait


class SchemaError(Exception):
    pass


class Migration(NamedTuple):
    version: int
    description: str
    upgrade: Callable[[Connection], None] | None  # None: the baseline, created from the models


def _add_printing(conn: Connection) -> None:
    from printers.models import PrinterStatusRow, PrintJobRow

    for table in (PrintJobRow.__table__, PrinterStatusRow.__table__):
        table.create(conn)  # type: ignore[attr-defined]


def _add_appointments(conn: Connection) -> None:
    from appointments.models import AppointmentPersonRow, AppointmentReminderRow, AppointmentRow, AppointmentSlotRow

    for model in (AppointmentRow, AppointmentSlotRow, AppointmentPersonRow, AppointmentReminderRow):
        model.__table__.create(conn)  # type: ignore[attr-defined]


def _add_ratings(conn: Connection) -> None:
    from counters.models import RatingCaseRow, RatingRow

    for model in (RatingRow, RatingCaseRow):
        model.__table__.create(conn)  # type: ignore[attr-defined]


def _add_roster(conn: Connection) -> None:
    from counters.models import PostRosterRow

    PostRosterRow.__table__.create(conn)  # type: ignore[attr-defined]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "hall_event, hall_head, hall_snapshot, ticket", None),
    Migration(2, "print_job, printer_status", _add_printing),
    Migration(3, "appointment, appointment_slot, appointment_person, appointment_reminder", _add_appointments),
    Migration(4, "rating, rating_case", _add_ratings),
    Migration(5, "post_roster", _add_roster),
)

_meta = sa.MetaData()
_versions = sa.Table(
    "schema_version",
    _meta,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("applied_at", sa.Text, nullable=False),
)


def schema_version(conn: Connection) -> int:
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    return conn.execute(sa.select(sa.func.max(_versions.c.version))).scalar() or 0


def upgrade(
    engine: Engine, migrations: Sequence[Migration] = MIGRATIONS, metadata: sa.MetaData = SQLModel.metadata
) -> int:
    """Bring the schema to the latest version; returns it."""
    # The models must be imported so that their tables are in the metadata.
    import appointments.models  # noqa: F401
    import counters.models  # noqa: F401
    import printers.models  # noqa: F401
    import queueing.models  # noqa: F401

    latest = migrations[-1].version
    with write_transaction(engine) as conn, conn.begin():
        if is_postgres(engine):
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        current = schema_version(conn)
        if current > latest:
            raise SchemaError(
                f"the database is at schema version {current}, newer than this program's {latest}: "
                "run the newer program, or restore a backup"
            )
        _versions.create(conn, checkfirst=True)
        if current == 0:
            existing = set(sa.inspect(conn).get_table_names()) & set(metadata.tables)
            if existing:
                raise SchemaError(f"the database has tables {sorted(existing)} but no schema version")
            metadata.create_all(conn)
            _stamp(conn, migrations[-1])
            return latest
        for migration in migrations:
            if migration.version > current:
                if migration.upgrade is None:
                    raise SchemaError(f"migration {migration.version} has no upgrade step")
                migration.upgrade(conn)
                _stamp(conn, migration)
    return latest


def _stamp(conn: Connection, migration: Migration) -> None:
    conn.execute(
        _versions.insert().values(
            version=migration.version,
            description=migration.description,
            applied_at=dt.datetime.now(dt.UTC).isoformat(),
        )
    )
