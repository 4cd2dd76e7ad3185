"""Booking for everyone: the document a booking was made with, the agent (代办), the consents.

- ``appointment.document_kind``: 居民身份证 (``resident_id``), passport, travel permits,
  residence permits, permanent residence cards. Earlier bookings were all taken as resident
  IDs, 港澳台居民居住证 (81/82/83…) and 2023 外国人永久居留身份证 (9…) numbers too: each
  gets its kind from its masked number's first digits (their keyed hash, the number alone, is
  what those kinds' numbers still hash to);
- ``appointment.agent_name_masked``, ``agent_phone_masked``: who booked for the person,
  masked ("" for a booking made by the person);
- ``appointment.consent_at``, ``notice_version``: when the person (or the agent) gave both
  consents, and which notice they read (NULL and "" for bookings made before consents);
- an index (hall, ticket_id): the desk and the counter find the booking a ticket was
  checked in for.

Downgrading refuses while a booking made with another document or by an agent is kept: the
columns that say so would be lost, and such a booking would pass for the person's own
resident ID.

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

_appointment = sa.table(
    "appointment",
    sa.column("document_kind", sa.String),
    sa.column("id_masked", sa.String),
    sa.column("agent_name_masked", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("appointment") as table:
        table.add_column(sa.Column("document_kind", sa.String(24), nullable=False, server_default="resident_id"))
        table.add_column(sa.Column("agent_name_masked", sa.String(40), nullable=False, server_default=""))
        table.add_column(sa.Column("agent_phone_masked", sa.String(20), nullable=False, server_default=""))
        table.add_column(sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("notice_version", sa.String(24), nullable=False, server_default=""))
        table.create_index("ix_appointment_ticket", ["hall", "ticket_id"])
    # 18 characters, masked to their first four: 81/82/83 a residence permit, 9 a 2023 card
    masked = _appointment.c.id_masked
    op.execute(
        _appointment.update()
        .where(sa.func.length(masked) == 18, sa.or_(*(masked.like(f"8{d}%") for d in "123")))
        .values(document_kind="residence_permit")
    )
    op.execute(
        _appointment.update()
        .where(sa.func.length(masked) == 18, masked.like("9%"))
        .values(document_kind="foreign_permanent")
    )


def downgrade() -> None:
    kept = (
        op.get_bind()
        .execute(
            sa.select(sa.func.count()).where(
                sa.or_(
                    _appointment.c.document_kind.not_in(["resident_id", "residence_permit", "foreign_permanent"]),
                    _appointment.c.agent_name_masked != "",
                )
            )
        )
        .scalar()
    )
    if kept:
        raise RuntimeError(
            f"cannot downgrade below 0008: {kept} booking(s) were made with a passport or a travel permit, "
            "or by an agent (代办); revision 0007 cannot tell them apart from a person's own resident ID "
            "booking. Let them pass (or cancel and delete them) first, or restore a backup made before 0008."
        )
    with op.batch_alter_table("appointment") as table:
        table.drop_index("ix_appointment_ticket")
        table.drop_column("notice_version")
        table.drop_column("consent_at")
        table.drop_column("agent_phone_masked")
        table.drop_column("agent_name_masked")
        table.drop_column("document_kind")
