"""Alembic's environment: the connection comes from ``config.migrations.upgrade`` (or, for
``alembic`` on the command line, from the settings' database)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

# Every package's models put their tables in the metadata autogenerate compares with.
import appointments.models  # noqa: F401
import config.accounts
import config.audit.models  # noqa: F401
import counters.models  # noqa: F401
import printers.models  # noqa: F401
import queueing.models
import queueing.stats.models  # noqa: F401
from config.migrations import include_object


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:  # the alembic command line: the deployment's database
        from config.database import connect_engine, write_transaction
        from config.settings import load_settings

        engine = connect_engine(load_settings().database)
        with write_transaction(engine) as connection, connection.begin():
            _migrate(connection)
        return
    _migrate(connection)


def _migrate(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
