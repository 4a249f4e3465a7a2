"""report indexes (issue 17): the ticket facts' join to each ticket's opening alert, covered;
the periods' ranges on tickets (first alert, done), alerts (received; reopens) and dead
jobs

Revision ID: 0012
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0008"
branch_labels = None
depends_on = None

OPENING = sa.text("decision IN ('create', 'new_linked')")
REOPEN = sa.text("decision = 'reopen'")
DEAD = sa.text("state = 'dead'")


def upgrade() -> None:
    op.create_index(
        "ix_alerts_opening",
        "alerts",
        ["ticket_id", "decision", "severity", "source", "kind", "route"],
        sqlite_where=OPENING,
        postgresql_where=OPENING,
    )
    op.create_index("ix_alerts_received", "alerts", ["received_at", "route", "ticket_id"])
    op.create_index(
        "ix_alerts_reopens",
        "alerts",
        ["received_at", "ticket_id"],
        sqlite_where=REOPEN,
        postgresql_where=REOPEN,
    )
    op.create_index("ix_tickets_first_seen", "tickets", ["first_seen"])
    op.create_index("ix_tickets_done_at", "tickets", ["done_at"])
    op.create_index(
        "ix_outbox_dead_updated",
        "outbox_jobs",
        ["updated_at"],
        sqlite_where=DEAD,
        postgresql_where=DEAD,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_dead_updated", table_name="outbox_jobs")
    op.drop_index("ix_tickets_done_at", table_name="tickets")
    op.drop_index("ix_tickets_first_seen", table_name="tickets")
    op.drop_index("ix_alerts_reopens", table_name="alerts")
    op.drop_index("ix_alerts_received", table_name="alerts")
    op.drop_index("ix_alerts_opening", table_name="alerts")
