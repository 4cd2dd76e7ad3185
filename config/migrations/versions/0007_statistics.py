"""Statistics: stats_day (each hall day's facts, kept), and the record's indexes they read by.

- ``hall_event`` (hall, day, seq) replaces (hall, day): a day's events in order, and each
  day's last event (is a kept day still whole?), from the index alone;
- ``hall_event`` (hall, kind, seq): events of a kind without reading the whole record (the
  counters as they stood on a day, services to rate).

Revision 0007 (after 0006).
Frozen: the tables as this revision makes them, never imported from the models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stats_day",
        sa.Column("hall", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("closed", sa.Boolean, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_hall_event_hall_day_seq", "hall_event", ["hall", "day", "seq"])
    op.create_index("ix_hall_event_hall_kind_seq", "hall_event", ["hall", "kind", "seq"])
    op.drop_index("ix_hall_event_hall_day", table_name="hall_event")


def downgrade() -> None:
    op.create_index("ix_hall_event_hall_day", "hall_event", ["hall", "day"])
    op.drop_index("ix_hall_event_hall_kind_seq", table_name="hall_event")
    op.drop_index("ix_hall_event_hall_day_seq", table_name="hall_event")
    op.drop_table("stats_day")
