"""audit trail: events recorded but not sealed yet (the decider's, sealed after its commit by
the one sequencer, in order)

Revision ID: 0019
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ticketbridge.storage.tables import Id

revision = "0019"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_pending",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("events", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_pending")
