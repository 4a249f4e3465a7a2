"""schedules: one lease row per periodic job (reconcile, the done-job purge, escalation, SLA);
tickets.escalated_at and tickets.escalations (stale escalation)

A process runs a periodic job only while it holds the job's row (owner, lease_expires_at), so
one process at a time runs it on SQLite and PostgreSQL alike; the row also says when it is next
due and what its last run did (`ticketbridge status`, /metrics).

Revision ID: 0010
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ticketbridge.storage.tables import UtcDateTime

revision = "0010"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(128)),
        sa.Column("lease_expires_at", UtcDateTime),
        sa.Column("next_due_at", UtcDateTime, nullable=False),
        sa.Column("last_started_at", UtcDateTime),
        sa.Column("last_finished_at", UtcDateTime),
        sa.Column("last_ok", sa.Boolean),
        sa.Column("last_outcome", sa.Text),
        sa.Column("runs", sa.Integer, nullable=False),
    )
    op.add_column("tickets", sa.Column("escalated_at", UtcDateTime))
    op.add_column(
        "tickets",
        sa.Column("escalations", sa.Integer, nullable=False, server_default=sa.text("0")),
    )


def downgrade() -> None:
    op.drop_column("tickets", "escalations")
    op.drop_column("tickets", "escalated_at")
    op.drop_table("schedules")
