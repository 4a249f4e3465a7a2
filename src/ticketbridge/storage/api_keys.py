"""API keys: only a hash of the token is stored (satisfies `services.ports.ApiKeyRepository`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import RowMapping, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbridge.domain.records import ApiKey
from ticketbridge.storage.tables import api_keys


def _key(row: RowMapping) -> ApiKey:
    return ApiKey(
        id=row["id"],
        name=row["name"],
        token_hash=row["token_hash"],
        scopes=tuple(row["scopes"]),
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        revoked=row["revoked"],
        sources=tuple(row["sources"]),
    )


class SqlApiKeys:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(
        self,
        name: str,
        token_hash: str,
        scopes: Sequence[str],
        now: datetime,
        *,
        sources: Sequence[str] = ("generic",),
    ) -> ApiKey:
        result = await self._conn.execute(
            insert(api_keys)
            .values(
                name=name,
                token_hash=token_hash,
                scopes=list(scopes),
                sources=list(sources),
                created_at=now,
                revoked=False,
            )
            .returning(*api_keys.c)
        )
        return _key(result.mappings().one())

    async def by_hash(self, token_hash: str) -> ApiKey | None:
        query = select(api_keys).where(api_keys.c.token_hash == token_hash)
        row = (await self._conn.execute(query)).mappings().first()
        return _key(row) if row else None

    async def touch(self, key_id: int, now: datetime) -> None:
        """Record a use at `now`; never moves `last_used_at` back (servers write it at most
        once a minute each, with their own clocks)."""
        newer = or_(api_keys.c.last_used_at.is_(None), api_keys.c.last_used_at < now)
        await self._conn.execute(
            update(api_keys).where(api_keys.c.id == key_id, newer).values(last_used_at=now)
        )

    async def list(self) -> list[ApiKey]:
        rows = (await self._conn.execute(select(api_keys).order_by(api_keys.c.id))).mappings()
        return [_key(r) for r in rows]

    async def revoke(self, key_id: int) -> bool:
        result = await self._conn.execute(
            update(api_keys).where(api_keys.c.id == key_id).values(revoked=True)
        )
        return bool(result.rowcount)
