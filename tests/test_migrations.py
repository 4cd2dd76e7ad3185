"""Schema creation and upgrades with Alembic, on SQLite and PostgreSQL.

``tests/migrations/`` holds a database made by every earlier version of the project, each by
that version's own program through its own API (``make_fixture.py``): the first release
(v1a, with the ``hall_head.snapshot_seq`` its successor dropped without a migration), then
schema versions 1 to 5. Each is upgraded to the head here, keeping every row.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from config.database import connect_engine
from config.halls import load_hall
from config.migrations import (
    HERE,
    SchemaError,
    alembic_config,
    current_revision,
    head,
    include_object,
    legacy_version,
    upgrade,
)
from queueing import store
from queueing.commands import IssueTicket
from queueing.service import HallRuntime
from tests.support import KIOSK, MONDAY_9, ROOT, SMALL_HALL, demo_hall, with_check_digit

FIXTURES = Path(__file__).resolve().parent / "migrations"
VERSIONS = ["v1a", "v1", "v2", "v3", "v4", "v5"]
REVISION_OF = {"v1a": "0001", "v1": "0001", "v2": "0002", "v3": "0003", "v4": "0004", "v5": "0005"}
_ALWAYS = {"alembic_version", "schema_version"}  # version tables, compared on their own


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return request.getfixturevalue("pg_url") if request.param == "postgresql" else f"sqlite:///{tmp_path / 'hall.db'}"


@pytest.fixture
def engine(url: str):
    engine = connect_engine(url)
    yield engine
    engine.dispose()


def load_fixture(url: str, version: str) -> None:
    """A database exactly as the program of ``version`` left it."""
    if url.startswith("sqlite"):
        with sqlite3.connect(sa.engine.make_url(url).database) as conn:
            conn.executescript((FIXTURES / f"{version}.sqlite.sql").read_text())
        return
    dump = (FIXTURES / f"{version}.postgresql.sql").read_text()
    script = "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))  # psql's meta-commands
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(script)


def rows(engine: sa.Engine) -> dict[str, list[dict]]:
    """Every row of every table (but the version tables), in a stable order."""
    meta = sa.MetaData()
    meta.reflect(engine)
    found = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            if table.name in _ALWAYS:
                continue
            key = [c for c in table.primary_key.columns] or list(table.columns)
            found[table.name] = [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(*key))]
    return found


def differences(engine: sa.Engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        return compare_metadata(context, SQLModel.metadata)


def test_a_new_database_gets_the_head_and_agrees_with_the_models(engine: sa.Engine) -> None:
    assert upgrade(engine) == head()
    assert upgrade(engine) == head()  # again: nothing to do, nothing broken
    assert differences(engine) == []  # autogenerate would find nothing to do
    with engine.connect() as conn:
        assert current_revision(conn) == head()
        assert legacy_version(conn) == 6  # a program of the days before Alembic refuses it


@pytest.mark.parametrize("version", VERSIONS)
def test_a_database_of_every_earlier_version_upgrades_keeping_every_row(url: str, version: str) -> None:
    load_fixture(url, version)
    engine = connect_engine(url)
    try:
        before = rows(engine)
        assert sum(map(len, before.values())) >= 40, "the fixture holds a hall's morning"
        assert upgrade(engine) == head()
        after = rows(engine)
        assert set(after) >= set(before)
        for table, old in before.items():  # the columns both have: as they were (columns come and go)
            both = set(old[0]) & set(after[table][0]) if old and after[table] else set()
            assert [{k: r[k] for k in both} for r in after[table]] == [{k: r[k] for k in both} for r in old], (
                f"{version}: {table} changed"
            )
            assert len(after[table]) == len(old), f"{version}: {table} lost rows"
        for booking in after.get("appointment", []):  # made with a resident ID, by the person (0008)
            assert (booking["document_kind"], booking["agent_name_masked"], booking["agent_phone_masked"]) == (
                "resident_id", "", "",
            )  # fmt: skip
        if version == "v1a":  # the column its successor dropped is gone, every head row kept
            assert all("snapshot_seq" not in row for row in after["hall_head"])
        assert differences(engine) == []

        # The program runs on it: the old record replays, and a hall new to the database is added.
        hall = demo_hall()
        with engine.connect() as conn:
            replayed = store.load(conn, hall.rules, from_snapshot=False).queue
            assert replayed.export() == store.load(conn, hall.rules).queue.export()
            assert replayed.seq == max(row["seq"] for row in after["hall_event"] if row["hall"] == "demo")

        async def add_a_hall() -> None:
            runtime = HallRuntime(load_hall(SMALL_HALL).queue_part(), engine, clock=lambda: MONDAY_9)
            await runtime.start()
            await runtime.execute(IssueTicket(at=MONDAY_9, actor=KIOSK, ticket_id="after-upgrade", item="MZ01"))
            await runtime.close()

        import asyncio

        asyncio.run(add_a_hall())
    finally:
        engine.dispose()


def downgrade(engine: sa.Engine, target: str) -> None:
    with engine.connect() as conn, conn.begin():
        command.downgrade(alembic_config(conn), target)


def booked_before_0008(engine: sa.Engine, number: str, booking_id: str) -> None:
    """A booking as the program of revision 0007 kept one made with ``number`` (18 characters
    with a check digit, all taken as resident IDs then): the fixture's first booking's row, with
    this number masked as that program masked it."""
    table = sa.Table("appointment", sa.MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        row = dict(conn.execute(sa.select(table).order_by(table.c.id)).mappings().first())
        row.update(id=booking_id, code=booking_id[-8:].upper(), ticket_id=None)
        row.update(id_masked=number[:4] + "*" * 10 + number[-4:])
        conn.execute(table.insert().values(**row))


def kinds(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.text("SELECT id_masked, document_kind FROM appointment")).all())


def test_0008_reads_residence_permit_and_2023_permanent_card_bookings_by_their_first_digits(url: str) -> None:
    load_fixture(url, "v5")
    engine = connect_engine(url)
    try:
        upgrade(engine, "0007")
        permit, card = with_check_digit("81000019900101001"), with_check_digit("93184019900101003")
        booked_before_0008(engine, permit, "before-0008-permit")
        booked_before_0008(engine, card, "before-0008-card")
        upgrade(engine)
        found = kinds(engine)
        assert found.pop("8100**********" + permit[-4:]) == "residence_permit"
        assert found.pop("9318**********" + card[-4:]) == "foreign_permanent"
        assert set(found.values()) == {"resident_id"} and found  # the fixture's own bookings
        with engine.connect() as conn:  # made before consents: none recorded
            consents = conn.execute(sa.text("SELECT consent_at, notice_version FROM appointment")).all()
        assert {tuple(c) for c in consents} == {(None, "")}
        indexes = {i["name"]: i["column_names"] for i in sa.inspect(engine).get_indexes("appointment")}
        assert indexes["ix_appointment_ticket"] == ["hall", "ticket_id"]  # the desk's lookup by ticket
        # back to 0007 and up again: those cards were resident IDs there, and are read again the same
        downgrade(engine, "0007")
        assert "document_kind" not in {c["name"] for c in sa.inspect(engine).get_columns("appointment")}
        upgrade(engine)
        assert kinds(engine)["8100**********" + permit[-4:]] == "residence_permit"
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("change", "why"),
    [("document_kind = 'passport'", "passport"), ("agent_name_masked = '王**'", "代办")],
)
def test_0008_refuses_to_downgrade_while_bookings_only_it_can_tell_apart_are_kept(
    url: str, change: str, why: str
) -> None:
    load_fixture(url, "v5")
    engine = connect_engine(url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(sa.text(f"UPDATE appointment SET {change} WHERE id = (SELECT min(id) FROM appointment)"))
        before = rows(engine)
        with pytest.raises(RuntimeError, match=f"cannot downgrade below 0008: 1 booking.*{why}"):
            downgrade(engine, "0007")
        assert rows(engine) == before  # nothing lost, still at the head
        with engine.connect() as conn:
            assert current_revision(conn) == head()
    finally:
        engine.dispose()


@pytest.mark.parametrize("version", ["v1", "v2", "v3", "v4", "v5"])
def test_each_frozen_revision_makes_the_schema_its_version_made(url: str, version: str, tmp_path: Path) -> None:
    """Revisions 0001–0005 make, table for table, what the program of that version made."""
    made_by_revision = connect_engine(url)
    upgrade(made_by_revision, REVISION_OF[version])
    old_url = f"sqlite:///{tmp_path / 'old.db'}" if url.startswith("sqlite") else url + "_old"
    if not url.startswith("sqlite"):
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{old_url.rsplit("/", 1)[1]}"')
    try:
        load_fixture(old_url, version)
        made_by_program = connect_engine(old_url)
        assert schema(made_by_revision) == schema(made_by_program)
        made_by_program.dispose()
    finally:
        made_by_revision.dispose()
        if not url.startswith("sqlite"):
            with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{old_url.rsplit("/", 1)[1]}" WITH (FORCE)')


def schema(engine: sa.Engine) -> dict:
    inspector = sa.inspect(engine)
    found = {}
    for table in sorted(set(inspector.get_table_names()) - _ALWAYS):
        found[table] = {
            "columns": [
                (c["name"], str(c["type"].compile(engine.dialect)), c["nullable"]) for c in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
            "indexes": sorted((i["name"], tuple(i["column_names"]), i["unique"]) for i in inspector.get_indexes(table)),
            "unique": sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)),
        }
    return found


def test_alembic_on_the_command_line_sees_every_model(url: str) -> None:
    """``alembic check`` (what a developer runs before writing a revision) reads the models
    through ``env.py`` alone, in a process of its own: it must find the head and the models
    agreeing, so no model is missing from what it compares."""
    engine = connect_engine(url)
    upgrade(engine)
    engine.dispose()
    checked = subprocess.run(
        [sys.executable, "-m", "alembic", "check"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "HALL_FILES": str(SMALL_HALL)},
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No new upgrade operations detected" in checked.stdout + checked.stderr


def test_a_newer_database_is_refused(engine: sa.Engine) -> None:
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaError, match="newer than this program"):
        upgrade(engine)


def test_a_database_of_an_unknown_older_scheme_is_refused(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT, applied_at TEXT)")
        )
        conn.execute(sa.text("INSERT INTO schema_version VALUES (7, 'from elsewhere', 'x')"))
    with pytest.raises(SchemaError, match="newer than this program"):
        upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE schema_version"))
        conn.execute(sa.text("CREATE TABLE hall_event (x INTEGER)"))
    with pytest.raises(SchemaError, match="no schema version"):
        upgrade(engine)


def test_a_failed_upgrade_changes_nothing(engine: sa.Engine, tmp_path: Path) -> None:
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO hall_head (hall, seq) VALUES ('demo', 7)"))
    scripts = tmp_path / "migrations"
    shutil.copytree(HERE, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9999_broken.py").write_text(
        f'import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "9999"\ndown_revision = "{head()}"\n'
        "branch_labels = depends_on = None\n\n\ndef upgrade():\n"
        '    op.add_column("hall_head", sa.Column("half_done", sa.Integer))\n'
        '    raise RuntimeError("the migration fails half way")\n'
    )
    with pytest.raises(RuntimeError, match="half way"):
        upgrade(engine, scripts=scripts)
    assert "half_done" not in {c["name"] for c in sa.inspect(engine).get_columns("hall_head")}
    with engine.connect() as conn:
        assert current_revision(conn) == head()
        assert conn.execute(sa.text("SELECT seq FROM hall_head")).scalar() == 7


def test_several_processes_starting_at_once_migrate_exactly_once(url: str) -> None:
    """Four processes upgrade one new database at the same moment: each succeeds, the
    revisions ran once (a second run would fail: their tables and version row exist)."""
    program = (
        "import sys, time\n"
        "from config.database import connect_engine\n"
        "from config.migrations import upgrade\n"
        "start = float(sys.argv[2])\n"
        "time.sleep(max(0.0, start - time.time()))\n"
        "print(upgrade(connect_engine(sys.argv[1])))\n"
    )
    import time

    start = time.time() + 2.0
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", program, url, str(start)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outcomes = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0] * 4, [err for _, err in outcomes]
    assert {out.strip() for out, _ in outcomes} == {head()}
    engine = connect_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert conn.execute(sa.text("SELECT version FROM schema_version")).scalars().all() == [6]
    engine.dispose()
