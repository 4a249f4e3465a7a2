"""ticketbridge.storage: SQLAlchemy 2 (async) tables, repositories, outbox and migrations.

`Database(url).unit_of_work` is the `UnitOfWorkFactory` the services take; `upgrade(url)`
applies the Alembic migrations (`ticketbridge db upgrade`, and `serve` at start).
"""

from ticketbridge.storage.database import Database, create_engine, upgrade
from ticketbridge.storage.uow import SqlUnitOfWork

__all__ = ["Database", "SqlUnitOfWork", "create_engine", "upgrade"]
