"""The queue's record: hall_event, hall_head, hall_snapshot, ticket.

Revision 0001, schema version 1 of the days before Alembic.
Frozen: the tables as this revision makes them, never imported from the models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _instant(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "hall_event",
        sa.Column("hall", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        _instant("at"),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("ticket_id", sa.String(40), nullable=True),
        sa.Column("counter", sa.Integer, nullable=True),
        sa.Column("actor", sa.String(64), nullable=True),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_hall_event_hall_day", "hall_event", ["hall", "day"])
    op.create_index("ix_hall_event_ticket_id", "hall_event", ["ticket_id"])
    op.create_table(
        "hall_head",
        sa.Column("hall", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "hall_snapshot",
        sa.Column("hall", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        _instant("at"),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "ticket",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("hall", sa.String(64), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("group", sa.String(8), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("item", sa.String(40), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("counter", sa.Integer, nullable=True),
        sa.Column("to_counter", sa.Integer, nullable=True),
        sa.Column("recalls", sa.Integer, nullable=False),
        sa.Column("transfers", sa.Integer, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("idempotency_key", sa.String(80), nullable=True),
        _instant("issued_at"),
        _instant("called_at", nullable=True),
        _instant("started_at", nullable=True),
        _instant("missed_at", nullable=True),
        _instant("ended_at", nullable=True),
        _instant("appointment_slot", nullable=True),
        sa.Column("updated_seq", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("hall", "day", "group", "seq", name="uq_ticket_number"),
        sa.UniqueConstraint("hall", "day", "idempotency_key", name="uq_ticket_idempotency"),
    )
    op.create_index("ix_ticket_hall", "ticket", ["hall"])


def downgrade() -> None:
    for table in ("ticket", "hall_snapshot", "hall_head", "hall_event"):
        op.drop_table(table)
