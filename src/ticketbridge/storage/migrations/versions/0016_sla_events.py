"""ticket_events (the issue's events the SLA clocks need: status transitions with their
category, assignments, comments by other accounts, recorded as observations are applied);
tickets.touched_at (the last update by another account: stale escalation) and the SLA scan's
findings (tickets.sla_state, sla_at_risk_at, sla_breached_at)

Revision ID: 0016
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ticketbridge.storage.tables import Id, UtcDateTime

revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_events",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "ticket_id",
            Id,
            sa.ForeignKey("tickets.id", name="fk_ticket_events_ticket"),
            nullable=False,
        ),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("by_us", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(255)),
        sa.Column("category", sa.String(16)),
        sa.UniqueConstraint("ticket_id", "key", name="uq_ticket_events_ticket_key"),
    )
    # Plain ALTER TABLE (no batch rebuild: the foreign keys to tickets refuse it on SQLite).
    op.add_column("tickets", sa.Column("touched_at", UtcDateTime))
    op.add_column("tickets", sa.Column("sla_state", sa.String(16)))
    op.add_column("tickets", sa.Column("sla_at_risk_at", UtcDateTime))
    op.add_column("tickets", sa.Column("sla_breached_at", UtcDateTime))


def downgrade() -> None:
    for column in ("sla_breached_at", "sla_at_risk_at", "sla_state", "touched_at"):
        op.drop_column("tickets", column)
    op.drop_table("ticket_events")
