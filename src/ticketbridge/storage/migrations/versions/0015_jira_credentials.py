"""OAuth 2.0 for Jira Cloud: rotating tokens and started authorizations live in the database

`jira_credentials`: a connection's tokens (encrypted), versioned for compare-and-swap refreshes.
`oauth_authorizations`: authorizations waiting for their callback (state hash, one use, expiry).

Revision ID: 0015
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ticketbridge.storage.tables import UtcDateTime

revision = "0015"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jira_credentials",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("cloud_id", sa.String(64), nullable=False),
        sa.Column("site_url", sa.String(2048), nullable=False),
        sa.Column("tokens", sa.Text, nullable=False),
        sa.Column("access_expires_at", sa.Float, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_until", sa.Float),
        sa.Column("revoked", sa.String(255)),
        sa.Column("seeded_from", sa.String(64)),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "oauth_authorizations",
        sa.Column("state_hash", sa.String(64), primary_key=True),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("used_at", UtcDateTime),
        sa.Column("outcome", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("oauth_authorizations")
    op.drop_table("jira_credentials")
