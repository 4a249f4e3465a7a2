"""API keys and scopes, error bodies, /healthz, /readyz, /metrics, /docs."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from api_harness import Api
from sqlalchemy import text

from ticketbridge import bootstrap
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings

ALERT = {"source": "generic", "id": "a-1", "title": "PII leak", "severity": "high"}


@pytest.mark.parametrize(
    ("headers", "status", "fragment"),
    [
        ({}, 401, "missing"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 401, "Bearer"),
        ({"Authorization": "Bearer not-ours"}, 401, "tb_"),
        ({"Authorization": "Bearer tb_unknown"}, 401, "unknown"),
    ],
)
async def test_requests_without_a_valid_key_get_401_and_store_nothing(
    api: Api, headers: dict[str, str], status: int, fragment: str
) -> None:
    response = await api.client.post("/v1/alerts", json=ALERT, headers=headers)
    assert response.status_code == status
    body = response.json()
    assert body["error"] == "unauthorized"
    assert fragment in body["message"]
    assert response.headers["www-authenticate"] == "Bearer"
    assert await api.container.alerts.get("a-1") is None


@pytest.mark.parametrize(
    ("scope", "method", "path", "status"),
    [
        ("read", "POST", "/v1/alerts", 403),
        ("ingest", "GET", "/v1/alerts", 403),
        ("ingest", "GET", "/v1/outbox", 403),
        ("read", "POST", "/v1/outbox/1/retry", 403),
        ("read", "GET", "/v1/alerts", 200),
        ("admin", "GET", "/v1/tickets", 200),
        ("admin", "POST", "/v1/outbox/999/retry", 404),
    ],
)
async def test_scopes(api: Api, scope: str, method: str, path: str, status: int) -> None:
    response = await api.client.request(method, path, json=ALERT, headers=api.auth(scope))
    assert response.status_code == status, response.text
    if status >= 400:
        assert set(response.json()) == {"error", "message", "problems"}


async def test_healthz_and_readyz(api: Api) -> None:
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["ready"] is True
    names = {c["name"] for c in ready.json()["checks"]}
    assert names == {"database", "migrations", "processes", "backlog"}


async def test_readyz_is_503_on_an_unmigrated_database(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    async with bootstrap.open_container(settings, Config()) as container:
        transport = httpx.ASGITransport(app=bootstrap.build_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/readyz")
    assert response.status_code == 503
    checks = {c["name"]: c for c in response.json()["checks"]}
    assert checks["migrations"]["ok"] is False
    assert "db upgrade" in checks["migrations"]["detail"]


async def test_metrics_count_ingested_alerts_and_decisions(api: Api) -> None:
    await api.client.post("/v1/alerts", json=ALERT, headers=api.auth("ingest"))
    await api.client.post("/v1/alerts", json=ALERT, headers=api.auth("ingest"))
    assert (
        'ticketbridge_decisions_total{decision="create"}'
        not in (await api.client.get("/metrics")).text
    )  # accepted, not decided yet
    await api.decide()
    text = (await api.client.get("/metrics")).text
    assert 'ticketbridge_alerts_ingested_total{source="generic"} 1.0' in text
    assert 'ticketbridge_alerts_duplicate_total{source="generic"} 1.0' in text
    assert 'ticketbridge_decisions_total{decision="create"} 1.0' in text
    assert 'ticketbridge_outbox_jobs{state="pending"} 1.0' in text
    assert "ticketbridge_http_request_seconds_bucket" in text


async def test_openapi_documents_the_api(api: Api) -> None:
    schema = (await api.client.get("/openapi.json")).json()
    for path in ("/v1/alerts", "/v1/alerts/{alert_id}", "/v1/tickets", "/v1/outbox"):
        assert path in schema["paths"]
    assert "AlertIn" in schema["components"]["schemas"]
    assert (await api.client.get("/docs")).status_code == 200


async def test_an_unexpected_failure_is_a_500_without_a_stack_trace(api: Api) -> None:
    async with api.container.database.engine.begin() as conn:
        await conn.execute(text("DROP TABLE alerts"))
    # Starlette answers with our handler and then re-raises for the server to log (uvicorn
    # does); the in-process transport must not turn that into a client-side exception.
    app = bootstrap.build_app(api.container)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/v1/alerts", headers=api.auth("read"))
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "internal"
    assert "incident" in body["message"]
    assert "Traceback" not in response.text
    assert "alerts" not in body["message"]  # no SQL or table names leak
