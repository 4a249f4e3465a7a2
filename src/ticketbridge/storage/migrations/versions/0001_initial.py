"""initial schema: tickets, alerts, outbox jobs, fingerprint leases, api keys

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ticketbridge.storage.tables import Id, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column[int]:
    return sa.Column("id", Id, primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "tickets",
        _id(),
        sa.Column("fingerprint", sa.String(255), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("project", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("first_seen", UtcDateTime, nullable=False),
        sa.Column("last_seen", UtcDateTime, nullable=False),
        sa.Column("occurrences", sa.Integer, nullable=False),
        sa.Column("issue_id", sa.String(64)),
        sa.Column("issue_key", sa.String(64), unique=True),
        sa.Column("issue_url", sa.String(1024)),
        sa.Column("status_category", sa.String(16)),
        sa.Column("resolution", sa.String(255)),
        sa.Column("outcome", sa.String(16)),
        sa.Column("done_at", UtcDateTime),
        sa.Column("previous_issue_key", sa.String(64)),
        sa.Column("digest_comment_id", sa.String(64)),
        sa.Column("last_digest_at", UtcDateTime),
        sa.Column("digest_pending", sa.Boolean, nullable=False),
        sa.Column("digested_occurrences", sa.Integer, nullable=False),
        sa.UniqueConstraint("fingerprint", "generation", name="uq_tickets_fingerprint_generation"),
    )
    op.create_table(
        "alerts",
        sa.Column("pk", Id, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("alert_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(255), nullable=False),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("links", sa.JSON, nullable=False),
        sa.Column("occurred_at", UtcDateTime, nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("ticket_id", Id, sa.ForeignKey("tickets.id")),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("route", sa.String(255)),
        sa.Column("own_state", sa.String(16)),
        sa.UniqueConstraint("source", "alert_id", name="uq_alerts_source_id"),
    )
    op.create_index("ix_alerts_fingerprint", "alerts", ["fingerprint"])
    op.create_index("ix_alerts_ticket_id", "alerts", ["ticket_id"])
    op.create_index("ix_alerts_alert_id", "alerts", ["alert_id"])
    op.create_table(
        "outbox_jobs",
        _id(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("ordering_key", sa.String(255), nullable=False),
        sa.Column("ticket_id", Id, sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("project", sa.String(64)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("attempted_at", UtcDateTime),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_expires_at", UtcDateTime),
        sa.Column("last_error", sa.Text),
        sa.Column("hint", sa.Text),
    )
    op.create_index("ix_outbox_state_due", "outbox_jobs", ["state", "next_attempt_at"])
    op.create_index("ix_outbox_ordering", "outbox_jobs", ["ordering_key", "id"])
    op.create_table(
        "fingerprint_leases",
        sa.Column("fingerprint", sa.String(255), primary_key=True),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "api_keys",
        _id(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("token_hash", sa.String(128), nullable=False, unique=True),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("last_used_at", UtcDateTime),
        sa.Column("revoked", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    for table in ("api_keys", "fingerprint_leases", "outbox_jobs", "alerts", "tickets"):
        op.drop_table(table)
