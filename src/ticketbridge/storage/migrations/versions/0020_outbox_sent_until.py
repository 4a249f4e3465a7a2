"""outbox: `attempted_at` becomes `sent_until`, the moment after which no create of the job can
still be in flight (its sender's deadline, or when its request ended)

A create's sender cancels its request at the job's lease end; an heir looks the marker up only
a settle delay after `sent_until`. When the column said only when the attempt began, an heir
looked up while a slow create was still on its way and created the issue a second time.
Existing values stay: an attempt's start is the best bound known for the rows of older versions.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain SQL both databases know (SQLite since 3.25): a batch copy would drop the partial
    # index of migration 0017.
    op.execute("ALTER TABLE outbox_jobs RENAME COLUMN attempted_at TO sent_until")


def downgrade() -> None:
    op.execute("ALTER TABLE outbox_jobs RENAME COLUMN sent_until TO attempted_at")
