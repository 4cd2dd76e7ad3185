"""Schema creation and upgrades with Alembic, run at start-up, safe with several processes.

The revisions in ``versions/`` each carry their own frozen table definitions (never today's
models), so upgrading a database of any earlier version keeps working however the models
change later. ``upgrade`` runs in one transaction: a failed upgrade leaves the data as it
was. One process migrates while the others wait (PostgreSQL: an advisory lock; SQLite: the
write lock its transactions take at ``BEGIN IMMEDIATE``) and then find nothing to do. A
database newer than the program refuses to start rather than guess.

Databases of this project before Alembic kept their version in ``schema_version`` (1 to 5);
they are stamped with the matching revision and upgraded from there. Revision 0006 writes
version 6 there, so a program of those days refuses a database that has moved on.

To change the schema: change the models, then write a revision with its own table
definitions (``alembic revision --autogenerate -m "…"`` proposes one from the difference;
the project's ``pyproject.toml`` tells Alembic where it lives), and check it in
``tests/test_migrations.py`` (the models and the head must agree).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from config.database import is_postgres, write_transaction

__all__ = [
    "SchemaError",
    "alembic_config",
    "current_revision",
    "head",
    "include_object",
    "legacy_version",
    "upgrade",
]

HERE = Path(__file__).resolve().parent
_LOCK_KEY = 0x4841_4C4C  # "HALL": one process migrates, the others wait
# The versions of the schema before Alembic, and the revision that is each of them.
_LEGACY = {1: "0001", 2: "0002", 3: "0003", 4: "0004", 5: "0005", 6: "0006"}
_legacy_versions = sa.table("schema_version", sa.column("version", sa.Integer))


class SchemaError(Exception):
    pass


def include_object(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    """What Alembic compares with the models: everything but the version table of the days
    before Alembic (kept, not modelled)."""
    return not (type_ == "table" and name == "schema_version")


def alembic_config(connection: Connection | None = None, scripts: Path = HERE) -> Config:
    """Alembic's configuration for this project; with ``connection``, the commands run on it."""
    config = Config()
    config.set_main_option("script_location", str(scripts))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision this program knows."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None
    return revision


def current_revision(conn: Connection) -> str | None:
    """The database's Alembic revision (None: Alembic has not been here)."""
    return MigrationContext.configure(conn).get_current_revision()


def legacy_version(conn: Connection) -> int:
    """The version a database of the days before Alembic was at (0: none)."""
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    return conn.execute(sa.select(sa.func.max(_legacy_versions.c.version))).scalar() or 0


def upgrade(engine: Engine, target: str = "head", scripts: Path = HERE) -> str:
    """Bring the schema to ``target`` (the newest revision); returns the revision it is at.
    ``scripts``: another migrations folder (the tests')."""
    script = ScriptDirectory.from_config(alembic_config(scripts=scripts))
    with write_transaction(engine) as conn, conn.begin():
        if is_postgres(engine):
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        config = alembic_config(conn, scripts)
        current = current_revision(conn)
        if current is None:
            legacy = legacy_version(conn)
            if legacy:
                if legacy not in _LEGACY:
                    raise SchemaError(
                        f"the database is at schema version {legacy}, newer than this program knows: "
                        "run the newer program, or restore a backup"
                    )
                command.stamp(config, _LEGACY[legacy])  # it is that revision, made the old way
            elif tables := sorted(set(sa.inspect(conn).get_table_names()) - {"alembic_version"}):
                raise SchemaError(f"the database has tables {tables} but no schema version")
        elif current not in {r.revision for r in script.walk_revisions()}:
            raise SchemaError(
                f"the database is at schema revision {current}, newer than this program's "
                f"{script.get_current_head()}: "
                "run the newer program, or restore a backup"
            )
        command.upgrade(config, target)
        reached = current_revision(conn)
    assert reached is not None
    return reached
