"""/metrics cannot be blown up from outside, and can be kept behind a key or off the API
(issue 11 item 6); /docs works on a closed network and the OpenAPI says how to authenticate
(item 11)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_harness import Api, open_api

from ticketbridge import bootstrap
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import load_settings
from ticketbridge.errors import ConfigError

INVENTED = 300  # distinct `source` values a sender makes up


@pytest.fixture
async def falco_api(tmp_path: Path) -> AsyncIterator[Api]:
    """`falco` is configured (a fingerprint of its own), so its alerts count under its name."""
    config = Config.model_validate({"sources": {"falco": {"fingerprint": ["title"]}}})
    async with open_api(tmp_path, config) as handle:
        yield handle


async def _metrics(api: Api, headers: dict[str, str] | None = None) -> httpx.Response:
    return await api.client.get("/metrics", headers=headers or {})


def _series(text: str, name: str) -> dict[str, float]:
    """`{labels: value}` of one metric in the exposition text."""
    found = re.findall(rf"^{name}\{{(.*)\}} (\S+)$", text, flags=re.MULTILINE)
    return {labels: float(value) for labels, value in found}


async def test_invented_sources_count_as_other(falco_api: Api) -> None:
    api = falco_api
    batch = [
        {"source": source, "id": f"a-{n}", "title": "t", "severity": "low"}
        for n, source in enumerate(
            [f"invented-{n}" for n in range(INVENTED)] + ["falco", "generic", "truthvouch"]
        )
    ]
    # A relay granted every name it sends (source ownership): the labels stay bounded anyway.
    relay = await api.container.api_keys.issue("relay", ["ingest"], {a["source"] for a in batch})
    granted = {"Authorization": f"Bearer {relay.token}"}
    response = await api.client.post("/v1/alerts", json=batch, headers=granted)
    assert response.status_code == 202, response.text
    again = await api.client.post("/v1/alerts", json=batch[:5], headers=granted)
    assert again.status_code == 202
    text = (await _metrics(api)).text
    assert _series(text, "ticketbridge_alerts_ingested_total") == {
        'source="other"': INVENTED,
        'source="falco"': 1,
        'source="generic"': 1,
        'source="truthvouch"': 1,
    }
    assert _series(text, "ticketbridge_alerts_duplicate_total") == {'source="other"': 5}
    assert len(text) < 64 * 1024  # the whole exposition, whatever the senders invent


async def test_invented_http_methods_count_as_other(falco_api: Api) -> None:
    api = falco_api
    await api.client.get("/healthz")
    for n in range(20):
        await api.client.request(f"BREW{n}", "/healthz")
    text = (await _metrics(api)).text
    counted = _series(text, "ticketbridge_http_request_seconds_count")
    methods = {method for labels in counted for method in re.findall(r'method="([^"]*)"', labels)}
    assert methods == {"GET", "other"}


async def test_metrics_can_require_an_api_key(tmp_path: Path) -> None:
    environment = {"TICKETBRIDGE_METRICS_REQUIRE_KEY": "true"}
    async with open_api(tmp_path, Config(), environment=environment) as api:
        assert (await _metrics(api)).status_code == 401
        assert (await _metrics(api, api.auth("ingest"))).status_code == 403
        keyed = await _metrics(api, api.auth("read"))
        assert keyed.status_code == 200
        assert "ticketbridge_outbox_jobs" in keyed.text


async def test_metrics_can_live_on_an_address_of_their_own(tmp_path: Path) -> None:
    environment = {"TICKETBRIDGE_METRICS_PORT": "9464"}
    async with open_api(tmp_path, Config(), environment=environment) as api:
        assert (await _metrics(api)).status_code == 404  # not on the API's address
        metrics_app = bootstrap.build_metrics_app(api.container)
        assert metrics_app is not None
        transport = httpx.ASGITransport(app=metrics_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://m") as client:
            served = await client.get("/metrics")
            assert served.status_code == 200
            assert "ticketbridge_outbox_jobs" in served.text
            assert (await client.get("/v1/alerts")).status_code == 404  # nothing else there
            assert (await client.get("/docs")).status_code == 404


def test_metrics_settings_come_from_the_environment() -> None:
    settings = load_settings(
        {"TICKETBRIDGE_METRICS_PORT": "9464", "TICKETBRIDGE_METRICS_HOST": "10.0.0.5"}
    )
    assert (settings.metrics_port, settings.metrics_host) == (9464, "10.0.0.5")
    assert load_settings({"TICKETBRIDGE_METRICS_PORT": ""}).metrics_port is None
    with pytest.raises(ConfigError) as refused:
        load_settings({"TICKETBRIDGE_METRICS_PORT": "70000"})
    assert [p.path for p in refused.value.problems] == ["TICKETBRIDGE_METRICS_PORT"]


EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_load_nothing_from_another_host(falco_api: Api, page: str) -> None:
    api = falco_api
    response = await api.client.get(page)
    assert response.status_code == 200
    html = response.text
    assert not EXTERNAL.search(html), html
    assert "cdn" not in html.lower()
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert assets  # the page does load its script (and style) ...
    for asset in assets:  # ... from here
        served = await api.client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 0


def _operations(schema: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }


async def test_the_openapi_declares_how_each_route_authenticates(tmp_path: Path) -> None:
    environment = {"TICKETBRIDGE_METRICS_REQUIRE_KEY": "1"}
    async with open_api(tmp_path, Config(), environment=environment) as api:
        schema = (await api.client.get("/openapi.json")).json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["apiKey"]["description"],
    }
    assert {"sourceSignature", "sourceToken", "sourceTokenQuery", "githubSignature"} <= set(schemes)
    operations = _operations(schema)
    assert operations[("POST", "/v1/alerts")]["security"] == [{"apiKey": ["ingest"]}]
    assert operations[("GET", "/v1/alerts")]["security"] == [{"apiKey": ["read"]}]
    assert operations[("POST", "/v1/outbox/{job_id}/retry")]["security"] == [{"apiKey": ["admin"]}]
    assert operations[("GET", "/metrics")]["security"] == [{"apiKey": ["read"]}]
    assert {"sourceToken": []} in operations[("POST", "/v1/sources/{source}")]["security"]
    assert {"githubSignature": []} in operations[("POST", "/v1/sources/github")]["security"]
    assert {"jiraSignature": []} in operations[("POST", "/v1/jira/webhook")]["security"]
    public = {("GET", "/healthz"), ("GET", "/readyz")}
    for key, operation in operations.items():
        declared = operation.get("security")
        assert (not declared) == (key in public), key
        for requirement in declared or ():
            assert set(requirement) <= set(schemes), key
