from __future__ import annotations

from support.postgres import database, database_url, postgres_server

__all__ = ["database", "database_url", "postgres_server"]
