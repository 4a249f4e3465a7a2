"""Rows of `jira_credentials` and `oauth_authorizations` (ciphertext in, ciphertext out).

Every change of a credentials row moves its `version`; a refresh is claimed with a
compare-and-swap on it (`claim`), so whichever process or worker wins is the only one to spend
the refresh token, on SQLite and PostgreSQL alike, without holding a lock across the HTTP call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import RowMapping, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbridge.storage.tables import jira_credentials, oauth_authorizations


@dataclass(frozen=True)
class CredentialsRow:
    name: str
    kind: str
    client_id: str
    cloud_id: str
    site_url: str
    tokens: str  # ciphertext
    access_expires_at: float
    version: int
    lease_owner: str | None
    lease_until: float | None
    revoked: str | None
    seeded_from: str | None


def _row(row: RowMapping) -> CredentialsRow:
    return CredentialsRow(
        **{name: row[name] for name in CredentialsRow.__dataclass_fields__}  # same names
    )


class SqlCredentials:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, name: str) -> CredentialsRow | None:
        query = select(jira_credentials).where(jira_credentials.c.name == name)
        row = (await self._conn.execute(query)).mappings().first()
        return _row(row) if row else None

    async def put(self, row: CredentialsRow, now: datetime) -> None:
        """A new grant replaces whatever the connection had (its version moves on, so a refresh
        claimed on the old grant cannot store over it)."""
        current = await self.get(row.name)
        values = {
            "kind": row.kind,
            "client_id": row.client_id,
            "cloud_id": row.cloud_id,
            "site_url": row.site_url,
            "tokens": row.tokens,
            "access_expires_at": row.access_expires_at,
            "lease_owner": None,
            "lease_until": None,
            "revoked": None,
            "seeded_from": row.seeded_from,
            "updated_at": now,
        }
        if current is None:
            await self._conn.execute(
                insert(jira_credentials).values(name=row.name, version=1, **values)
            )
            return
        await self._conn.execute(
            update(jira_credentials)
            .where(jira_credentials.c.name == row.name)
            .values(version=current.version + 1, **values)
        )

    async def claim(self, name: str, version: int, owner: str, until: float, now: datetime) -> bool:
        """Take the refresh lease if the row is still at `version` (compare-and-swap)."""
        result = await self._conn.execute(
            update(jira_credentials)
            .where(jira_credentials.c.name == name, jira_credentials.c.version == version)
            .values(version=version + 1, lease_owner=owner, lease_until=until, updated_at=now)
        )
        return bool(result.rowcount)

    async def store(
        self, name: str, owner: str, tokens: str, access_expires_at: float, now: datetime
    ) -> bool:
        """The refreshed tokens, by the lease's owner only; the lease ends."""
        result = await self._conn.execute(
            update(jira_credentials)
            .where(jira_credentials.c.name == name, jira_credentials.c.lease_owner == owner)
            .values(
                version=jira_credentials.c.version + 1,
                tokens=tokens,
                access_expires_at=access_expires_at,
                lease_owner=None,
                lease_until=None,
                updated_at=now,
            )
        )
        return bool(result.rowcount)

    async def release(self, name: str, owner: str, revoked: str | None, now: datetime) -> None:
        """End the lease without new tokens; `revoked` records why the grant ended."""
        await self._conn.execute(
            update(jira_credentials)
            .where(jira_credentials.c.name == name, jira_credentials.c.lease_owner == owner)
            .values(
                version=jira_credentials.c.version + 1,
                lease_owner=None,
                lease_until=None,
                revoked=revoked,
                updated_at=now,
            )
        )


@dataclass(frozen=True)
class PendingAuthorization:
    state_hash: str
    request: str  # ciphertext
    expires_at: datetime
    used_at: datetime | None
    outcome: str | None


class SqlAuthorizations:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, state_hash: str, request: str, expires_at: datetime) -> None:
        await self._conn.execute(
            insert(oauth_authorizations).values(
                state_hash=state_hash, request=request, expires_at=expires_at
            )
        )

    async def get(self, state_hash: str) -> PendingAuthorization | None:
        query = select(oauth_authorizations).where(oauth_authorizations.c.state_hash == state_hash)
        row = (await self._conn.execute(query)).mappings().first()
        return PendingAuthorization(**dict(row)) if row else None

    async def use(self, state_hash: str, now: datetime) -> bool:
        """Mark it used, once: False when it was already used or has expired."""
        result = await self._conn.execute(
            update(oauth_authorizations)
            .where(
                oauth_authorizations.c.state_hash == state_hash,
                oauth_authorizations.c.used_at.is_(None),
                oauth_authorizations.c.expires_at > now,
            )
            .values(used_at=now)
        )
        return bool(result.rowcount)

    async def finish(self, state_hash: str, outcome: str) -> None:
        await self._conn.execute(
            update(oauth_authorizations)
            .where(oauth_authorizations.c.state_hash == state_hash)
            .values(outcome=outcome)
        )

    async def forget_expired(self, now: datetime) -> None:
        await self._conn.execute(
            delete(oauth_authorizations).where(oauth_authorizations.c.expires_at <= now)
        )
