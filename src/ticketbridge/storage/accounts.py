"""The admin UI's users, sessions, failed logins and changes (satisfies
`services.ports.AccountRepository`). Session ids are stored hashed only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbridge.domain.accounts import Role, Session, UiChange, User
from ticketbridge.storage.tables import (
    ui_changes,
    ui_login_failures,
    ui_sessions,
    ui_settings,
    ui_users,
)


def _user(row: RowMapping) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        password_hash=row["password_hash"],
        role=Role(row["role"]),
        created_at=row["created_at"],
        disabled=row["disabled"],
    )


def _session(row: RowMapping) -> Session:
    return Session(
        id_hash=row["id_hash"],
        user_id=row["user_id"],
        csrf=row["csrf"],
        created_at=row["created_at"],
        last_seen_at=row["last_seen_at"],
    )


class SqlAccounts:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    # --- users ---------------------------------------------------------------------------

    async def add_user(self, username: str, password_hash: str, role: Role, now: datetime) -> User:
        result = await self._conn.execute(
            insert(ui_users)
            .values(
                username=username,
                password_hash=password_hash,
                role=role.value,
                created_at=now,
                disabled=False,
            )
            .returning(*ui_users.c)
        )
        return _user(result.mappings().one())

    async def user_by_name(self, username: str) -> User | None:
        query = select(ui_users).where(ui_users.c.username == username)
        row = (await self._conn.execute(query)).mappings().first()
        return _user(row) if row else None

    async def user(self, user_id: int) -> User | None:
        query = select(ui_users).where(ui_users.c.id == user_id)
        row = (await self._conn.execute(query)).mappings().first()
        return _user(row) if row else None

    async def users(self) -> list[User]:
        rows = await self._conn.execute(select(ui_users).order_by(ui_users.c.username))
        return [_user(r) for r in rows.mappings()]

    async def count_users(self) -> int:
        count = await self._conn.execute(select(func.count()).select_from(ui_users))
        return int(count.scalar_one())

    async def update_user(
        self,
        user_id: int,
        *,
        password_hash: str | None = None,
        role: Role | None = None,
        disabled: bool | None = None,
    ) -> None:
        values: dict[str, Any] = {}
        if password_hash is not None:
            values["password_hash"] = password_hash
        if role is not None:
            values["role"] = role.value
        if disabled is not None:
            values["disabled"] = disabled
        if values:
            await self._conn.execute(
                update(ui_users).where(ui_users.c.id == user_id).values(**values)
            )

    # --- sessions ------------------------------------------------------------------------

    async def add_session(self, session: Session) -> None:
        await self._conn.execute(
            insert(ui_sessions).values(
                id_hash=session.id_hash,
                user_id=session.user_id,
                csrf=session.csrf,
                created_at=session.created_at,
                last_seen_at=session.last_seen_at,
            )
        )

    async def session(self, id_hash: str) -> Session | None:
        query = select(ui_sessions).where(ui_sessions.c.id_hash == id_hash)
        row = (await self._conn.execute(query)).mappings().first()
        return _session(row) if row else None

    async def touch_session(self, id_hash: str, now: datetime) -> None:
        await self._conn.execute(
            update(ui_sessions).where(ui_sessions.c.id_hash == id_hash).values(last_seen_at=now)
        )

    async def drop_sessions(
        self, *, id_hash: str | None = None, user_id: int | None = None
    ) -> None:
        """One session (sign-out), or every session of a user (password changed)."""
        if id_hash is not None:
            await self._conn.execute(delete(ui_sessions).where(ui_sessions.c.id_hash == id_hash))
        if user_id is not None:
            await self._conn.execute(delete(ui_sessions).where(ui_sessions.c.user_id == user_id))

    async def purge_sessions(self, idle_before: datetime, created_before: datetime) -> None:
        expired = or_(
            ui_sessions.c.last_seen_at < idle_before, ui_sessions.c.created_at < created_before
        )
        await self._conn.execute(delete(ui_sessions).where(expired))

    # --- failed logins -------------------------------------------------------------------

    async def add_failure(self, username: str, client: str, at: datetime) -> None:
        await self._conn.execute(
            insert(ui_login_failures).values(username=username, client=client, at=at)
        )

    async def failures_since(self, username: str, client: str, since: datetime) -> tuple[int, int]:
        """Failed logins since `since`: for this username (from anywhere), from this client
        (any username)."""
        table = ui_login_failures
        recent = table.c.at >= since
        by_name = select(func.count()).where(recent, table.c.username == username)
        by_client = select(func.count()).where(recent, table.c.client == client)
        named = (await self._conn.execute(by_name)).scalar_one()
        from_client = (await self._conn.execute(by_client)).scalar_one()
        return int(named), int(from_client)

    async def clear_failures(self, username: str, before: datetime) -> None:
        """A successful login forgets its username's failures; old ones everyone's."""
        table = ui_login_failures
        await self._conn.execute(
            delete(table).where(or_(table.c.username == username, table.c.at < before))
        )

    # --- changes -------------------------------------------------------------------------

    async def add_change(
        self, at: datetime, actor: str, action: str, target: str, detail: Mapping[str, Any]
    ) -> None:
        await self._conn.execute(
            insert(ui_changes).values(
                at=at, actor=actor, action=action, target=target, detail=dict(detail)
            )
        )

    async def changes(self, limit: int) -> list[UiChange]:
        query = select(ui_changes).order_by(ui_changes.c.id.desc()).limit(limit)
        rows = (await self._conn.execute(query)).mappings()
        return [
            UiChange(r["id"], r["at"], r["actor"], r["action"], r["target"], r["detail"])
            for r in rows
        ]

    # --- settings ------------------------------------------------------------------------

    async def setting(self, key: str) -> tuple[dict[str, Any], int] | None:
        """A stored setting's value and version (None: never saved)."""
        query = select(ui_settings.c.value, ui_settings.c.version).where(ui_settings.c.key == key)
        row = (await self._conn.execute(query)).first()
        return (dict(row.value), int(row.version)) if row else None

    async def put_setting(
        self, key: str, value: Mapping[str, Any], now: datetime, actor: str
    ) -> int:
        """Store a setting whole; its new version."""
        current = await self.setting(key)
        version = (current[1] if current else 0) + 1
        values = {"value": dict(value), "version": version, "updated_at": now, "updated_by": actor}
        if current is None:
            await self._conn.execute(insert(ui_settings).values(key=key, **values))
        else:
            await self._conn.execute(
                update(ui_settings).where(ui_settings.c.key == key).values(**values)
            )
        return version
