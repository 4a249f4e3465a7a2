"""The review's attacks on input (issue 11 item 5), each on SQLite and PostgreSQL: values at the
edges of what Python, the database or the arithmetic behind them can hold are answered 4xx
naming the field, never 500, and a refused batch stores nothing (the sender gets every problem
and resends the batch fixed; no alert of it is half-kept)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_harness import Api, open_api

from support.postgres import database_url, postgres_server
from ticketbridge.config.schema import Config

__all__ = ["database_url", "postgres_server"]  # fixtures

BEYOND_64_BITS = str(2**64 + 1)
GOOD = {"id": "good-1", "title": "the good one", "severity": "high"}


@pytest.fixture
async def api(tmp_path: Path, database_url: str) -> AsyncIterator[Api]:
    config = Config.model_validate(
        {"sources": {"generic": {"token": "generic-token"}, "keeptrusts": {"secret": "kt"}}}
    )
    async with open_api(tmp_path, config, database_url=database_url) as handle:
        yield handle


def _paths(response: httpx.Response) -> list[str]:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    return [p["path"] for p in response.json()["problems"]]


async def _stored_ids(api: Api) -> list[str]:
    response = await api.client.get("/v1/alerts", headers=api.auth("read"))
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    "occurred_at",
    [
        "0001-01-01T00:00:00+01:00",  # the review's: UTC of it is before year 1
        "9999-12-31T23:59:59-01:00",  # after year 9999 in UTC
        "9999-12-31T23:00:00+00:00",  # storable, but an SLA counted from it overflows
        "0001-01-01T00:00:00Z",
    ],
)
async def test_occurred_at_at_the_calendars_edges_is_422_naming_it(
    api: Api, occurred_at: str
) -> None:
    batch = [GOOD, {**GOOD, "id": "edge", "occurred_at": occurred_at}]
    response = await api.client.post("/v1/alerts", json=batch, headers=api.auth("ingest"))
    assert _paths(response) == ["[1].occurred_at"]
    assert await _stored_ids(api) == []  # all or nothing: resent fixed, the good one is kept
    fixed = [GOOD, {**GOOD, "id": "edge"}]
    resent = await api.client.post("/v1/alerts", json=fixed, headers=api.auth("ingest"))
    assert resent.status_code == 202, resent.text
    assert sorted(await _stored_ids(api)) == ["edge", "good-1"]


@pytest.mark.parametrize(
    ("number", "path"),
    [
        ("1e400", "[0].attributes.x"),
        ("-1e400", "[0].attributes.x"),
        ("[1, 2e308]", "[0].attributes.x[1]"),
        ("1" + "0" * 400, "[0].attributes.x"),  # an integer no double holds (CEL's conversion)
    ],
)
async def test_a_number_overflow_inside_attributes_is_422_naming_it(
    api: Api, number: str, path: str
) -> None:
    body = f'[{{"id": "a", "title": "t", "severity": "high", "attributes": {{"x": {number}}}}}]'
    response = await api.client.post(
        "/v1/alerts",
        content=body,
        headers={**api.auth("ingest"), "Content-Type": "application/json"},
    )
    assert _paths(response) == [path]
    assert await _stored_ids(api) == []


async def test_a_float_overflow_in_an_unknown_key_is_422_naming_it(api: Api) -> None:
    body = '{"id": "a", "title": "t", "severity": "high", "score": 1e999}'
    response = await api.client.post(
        "/v1/sources/generic",
        content=body,
        headers={"Authorization": "Bearer generic-token", "Content-Type": "application/json"},
    )
    assert _paths(response) == ["score"]


@pytest.mark.parametrize(
    ("path", "param"),
    [
        (f"/v1/tickets?cursor={BEYOND_64_BITS}", "cursor"),
        (f"/v1/outbox?cursor={BEYOND_64_BITS}", "cursor"),
        (f"/v1/audit/pushes?cursor={BEYOND_64_BITS}", "cursor"),
        (f"/v1/alerts?limit={BEYOND_64_BITS}", "limit"),
    ],
)
async def test_integers_beyond_64_bits_in_query_parameters_are_422_naming_them(
    api: Api, path: str, param: str
) -> None:
    response = await api.client.get(path, headers=api.auth("read"))
    assert param in _paths(response)


async def test_an_integer_beyond_64_bits_in_a_path_id_is_422_or_404(api: Api) -> None:
    response = await api.client.post(
        f"/v1/outbox/{BEYOND_64_BITS}/retry", headers=api.auth("admin")
    )
    assert response.status_code in (404, 422), response.text


@pytest.mark.parametrize("before", [2**63, 2**64 + 1, 10**30])
async def test_a_forged_cursor_beyond_64_bits_is_422_naming_it(api: Api, before: int) -> None:
    import base64
    import json

    raw = json.dumps({"v": 1, "after": before}).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    for path in ("/v1/alerts", "/v1/tickets", "/v1/outbox", "/v1/audit/pushes"):
        response = await api.client.get(path, params={"cursor": cursor}, headers=api.auth("read"))
        assert _paths(response) == ["cursor"], path


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/alerts/a%00b", {}),
        ("/v1/alerts/x", {"source": "s\x00"}),
        ("/v1/alerts", {"source": "s\x00"}),
        ("/v1/alerts", {"fingerprint": "f\x00"}),
        ("/v1/audit/pushes", {"repository": "o/r\x00"}),
        ("/v1/audit/pushes", {"key": "OPS-1\x00"}),
    ],
)
async def test_nul_characters_in_query_and_path_text_are_4xx(
    api: Api, path: str, params: dict[str, Any]
) -> None:
    response = await api.client.get(path, params=params, headers=api.auth("read"))
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])


@pytest.mark.parametrize("digits", [13, 400, 5000])
async def test_an_absurdly_long_signature_timestamp_is_401(api: Api, digits: int) -> None:
    signature = f"t={'9' * digits},v1={'0' * 64}"
    response = await api.client.post(
        "/v1/sources/keeptrusts",
        content=b"{}",
        headers={"X-TicketBridge-Signature": signature, "Content-Type": "application/json"},
    )
    assert response.status_code == 401, response.text
    assert await _stored_ids(api) == []
