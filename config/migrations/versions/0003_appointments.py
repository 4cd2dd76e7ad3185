"""Appointments: appointment, appointment_slot, appointment_person, appointment_reminder.

Revision 0003, schema version 3 of the days before Alembic.
Frozen: the tables as this revision makes them, never imported from the models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _instant(name: str, nullable: bool = False, primary_key: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, primary_key=primary_key)


def upgrade() -> None:
    op.create_table(
        "appointment",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("hall", sa.String(64), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("item", sa.String(40), nullable=False),
        sa.Column("group", sa.String(8), nullable=False),
        sa.Column("capacity_key", sa.String(48), nullable=False),
        _instant("slot_start"),
        _instant("slot_end"),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("person_key", sa.String(64), nullable=False),
        sa.Column("id_masked", sa.String(24), nullable=False),
        sa.Column("name_masked", sa.String(40), nullable=False),
        sa.Column("phone_masked", sa.String(20), nullable=False),
        sa.Column("contact_sealed", sa.LargeBinary, nullable=False),
        _instant("created_at"),
        _instant("ended_at", nullable=True),
        _instant("checked_in_at", nullable=True),
        sa.Column("ticket_id", sa.String(40), nullable=True),
        sa.Column("note", sa.String(200), nullable=False),
        sa.UniqueConstraint("hall", "code", name="uq_appointment_code"),
    )
    op.create_index("ix_appointment_person", "appointment", ["hall", "person_key"])
    op.create_index("ix_appointment_slot", "appointment", ["hall", "slot_start", "state"])
    op.create_table(
        "appointment_slot",
        sa.Column("hall", sa.String(64), primary_key=True),
        sa.Column("capacity_key", sa.String(48), primary_key=True),
        _instant("slot_start", primary_key=True),
        sa.Column("booked", sa.Integer, nullable=False),
        sa.Column("closed", sa.Boolean, nullable=False),
    )
    op.create_table(
        "appointment_person",
        sa.Column("hall", sa.String(64), primary_key=True),
        sa.Column("person_key", sa.String(64), primary_key=True),
    )
    op.create_table(
        "appointment_reminder",
        sa.Column("appointment_id", sa.String(40), primary_key=True),
        sa.Column("minutes_before", sa.Integer, primary_key=True, autoincrement=False),
        _instant("sent_at"),
    )


def downgrade() -> None:
    for table in ("appointment_reminder", "appointment_person", "appointment_slot", "appointment"):
        op.drop_table(table)
