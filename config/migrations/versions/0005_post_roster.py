"""AB posts: post_roster.

Revision 0005, schema version 5 of the days before Alembic.
Frozen: the tables as this revision makes them, never imported from the models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "post_roster",
        sa.Column("hall", sa.String(64), primary_key=True),
        sa.Column("counter", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("a_staff", sa.String(64), nullable=False),
        sa.Column("b_staff", sa.String(64), nullable=False),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("post_roster")
