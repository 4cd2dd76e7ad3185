"""Verified phones: one-time codes sent to a booking's phone, and the phone's keyed hash on
each booking, so the per-person rules count per phone as well as per document.

- ``appointment_phone_code``: per hall and phone (its keyed hash), the code last sent (its
  keyed hash; "" once used or dead), until when it holds, wrong tries, and how many codes
  were sent in the current hour;
- ``appointment.phone_key``: the keyed hash of the phone the booking's messages go to ("" for
  bookings made before, and once anonymised), indexed with the hall.

Revision 0012 (after 0011).
Frozen: the tables as this revision makes them, never imported from the models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appointment_phone_code",
        sa.Column("hall", sa.String(64), primary_key=True),
        sa.Column("phone_key", sa.String(64), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wrong_tries", sa.Integer, nullable=False),
        sa.Column("hour_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hour_sent", sa.Integer, nullable=False),
    )
    with op.batch_alter_table("appointment") as table:
        table.add_column(sa.Column("phone_key", sa.String(64), nullable=False, server_default=""))
        table.create_index("ix_appointment_phone", ["hall", "phone_key"])


def downgrade() -> None:
    with op.batch_alter_table("appointment") as table:
        table.drop_index("ix_appointment_phone")
        table.drop_column("phone_key")
    op.drop_table("appointment_phone_code")
