"""intake: the sources an API key may speak for; a GitHub push's content key (replays under a
new X-GitHub-Delivery are the same push)

Keys created before this revision speak for `generic` only: an alert's source is the caller's
(SPEC §2), and no key was ever granted another. Pushes stored before it get their content key;
of a push stored several times (replays) only the first keeps it, the others stay as they are.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

from ticketbridge.storage.tables import GENERIC_ONLY

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_pushes = sa.table(
    "push_events",
    sa.column("id", sa.Integer),
    sa.column("repository", sa.Text),
    sa.column("ref", sa.Text),
    sa.column("before", sa.Text),
    sa.column("after", sa.Text),
    sa.column("content_key", sa.String(64)),
)


def upgrade() -> None:
    op.add_column(
        "api_keys",
        sa.Column("sources", sa.JSON, nullable=False, server_default=sa.text(GENERIC_ONLY)),
    )
    op.add_column("push_events", sa.Column("content_key", sa.String(64)))
    _fill_content_keys()
    op.create_index("ux_push_events_content", "push_events", ["content_key"], unique=True)


def _fill_content_keys() -> None:
    """The same digest as `domain.pushes.RecordedPush.content_key` (kept here as it was at this
    revision: a migration must not change when the code does)."""
    bind = op.get_bind()
    columns = _pushes.c
    rows = bind.execute(
        sa.select(
            columns.id, columns.repository, columns.ref, columns.before, columns.after
        ).order_by(columns.id)
    )
    seen: set[str] = set()
    for row in rows.all():
        identity = json.dumps([row.repository, row.ref, row.before, row.after])
        key = hashlib.sha256(identity.encode()).hexdigest()
        if key in seen:
            continue
        seen.add(key)
        bind.execute(_pushes.update().where(_pushes.c.id == row.id).values(content_key=key))


def downgrade() -> None:
    op.drop_index("ux_push_events_content", table_name="push_events")
    with op.batch_alter_table("push_events") as batch:
        batch.drop_column("content_key")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("sources")
