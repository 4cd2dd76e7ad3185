"""The 好差评 reply loop: a case's deadline tier (rating_case.tier) and each of its steps
(rating_case_step: who, when, what, with what outcome).

Revision 0010 (after 0009).
Frozen: the columns as this revision makes them, never imported from the models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # cases opened before tiers had one deadline, of the hall's case_working_days (5 by default)
    with op.batch_alter_table("rating_case") as batch:
        batch.add_column(sa.Column("tier", sa.String(16), nullable=False, server_default="five_days"))
    op.create_table(
        "rating_case_step",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("hall", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("note", sa.String(1000), nullable=False),
    )
    op.create_index("ix_rating_case_step_case", "rating_case_step", ["case_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_rating_case_step_case", table_name="rating_case_step")
    op.drop_table("rating_case_step")
    with op.batch_alter_table("rating_case") as batch:
        batch.drop_column("tier")
