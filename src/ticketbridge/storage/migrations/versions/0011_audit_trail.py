"""audit trail: the event log, its head (size, last hash, Merkle frontier), signed checkpoints,
the signing key, and the pushes already turned into CONFIG_CHANGE events (SPEC §8, issue 16)

Revision ID: 0011
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ticketbridge.storage.tables import Id, UtcDateTime

revision = "0011"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("position", Id, primary_key=True, autoincrement=False),
        sa.Column("event_id", sa.String(40), nullable=False, unique=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("ts", UtcDateTime, nullable=False),
        sa.Column("alert", sa.Text),
        sa.Column("ticket_key", sa.String(64)),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_events_type", "audit_events", ["type", "position"])
    op.create_index("ix_audit_events_alert", "audit_events", ["alert", "position"])
    op.create_index(
        "ix_audit_events_ticket",
        "audit_events",
        ["ticket_key", "position"],
        sqlite_where=sa.text("ticket_key IS NOT NULL"),
        postgresql_where=sa.text("ticket_key IS NOT NULL"),
    )
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("frontier", sa.JSON, nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "size": 0, "last_hash": "0" * 64, "frontier": []}])
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("sunk_at", UtcDateTime),
        sa.Column("sink_error", sa.Text),
    )
    op.create_index("ix_audit_checkpoints_size", "audit_checkpoints", ["size"])
    op.create_table(
        "audit_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("install_id", sa.String(32), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("private_key", sa.Text, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "audit_pushes_done",
        sa.Column("push_id", Id, primary_key=True, autoincrement=False),
        sa.Column("done_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("audit_pushes_done", "audit_keys", "audit_checkpoints", "audit_head"):
        op.drop_table(table)
    for index in ("ticket", "alert", "type"):
        op.drop_index(f"ix_audit_events_{index}", table_name="audit_events")
    op.drop_table("audit_events")
