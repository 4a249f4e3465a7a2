"""tickets belong to the Jira site that holds them: `tickets.site` (Provider.site_id)

Tickets made before this revision have no site: the first site an upgraded process talks to
adopts them (services.site), as the only site they can have been made on.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("site", sa.String(255)))


def downgrade() -> None:
    op.drop_column("tickets", "site")
