"""GitHub push events kept for the audit trail (satisfies `services.ports.PushEventRepository`).

The table is declared here, on the schema's shared `metadata` (migration 0002 creates it, 0004
adds `content_key`). A redelivery carries the same `X-GitHub-Delivery`, and a replay under a
new id the same push (`RecordedPush.content_key`); both are unique, and `add` is an insert that
does nothing on either conflict: concurrent redeliveries and replays store one row.
`jira_keys` repeats the commits' keys as " KEY-1 KEY-2 " so a key filter is a portable LIKE.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, RowMapping, String, Table, Text, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbridge.domain.pushes import RecordedCommit, RecordedPush
from ticketbridge.storage.tables import Id, UtcDateTime, metadata

push_events = Table(
    "push_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("delivery_id", String(128), nullable=False, unique=True),
    Column("repository", Text, nullable=False),
    Column("repository_url", Text),
    Column("ref", Text, nullable=False),
    Column("before", Text, nullable=False),
    Column("after", Text, nullable=False),
    Column("pusher", Text),
    Column("compare_url", Text),
    Column("received_at", UtcDateTime, nullable=False),
    Column("commits", JSON, nullable=False),
    Column("jira_keys", Text, nullable=False),
    Column("content_key", String(64)),  # NULL only for replays stored before 0004
    Index("ix_push_events_repository", "repository", "id"),
    Index("ux_push_events_content", "content_key", unique=True),
)


def _commit_json(commit: RecordedCommit) -> dict[str, Any]:
    return {
        "id": commit.id,
        "message": commit.message,
        "author": {
            "name": commit.author_name,
            "email": commit.author_email,
            "username": commit.author_username,
        },
        "url": commit.url,
        "timestamp": commit.timestamp.isoformat() if commit.timestamp else None,
        "jira_keys": list(commit.jira_keys),
    }


def _commit(data: Mapping[str, Any]) -> RecordedCommit:
    author = data["author"]
    timestamp = data["timestamp"]
    return RecordedCommit(
        id=data["id"],
        message=data["message"],
        author_name=author["name"],
        author_email=author["email"],
        author_username=author["username"],
        url=data["url"],
        timestamp=datetime.fromisoformat(timestamp) if timestamp else None,
        jira_keys=tuple(data["jira_keys"]),
    )


def _push(row: RowMapping) -> RecordedPush:
    return RecordedPush(
        id=row["id"],
        delivery_id=row["delivery_id"],
        repository=row["repository"],
        repository_url=row["repository_url"],
        ref=row["ref"],
        before=row["before"],
        after=row["after"],
        pusher=row["pusher"],
        compare_url=row["compare_url"],
        received_at=row["received_at"],
        commits=tuple(_commit(c) for c in row["commits"]),
    )


class SqlPushEvents:
    def __init__(self, conn: AsyncConnection, *, postgres: bool) -> None:
        self._conn = conn
        self._postgres = postgres

    async def add(self, push: RecordedPush) -> RecordedPush | None:
        """Store `push` (its `id` is ignored) and return it with its id; None when a push with
        the same delivery id or the same content is already stored (nothing is written then)."""
        dialect_insert = pg_insert if self._postgres else sqlite_insert
        statement = (
            dialect_insert(push_events)
            .values(
                delivery_id=push.delivery_id,
                repository=push.repository,
                repository_url=push.repository_url,
                ref=push.ref,
                before=push.before,
                after=push.after,
                pusher=push.pusher,
                compare_url=push.compare_url,
                received_at=push.received_at,
                commits=[_commit_json(c) for c in push.commits],
                jira_keys=f" {' '.join(push.jira_keys)} ",
                content_key=push.content_key,
            )
            .on_conflict_do_nothing()  # the delivery's id or its content
            .returning(*push_events.c)
        )
        row = (await self._conn.execute(statement)).mappings().first()
        return _push(row) if row is not None else None

    async def same_as(self, push: RecordedPush) -> RecordedPush | None:
        """The stored push with `push`'s delivery id or content, if any (the first stored)."""
        same = or_(
            push_events.c.delivery_id == push.delivery_id,
            push_events.c.content_key == push.content_key,
        )
        query = select(push_events).where(same).order_by(push_events.c.id).limit(1)
        row = (await self._conn.execute(query)).mappings().first()
        return _push(row) if row is not None else None

    async def list(
        self,
        *,
        limit: int,
        before_id: int | None = None,
        repository: str | None = None,
        jira_key: str | None = None,
    ) -> list[RecordedPush]:
        """Newest first; `before_id` pages, `repository` and `jira_key` filter."""
        query = select(push_events).order_by(push_events.c.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(push_events.c.id < before_id)
        if repository is not None:
            query = query.where(push_events.c.repository == repository)
        if jira_key is not None:
            query = query.where(push_events.c.jira_keys.contains(f" {jira_key} ", autoescape=True))
        rows = (await self._conn.execute(query)).mappings()
        return [_push(row) for row in rows]
