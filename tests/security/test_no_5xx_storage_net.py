"""The net under the parsing bounds (issue 11 item 5): should a value the database cannot take
ever get past parsing, it is refused as input (422 on the API), never a 500, and it fails only
the request that carried it, not the requests group-committed with it. Both databases; the
values are put into `Alert`s directly, as no parser lets them through any more."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from api_harness import Api, open_api

from support.postgres import database_url, postgres_server
from ticketbridge.config.schema import Config
from ticketbridge.domain import Alert, Severity
from ticketbridge.errors import StoredValueRefused

__all__ = ["database_url", "postgres_server"]  # fixtures

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def api(tmp_path: Path, database_url: str) -> AsyncIterator[Api]:
    config = Config()
    async with open_api(tmp_path, config, database_url=database_url) as handle:
        yield handle


def _alert(alert_id: str, title: str = "t") -> Alert:
    return Alert(
        id=alert_id,
        source="generic",
        kind="alert",
        title=title,
        severity=Severity.HIGH,
        fingerprint=f"fp-{alert_id}",
        occurred_at=NOW,
        received_at=NOW,
    )


UNSTORABLE = _alert("bad", title="a lone surrogate \ud800 no database encodes")


async def _stored(api: Api) -> list[str]:
    response = await api.client.get("/v1/alerts", headers=api.auth("read"))
    assert response.status_code == 200, response.text
    return sorted(item["id"] for item in response.json()["items"])


async def test_an_unstorable_value_is_refused_as_input(api: Api) -> None:
    with pytest.raises(StoredValueRefused) as refused:
        await api.container.ingest.ingest([_alert("good-in-same-request"), UNSTORABLE])
    assert [p.path for p in refused.value.problems] == ["$"]
    assert "\ud800" not in str(refused.value)  # the value is never echoed
    assert await _stored(api) == []


async def test_it_fails_only_its_own_request_of_a_group_commit(api: Api) -> None:
    ingest = api.container.ingest
    good, bad, other = await asyncio.gather(  # queued together: one group, one transaction
        ingest.ingest([_alert("good-1"), _alert("good-2")]),
        ingest.ingest([UNSTORABLE]),
        ingest.ingest([_alert("good-3")]),
        return_exceptions=True,
    )
    assert isinstance(bad, StoredValueRefused)
    assert not isinstance(good, BaseException)
    assert not isinstance(other, BaseException)
    assert [r.alert_id for r in good] == ["good-1", "good-2"]
    assert await _stored(api) == ["good-1", "good-2", "good-3"]
