"""Jira metadata, cached: projects and issue types (15 min), fields (30 min), users (1 h),
createmeta (15 min), priorities and statuses (15 min), plus a negative cache (5 min) for
configuration errors (an unknown project or issue type) so a bad route does not hammer Jira.
Concurrent misses of one key share one load: a burst of creates on a cold cache asks Jira
for createmeta once, not once per create (the storm bench saw 8 + 8 GETs instead of 2).

Custom fields resolve by id (`customfield_10011`) or display name (`Change Risk`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ticketbridge.clock import Monotonic
from ticketbridge.domain.states import status_category
from ticketbridge.errors import FieldErrors, NotFound, PermanentError
from ticketbridge.providers.base import (
    CreateMetaField,
    FieldDef,
    IssueType,
    Priority,
    Project,
    Status,
    User,
)
from ticketbridge.providers.jira.client import JiraClient
from ticketbridge.providers.jira.dialect import Dialect

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class CacheTtls:
    projects: float = 15 * 60
    fields: float = 30 * 60
    users: float = 60 * 60
    createmeta: float = 15 * 60
    negative: float = 5 * 60


@dataclass
class TtlCache(Generic[K, V]):
    """Values (or remembered permanent errors) that expire; `clock` is injectable. One load per
    key at a time: callers that miss while it runs wait for it and share its outcome."""

    clock: Monotonic = time.monotonic
    _items: dict[K, tuple[float, V | None, PermanentError | None]] = field(default_factory=dict)
    _loading: dict[K, asyncio.Task[V]] = field(default_factory=dict)

    async def get(
        self, key: K, load: Callable[[], Awaitable[V]], ttl: float, negative_ttl: float = 0.0
    ) -> V:
        hit = self._items.get(key)
        if hit is not None and hit[0] > self.clock():
            if hit[2] is not None:
                raise hit[2]
            return hit[1]  # type: ignore[return-value]  # stored with the value present
        loading = self._loading.get(key)
        if loading is None:
            loading = asyncio.ensure_future(self._load(key, load, ttl, negative_ttl))
            self._loading[key] = loading
            loading.add_done_callback(lambda _: self._loading.pop(key, None))
        # Shielded: a caller that is cancelled does not cancel the load the others wait for.
        return await asyncio.shield(loading)

    async def _load(
        self, key: K, load: Callable[[], Awaitable[V]], ttl: float, negative_ttl: float
    ) -> V:
        now = self.clock()
        try:
            value = await load()
        except (NotFound, FieldErrors) as exc:
            if negative_ttl > 0:
                self._items[key] = (now + negative_ttl, None, exc)
            raise
        self._items[key] = (now + ttl, value, None)
        return value

    def clear(self) -> None:
        self._items.clear()


def field_def(data: Mapping[str, Any]) -> FieldDef:
    schema = data.get("schema") or {}
    return FieldDef(
        id=str(data.get("id") or data.get("fieldId") or data.get("key")),
        name=str(data.get("name", "")),
        custom=bool(data.get("custom", str(data.get("id", "")).startswith("customfield_"))),
        schema_type=schema.get("type"),
        items=schema.get("items"),
        custom_type=schema.get("custom"),
    )


def status_from(data: Mapping[str, Any]) -> Status:
    key = (data.get("statusCategory") or {}).get("key")
    category = status_category(key) or "indeterminate"  # "undefined" in some old DC answers
    return Status(str(data.get("id", "")), str(data.get("name", "")), category)


class Metadata:
    def __init__(
        self,
        client: JiraClient,
        dialect: Dialect,
        *,
        ttls: CacheTtls | None = None,
        clock: Monotonic = time.monotonic,
    ) -> None:
        self.client = client
        self.dialect = dialect
        self.ttls = ttls or CacheTtls()
        self._cache: TtlCache[tuple[str, ...], Any] = TtlCache(clock)

    async def projects(self) -> tuple[Project, ...]:
        async def load() -> tuple[Project, ...]:
            raw = await self.dialect.projects(self.client)
            return tuple(Project(str(p["id"]), str(p["key"]), str(p.get("name", ""))) for p in raw)

        return await self._cache.get(("projects",), load, self.ttls.projects)  # type: ignore[no-any-return]

    async def issue_types(self, project: str) -> tuple[IssueType, ...]:
        async def load() -> tuple[IssueType, ...]:
            data = await self.client.createmeta_issuetypes(project)
            raw = data.get("issueTypes") or data.get("values") or []
            return tuple(
                IssueType(str(t["id"]), str(t["name"]), bool(t.get("subtask", False))) for t in raw
            )

        return await self._cache.get(  # type: ignore[no-any-return]
            ("issuetypes", project), load, self.ttls.projects, self.ttls.negative
        )

    async def issue_type(self, project: str, name: str) -> IssueType:
        for t in await self.issue_types(project):
            if name in (t.name, t.id):
                return t
        raise FieldErrors(
            f"issue type '{name}' does not exist in project {project}",
            fields={"issuetype": f"no issue type '{name}' in {project}"},
            hint=f"issue type '{name}' is not available in {project}",
        )

    async def fields(self) -> tuple[FieldDef, ...]:
        async def load() -> tuple[FieldDef, ...]:
            return tuple(field_def(f) for f in await self.client.fields())

        return await self._cache.get(("fields",), load, self.ttls.fields)  # type: ignore[no-any-return]

    async def field(self, name_or_id: str) -> FieldDef | None:
        defs = await self.fields()
        by_id = {f.id: f for f in defs}
        if name_or_id in by_id:
            return by_id[name_or_id]
        matches = [f for f in defs if f.name.casefold() == name_or_id.casefold()]
        return matches[0] if matches else None

    async def create_meta(self, project: str, issue_type: str) -> tuple[CreateMetaField, ...]:
        async def load() -> tuple[CreateMetaField, ...]:
            type_id = (await self.issue_type(project, issue_type)).id
            data = await self.client.createmeta_fields(project, type_id)
            raw = data.get("fields") or data.get("values") or []
            return tuple(
                CreateMetaField(
                    field_def(f),
                    bool(f.get("required", False)),
                    tuple(f.get("allowedValues") or ()),
                )
                for f in raw
            )

        key = ("createmeta", project, issue_type)
        return await self._cache.get(  # type: ignore[no-any-return]
            key, load, self.ttls.createmeta, self.ttls.negative
        )

    async def priorities(self) -> tuple[Priority, ...]:
        async def load() -> tuple[Priority, ...]:
            return tuple(
                Priority(str(p["id"]), str(p["name"])) for p in await self.client.priorities()
            )

        return await self._cache.get(("priorities",), load, self.ttls.projects)  # type: ignore[no-any-return]

    async def statuses(self) -> tuple[Status, ...]:
        async def load() -> tuple[Status, ...]:
            seen: dict[str, Status] = {}
            for s in await self.client.statuses():
                seen.setdefault(str(s.get("id")), status_from(s))
            return tuple(seen.values())

        return await self._cache.get(("statuses",), load, self.ttls.projects)  # type: ignore[no-any-return]

    async def find_user(self, query: str) -> User | None:
        """A user by email, username or accountId (1 h cache, misses included)."""

        async def load() -> User | None:
            found = await self.client.user_search(self.dialect.user_search_params(query))
            users = [u for u in (self.dialect.user_from(x) for x in found or ()) if u]
            exact = [
                u
                for u in users
                if query.casefold()
                in {(u.email or "").casefold(), (u.name or "").casefold(), u.account_id or ""}
            ]
            chosen = exact or (users if len(users) == 1 else [])
            return chosen[0] if chosen else None

        return await self._cache.get(("user", query), load, self.ttls.users)  # type: ignore[no-any-return]
