"""Printing: print_job, printer_status.

Revision 0002, schema version 2 of the days before Alembic.
Frozen: the tables as this revision makes them, never imported from the models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _instant(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "print_job",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("hall", sa.String(64), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("ticket_id", sa.String(40), nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        _instant("created_at"),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("fault", sa.String(16), nullable=False),
        sa.Column("error", sa.String(300), nullable=False),
        _instant("done_at", nullable=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_print_job_device_state", "print_job", ["hall", "device", "state"])
    op.create_index("ix_print_job_ticket_id", "print_job", ["ticket_id"])
    op.create_table(
        "printer_status",
        sa.Column("hall", sa.String(64), primary_key=True),
        sa.Column("device", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error", sa.String(300), nullable=False),
        _instant("changed_at", nullable=True),
        _instant("last_printed_at", nullable=True),
        sa.Column("agent_connected", sa.Boolean, nullable=False),
        _instant("agent_seen_at", nullable=True),
    )


def downgrade() -> None:
    op.drop_table("printer_status")
    op.drop_table("print_job")
