"""grouping made durable: a ticket's epic (`parent_id`), the group key an epic's ticket stands
for (`group_key`) and the links its issue gets (`links`), committed with the decision

Epic tickets made before this revision carry their group in their fingerprint
(`epic:<project>:<key>`): their `group_key` is filled from it, once, here.

Revision ID: 0005
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ticketbridge.storage.tables import Id

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # SQLite adds a column with its reference in place; Alembic would copy the table, and
        # dropping the old one breaks the references alerts and jobs hold to it. A downgrade
        # leaves the column (see below): then it is there already.
        columns = {c["name"] for c in sa.inspect(bind).get_columns("tickets")}
        if "parent_id" not in columns:
            op.execute(
                "ALTER TABLE tickets ADD COLUMN parent_id INTEGER "
                "CONSTRAINT fk_tickets_parent REFERENCES tickets (id)"
            )
    else:
        op.add_column(
            "tickets",
            sa.Column("parent_id", Id, sa.ForeignKey("tickets.id", name="fk_tickets_parent")),
        )
    op.add_column("tickets", sa.Column("group_key", sa.String(255)))
    op.add_column(
        "tickets", sa.Column("links", sa.JSON, nullable=False, server_default=sa.text("'[]'"))
    )
    # 'epic:' + project + ':' + key → key (SQL both databases speak: substr, length, ||).
    op.execute(
        "UPDATE tickets SET group_key = substr(fingerprint, length('epic:' || project || ':') + 1) "
        "WHERE fingerprint LIKE 'epic:%' AND substr(fingerprint, 1, length('epic:' || project "
        "|| ':')) = 'epic:' || project || ':'"
    )


def downgrade() -> None:
    op.drop_column("tickets", "links")
    op.drop_column("tickets", "group_key")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_column("tickets", "parent_id")
    # SQLite cannot drop a column that holds a reference without copying the table (see
    # upgrade): `parent_id` stays, NULL-able and unread by the code before this revision.
