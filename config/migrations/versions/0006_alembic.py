"""Alembic keeps the schema from here on.

- ``schema_version`` (the version table of the days before Alembic) gets version 6, so a
  program of those days refuses this database instead of using tables it does not know;
- a database made by the very first release still has ``hall_head.snapshot_seq`` (NOT NULL,
  no default), which that release's own next version dropped from the model without a
  migration: a new hall could not be added to such a database. It goes.

Revision 0006 (after 0005).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_versions = sa.table(
    "schema_version",
    sa.column("version", sa.Integer),
    sa.column("description", sa.Text),
    sa.column("applied_at", sa.Text),
)


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if not inspector.has_table("schema_version"):
        op.create_table(
            "schema_version",
            sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("description", sa.Text, nullable=False),
            sa.Column("applied_at", sa.Text, nullable=False),
        )
    op.bulk_insert(
        _versions,
        [
            {
                "version": 6,
                "description": "migrations by Alembic (alembic_version) from here on",
                "applied_at": dt.datetime.now(dt.UTC).isoformat(),
            }
        ],
    )
    if "snapshot_seq" in {c["name"] for c in inspector.get_columns("hall_head")}:
        with op.batch_alter_table("hall_head") as batch:
            batch.drop_column("snapshot_seq")


def downgrade() -> None:
    op.execute(_versions.delete().where(_versions.c.version == 6))
