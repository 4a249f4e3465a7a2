"""Schemathesis over the whole OpenAPI (issue 11 item 5): the app is built in process, its own
`/openapi.json` drives the generation, and every operation gets valid and invalid requests
(positive and negative modes) with a key that passes authentication, on SQLite and PostgreSQL.
No answer is a 500; the only 5xx allowed are the ones an operation documents for an upstream
it depends on (Jira's connection test: 502/503, readiness: 503)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from api_harness import Api, api_on_loop
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from no5xx_strategies import NO_5XX
from schemathesis import GenerationMode

from support.postgres import database_url, postgres_server
from ticketbridge.config.schema import Config
from ticketbridge.sources import SOURCES

__all__ = ["database_url", "postgres_server"]  # fixtures

TOKEN = "openapi-source-token"
BASE = "http://tb.test"
EXAMPLES = 150  # per mode and database: ~10 per operation, 300 requests per database


def _jira_refuses(request: httpx.Request) -> httpx.Response:
    """Where a stored Jira connection would be tested: no network, an immediate 401."""
    return httpx.Response(401, json={"errorMessages": ["not here"]})


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[tuple[asyncio.Runner, Api, Any]]:
    config = Config.model_validate({"sources": {name: {"token": TOKEN} for name in SOURCES}})
    transport = httpx.MockTransport(_jira_refuses)
    with (
        asyncio.Runner() as runner,
        api_on_loop(runner, tmp_path, config, database_url, transport=transport) as api,
    ):
        document = runner.run(api.client.get("/openapi.json")).json()
        yield runner, api, schemathesis.openapi.from_dict(document)


def _auth_for(api: Api, operation: Any) -> dict[str, str]:
    """A credential each operation accepts: the admin key, or the sources' token."""
    security = operation.definition.raw.get("security") or []
    if any("apiKey" in requirement for requirement in security):
        return api.auth("admin")
    if security:
        return {"Authorization": f"Bearer {TOKEN}"}
    return {}


def _httpx_request(kwargs: dict[str, Any], auth: dict[str, str]) -> dict[str, Any]:
    """Schemathesis' request (made for `requests`) as httpx takes it."""
    headers = {**kwargs.get("headers", {}), **auth}
    try:
        for name, value in headers.items():
            (name + str(value)).encode("latin-1")
    except UnicodeEncodeError:
        reject()  # not sendable as an HTTP header at all
    params = {
        name: value if isinstance(value, str | list) else json.dumps(value)
        for name, value in (kwargs.get("params") or {}).items()
    }
    request: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": headers,
        "params": params,
    }
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif isinstance(kwargs.get("data"), bytes | str):
        request["content"] = kwargs["data"]
    elif kwargs.get("data") is not None:
        request["data"] = kwargs["data"]
    return request


def _allowed_5xx(operation: Any) -> set[int]:
    documented = {
        int(code) for code in operation.definition.raw.get("responses", {}) if code.isdigit()
    }
    return {code for code in documented if code in (502, 503)}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_operation_answers_500(
    served: tuple[asyncio.Runner, Api, Any], mode: GenerationMode
) -> None:
    runner, api, schema = served
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15  # the whole API, not a corner of it
    strategy = st.one_of([operation.as_strategy(generation_mode=mode) for operation in operations])

    @settings(NO_5XX, max_examples=EXAMPLES)
    @given(case=strategy)
    def call(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url=BASE)
        request = _httpx_request(kwargs, _auth_for(api, case.operation))
        response = runner.run(api.client.request(**request))
        status = response.status_code
        assert status < 500 or status in _allowed_5xx(case.operation), (
            case.operation.label,
            status,
            response.text[:300],
        )

    call()
