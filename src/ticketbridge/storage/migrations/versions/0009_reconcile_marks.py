"""reconcile's progress per Jira site: `reconcile_marks` (two-way sync, issue 14)

The watermark (the latest `updated` reconcile observed), the last existence sweep, and the
issues observed inside the next run's margin. Saved after the observations are applied.

Revision ID: 0009
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ticketbridge.storage.tables import UtcDateTime

revision = "0009"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconcile_marks",
        sa.Column("site", sa.String(255), primary_key=True),
        sa.Column("watermark", UtcDateTime),
        sa.Column("swept_at", UtcDateTime),
        sa.Column("recent", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("reconcile_marks")
