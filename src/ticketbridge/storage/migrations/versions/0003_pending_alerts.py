"""pending alerts: ingest commits alerts undecided (decision NULL); the decider decides them;
an index for listing one source's alerts newest first

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite cannot drop NOT NULL in place: batch mode copies the table.
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column("decision", existing_type=sa.String(16), nullable=True)
    op.create_index(
        "ix_alerts_pending",
        "alerts",
        ["pk"],
        sqlite_where=sa.text("decision IS NULL"),
        postgresql_where=sa.text("decision IS NULL"),
    )
    op.create_index("ix_alerts_source_pk", "alerts", ["source", "pk"])


def downgrade() -> None:
    op.drop_index("ix_alerts_source_pk", table_name="alerts")
    op.drop_index("ix_alerts_pending", table_name="alerts")
    op.execute("UPDATE alerts SET decision = 'ignore' WHERE decision IS NULL")
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column("decision", existing_type=sa.String(16), nullable=False)
