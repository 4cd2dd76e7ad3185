"""Booking for everyone: the document a booking was made with, and the agent (代办).

- ``appointment.document_kind``: 居民身份证 (``resident_id``, what every earlier booking
  was made with), passport, travel permits, residence permits, permanent residence cards;
- ``appointment.agent_name_masked``, ``agent_phone_masked``: who booked for the person,
  masked ("" for a booking made by the person).

Revision 0008 (after 0007).
Frozen: the columns as this revision makes them, never imported from the models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appointment") as table:
        table.add_column(sa.Column("document_kind", sa.String(24), nullable=False, server_default="resident_id"))
        table.add_column(sa.Column("agent_name_masked", sa.String(40), nullable=False, server_default=""))
        table.add_column(sa.Column("agent_phone_masked", sa.String(20), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("appointment") as table:
        table.drop_column("agent_phone_masked")
        table.drop_column("agent_name_masked")
        table.drop_column("document_kind")
