"""Metadata caches: TTLs per kind and a negative cache for configuration errors.

Runs JiraProvider against the in-process emulator on a virtual clock and counts what reaches it.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from jira_emulator import Emulator
from ticketbridge.errors import FieldErrors
from ticketbridge.providers.base import IssueDraft
from ticketbridge.providers.jira import JiraProvider, api_token


class Counting(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.paths: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths[request.url.path] += 1
        return await self.inner.handle_async_request(request)


@pytest.fixture
def setup() -> tuple[JiraProvider, Counting, list[float]]:
    emu = Emulator(flavor="cloud")
    wire = Counting(emu.transport())
    now = [0.0]
    provider = JiraProvider(
        flavor="cloud",
        base_url=emu.base_url,
        auth=api_token("admin@example.com", "emulator-token"),
        transport=wire,
        clock=lambda: now[0],
    )
    return provider, wire, now


TTLS = [
    # (what to read, the path it costs, seconds it stays cached)
    ("fields", "/rest/api/3/field", 30 * 60),
    ("projects", "/rest/api/3/project/search", 15 * 60),
    ("statuses", "/rest/api/3/status", 15 * 60),
    ("priorities", "/rest/api/3/priority", 15 * 60),
]


@pytest.mark.parametrize(("method", "path", "ttl"), TTLS)
async def test_metadata_is_cached_for_its_ttl(
    setup: tuple[JiraProvider, Counting, list[float]], method: str, path: str, ttl: float
) -> None:
    provider, wire, now = setup
    read = getattr(provider, method)
    await read()
    now[0] = ttl - 1
    await read()
    assert wire.paths[path] == 1
    now[0] = ttl + 1
    await read()
    assert wire.paths[path] == 2
    await provider.aclose()


async def test_users_are_cached_for_an_hour_misses_included(
    setup: tuple[JiraProvider, Counting, list[float]],
) -> None:
    provider, wire, now = setup
    for _ in range(3):
        assert await provider.find_user("alice@example.com") is not None
        assert await provider.find_user("nobody@example.com") is None
    assert wire.paths["/rest/api/3/user/search"] == 2
    now[0] = 3601
    await provider.find_user("alice@example.com")
    assert wire.paths["/rest/api/3/user/search"] == 3
    await provider.aclose()


async def test_unknown_project_is_remembered_for_five_minutes(
    setup: tuple[JiraProvider, Counting, list[float]],
) -> None:
    provider, wire, now = setup
    path = "/rest/api/3/issue/createmeta/NOPE/issuetypes"
    for _ in range(3):
        with pytest.raises(FieldErrors):
            await provider.create_issue(IssueDraft("NOPE", "Task", "x"))
    assert wire.paths[path] == 1
    now[0] = 301
    with pytest.raises(FieldErrors):
        await provider.create_issue(IssueDraft("NOPE", "Task", "x"))
    assert wire.paths[path] == 2
    await provider.aclose()


async def test_custom_fields_resolve_by_id_or_display_name(
    setup: tuple[JiraProvider, Counting, list[float]],
) -> None:
    provider, _, _ = setup
    by_name = await provider.metadata.field("change risk")
    by_id = await provider.metadata.field("customfield_10011")
    assert by_name == by_id
    assert by_id is not None
    assert by_id.schema_type == "option"
    assert await provider.metadata.field("No Such Field") is None
    await provider.aclose()


@pytest.mark.parametrize("project", ["OPS", "NOPE"])  # a real project, and a configuration error
async def test_concurrent_creates_on_a_cold_cache_ask_for_createmeta_once(
    setup: tuple[JiraProvider, Counting, list[float]], project: str
) -> None:
    provider, wire, _ = setup
    outcomes = await asyncio.gather(
        *(provider.create_issue(IssueDraft(project, "Task", f"t{n}")) for n in range(8)),
        return_exceptions=True,
    )
    created = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(created) == (8 if project == "OPS" else 0)
    assert all(isinstance(o, FieldErrors) for o in outcomes if isinstance(o, BaseException))
    assert wire.paths[f"/rest/api/3/issue/createmeta/{project}/issuetypes"] == 1
    await provider.aclose()
