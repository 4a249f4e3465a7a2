"""processes: one heartbeat row per running `serve`/`worker` process; ix_outbox_open_id: the
outbox's unfinished jobs in id order (the claim's and the backlog's scan stay short as done
jobs accumulate)

Revision ID: 0017
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ticketbridge.storage.tables import UtcDateTime

revision = "0017"
down_revision = "0009"
branch_labels = None
depends_on = None

_OPEN = "state IN ('pending', 'running')"


def upgrade() -> None:
    op.create_table(
        "processes",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("heartbeat_at", UtcDateTime, nullable=False),
    )
    op.create_index(
        "ix_outbox_open_id",
        "outbox_jobs",
        ["id"],
        sqlite_where=sa.text(_OPEN),
        postgresql_where=sa.text(_OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_open_id", table_name="outbox_jobs")
    op.drop_table("processes")
