"""Alembic environment, driven programmatically by `ticketbridge.storage.migrate.upgrade`:
the caller hands over an open connection in `config.attributes["connection"]`."""

from __future__ import annotations

from alembic import context

from ticketbridge.storage.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by table copy
)
with context.begin_transaction():
    context.run_migrations()
