"""several Jira sites: `connection` on tickets, outbox jobs and Jira deliveries, the site's
name in `jira.sites`; an issue key is unique per site, not in the whole store

Two sites may each have an OPS-1, so `tickets.issue_key`'s unique constraint becomes one over
(connection, issue_key). Existing rows get `""`: the default site, the only one they can have
been made on. A job carries its ticket's site so that each site's dispatchers claim only
their own; a delivery, the site whose webhook it came to.

SQLite changes a constraint by copying the table; the copy drops `tickets`, which other tables
refer to, so `storage.database.upgrade` runs SQLite's migrations with foreign keys off and
checks them afterwards (SQLite's own procedure for altering a table).

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_UNIQUE = "uq_tickets_connection_issue_key"
_PG_OLD_UNIQUE = "tickets_issue_key_key"  # PostgreSQL's name for 0001's unnamed constraint
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}  # names 0001's unnamed one


def _connection() -> sa.Column[str]:
    return sa.Column("connection", sa.String(32), nullable=False, server_default="")


def upgrade() -> None:
    # Plain ADD COLUMN both databases know: a batch copy would drop 0017's partial index.
    op.add_column("outbox_jobs", _connection())
    op.add_column("jira_deliveries", _connection())
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "tickets", recreate="always", naming_convention=_SQLITE_NAMES
        ) as batch:
            batch.drop_constraint("uq_tickets_issue_key", type_="unique")
            batch.add_column(_connection())
            batch.create_unique_constraint(_UNIQUE, ["connection", "issue_key"])
        return
    op.drop_constraint(_PG_OLD_UNIQUE, "tickets", type_="unique")
    op.add_column("tickets", _connection())
    op.create_unique_constraint(_UNIQUE, "tickets", ["connection", "issue_key"])


def downgrade() -> None:
    op.drop_column("outbox_jobs", "connection")
    op.drop_column("jira_deliveries", "connection")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("tickets", recreate="always") as batch:
            batch.drop_constraint(_UNIQUE, type_="unique")
            batch.drop_column("connection")
            batch.create_unique_constraint("uq_tickets_issue_key", ["issue_key"])
        return
    op.drop_constraint(_UNIQUE, "tickets", type_="unique")
    op.drop_column("tickets", "connection")
    op.create_unique_constraint(_PG_OLD_UNIQUE, "tickets", ["issue_key"])
