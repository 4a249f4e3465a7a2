"""push events: GitHub pushes (commits and the Jira keys they mention) for the audit trail

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ticketbridge.storage.tables import Id, UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "push_events",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.String(128), nullable=False, unique=True),
        sa.Column("repository", sa.Text, nullable=False),
        sa.Column("repository_url", sa.Text),
        sa.Column("ref", sa.Text, nullable=False),
        sa.Column("before", sa.Text, nullable=False),
        sa.Column("after", sa.Text, nullable=False),
        sa.Column("pusher", sa.Text),
        sa.Column("compare_url", sa.Text),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("commits", sa.JSON, nullable=False),
        sa.Column("jira_keys", sa.Text, nullable=False),
    )
    op.create_index("ix_push_events_repository", "push_events", ["repository", "id"])


def downgrade() -> None:
    op.drop_index("ix_push_events_repository", table_name="push_events")
    op.drop_table("push_events")
