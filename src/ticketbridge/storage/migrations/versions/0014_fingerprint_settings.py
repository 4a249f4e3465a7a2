"""fingerprint settings: the fields each source's open tickets were fingerprinted with

A changed `sources.<name>.fingerprint` would silently fork every open ticket of that source;
start-up and `config check` compare the setting with this record, and `ticketbridge tickets
refingerprint` moves the open tickets to the new keys before the record follows.

Revision ID: 0014
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ticketbridge.storage.tables import UtcDateTime

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fingerprint_settings",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("recorded_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("fingerprint_settings")
