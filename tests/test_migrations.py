"""Schema creation and upgrade at start-up, without losing data, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from config.database import connect_engine
from config.migrations import MIGRATIONS, Migration, SchemaError, schema_version, upgrade


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path):
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else f"sqlite:///{tmp_path / 'hall.db'}"
    engine = connect_engine(url)
    yield engine
    engine.dispose()


def _tables(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_a_new_database_gets_the_latest_schema(engine) -> None:
    assert upgrade(engine) == MIGRATIONS[-1].version
    assert {"hall_event", "hall_head", "hall_snapshot", "ticket", "schema_version"} <= _tables(engine)
    assert upgrade(engine) == MIGRATIONS[-1].version  # again: nothing to do, nothing broken
    with engine.connect() as conn:
        assert schema_version(conn) == MIGRATIONS[-1].version


def test_an_older_database_is_upgraded_keeping_its_data(engine) -> None:
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO hall_head (hall, seq) VALUES ('demo', 41)"))

    def add_column(conn: sa.Connection) -> None:
        conn.execute(sa.text("ALTER TABLE hall_head ADD COLUMN note VARCHAR(40) DEFAULT 'kept'"))

    later = (*MIGRATIONS, Migration(MIGRATIONS[-1].version + 1, "a note on the head row", add_column))
    assert upgrade(engine, later) == later[-1].version
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT hall, seq, note FROM hall_head")).one()
        assert tuple(row) == ("demo", 41, "kept")
        assert schema_version(conn) == later[-1].version


def test_a_failed_upgrade_changes_nothing(engine) -> None:
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO hall_head (hall, seq) VALUES ('demo', 7)"))

    def broken(conn: sa.Connection) -> None:
        conn.execute(sa.text("ALTER TABLE hall_head ADD COLUMN half_done INTEGER"))
        raise RuntimeError("the migration fails half way")

    with pytest.raises(RuntimeError):
        upgrade(engine, (*MIGRATIONS, Migration(MIGRATIONS[-1].version + 1, "broken", broken)))
    columns = {c["name"] for c in sa.inspect(engine).get_columns("hall_head")}
    assert "half_done" not in columns
    with engine.connect() as conn:
        assert schema_version(conn) == MIGRATIONS[-1].version
        assert conn.execute(sa.text("SELECT seq FROM hall_head")).scalar() == 7


def test_a_newer_database_is_refused(engine) -> None:
    later = (*MIGRATIONS, Migration(MIGRATIONS[-1].version + 1, "from the future", lambda conn: None))
    upgrade(engine, later)
    with pytest.raises(SchemaError, match="newer than this program"):
        upgrade(engine)
