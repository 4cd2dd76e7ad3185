"""好差评: rating, rating_case.

Revision 0004, schema version 4 of the days before Alembic.
Frozen: the tables as this revision makes them, never imported from the models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _instant(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "rating",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("hall", sa.String(64), nullable=False),
        sa.Column("service", sa.BigInteger, nullable=False),
        sa.Column("ticket_id", sa.String(40), nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("item", sa.String(40), nullable=False),
        sa.Column("counter", sa.Integer, nullable=False),
        sa.Column("staff", sa.String(64), nullable=False),
        sa.Column("staff_name", sa.String(64), nullable=False),
        sa.Column("level", sa.String(24), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("contact_masked", sa.String(20), nullable=False),
        sa.Column("contact_sealed", sa.LargeBinary, nullable=True),
        _instant("served_at"),
        _instant("rated_at"),
        sa.Column("day", sa.Date, nullable=False),
        sa.UniqueConstraint("hall", "service", name="uq_rating_service"),
    )
    op.create_index("ix_rating_hall_day", "rating", ["hall", "day"])
    op.create_index("ix_rating_ticket_id", "rating", ["ticket_id"])
    op.create_table(
        "rating_case",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("hall", sa.String(64), nullable=False),
        sa.Column("rating_id", sa.String(40), nullable=False, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        _instant("opened_at"),
        sa.Column("reply", sa.String(1000), nullable=False),
        _instant("replied_at", nullable=True),
        sa.Column("fix", sa.String(1000), nullable=False),
        _instant("fixed_at", nullable=True),
        sa.Column("appeal", sa.String(1000), nullable=False),
        _instant("appealed_at", nullable=True),
        sa.Column("resolution", sa.String(1000), nullable=False),
        _instant("closed_at", nullable=True),
        sa.Column("handled_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_rating_case_hall", "rating_case", ["hall"])


def downgrade() -> None:
    op.drop_table("rating_case")
    op.drop_table("rating")
