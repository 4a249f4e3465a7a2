"""two-way sync: Jira webhook deliveries kept and applied once; what Jira last told about each
ticket's issue (status by id, assignee, priority, the watermark, a deletion)

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ticketbridge.storage.tables import Id, UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TICKET_COLUMNS = (
    ("status_id", sa.String(64)),
    ("status_name", sa.String(255)),
    ("assignee_id", sa.String(128)),
    ("assignee_name", sa.String(255)),
    ("priority", sa.String(255)),
    ("watermark_at", UtcDateTime()),
    ("watermark_changelog", sa.BigInteger()),
    ("synced_state", sa.String(16)),
    ("deleted_at", UtcDateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for name, kind in _TICKET_COLUMNS:
            batch.add_column(sa.Column(name, kind))
    op.create_index("ix_tickets_issue_id", "tickets", ["issue_id"])
    op.create_table(
        "jira_deliveries",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("identifier", sa.String(128), nullable=False, unique=True),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("signature", sa.String(16), nullable=False),
        sa.Column("retry", sa.Integer, nullable=False),
        sa.Column("flow", sa.String(32)),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("applied", sa.Boolean, nullable=False),
        sa.Column("applied_at", UtcDateTime()),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("event", sa.String(64)),
        sa.Column("outcome", sa.String(16)),
        sa.Column("reason", sa.Text),
        sa.Column("issue_key", sa.String(64)),
        sa.Column("ticket_id", Id),
    )
    op.create_index("ix_jira_deliveries_pending", "jira_deliveries", ["applied", "id"])


def downgrade() -> None:
    op.drop_index("ix_jira_deliveries_pending", "jira_deliveries")
    op.drop_table("jira_deliveries")
    op.drop_index("ix_tickets_issue_id", "tickets")
    with op.batch_alter_table("tickets") as batch:
        for name, _kind in reversed(_TICKET_COLUMNS):
            batch.drop_column(name)
