"""POST /v1/sources/{source}: native payloads, authenticated per source; nothing stored on 401."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from api_harness import Api, open_api

from ticketbridge.config.schema import Config
from ticketbridge.sources import sign

ALERTMANAGER = {
    "version": "4",
    "groupKey": '{}:{alertname="HighLatency"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "ticketbridge",
    "groupLabels": {"alertname": "HighLatency"},
    "commonLabels": {"alertname": "HighLatency", "severity": "critical"},
    "commonAnnotations": {"summary": "p99 above 2s"},
    "externalURL": "http://alertmanager:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "HighLatency", "severity": "critical", "instance": "api-1"},
            "annotations": {"summary": "p99 above 2s on api-1"},
            "startsAt": "2026-11-22T05:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph",
            "fingerprint": "c0ffee0000000001",
        }
    ],
}
GENERIC = {"id": "g-1", "title": "Control failed", "severity": "high", "fingerprint": "fp-g"}
SECRET = "keeptrusts-signing-secret"
JSON = "application/json"


@pytest.fixture
async def sourced(tmp_path: Path) -> AsyncIterator[Api]:
    config = Config.model_validate(
        {
            "sources": {
                "alertmanager": {"token": "am-token"},
                "generic": {"secret": SECRET},
                "compliance": {"allow_unauthenticated": True},
            }
        }
    )
    async with open_api(tmp_path, config) as handle:
        yield handle


def signed(body: bytes, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    from datetime import UTC, datetime

    moment = datetime.fromtimestamp(at if at is not None else time.time(), UTC)
    return {"X-TicketBridge-Signature": sign(secret, body, moment), "Content-Type": JSON}


@pytest.mark.parametrize(
    ("path", "headers", "reason"),
    [
        ("/v1/sources/alertmanager", {}, "missing credentials"),
        ("/v1/sources/alertmanager", {"Authorization": "Bearer wrong"}, ""),
        ("/v1/sources/alertmanager?token=wrong", {}, ""),
        ("/v1/sources/truthvouch", {}, "no credential configured"),
    ],
)
async def test_unauthenticated_native_requests_get_401_and_nothing_is_stored(
    sourced: Api, path: str, headers: dict[str, str], reason: str
) -> None:
    response = await sourced.client.post(path, json=ALERTMANAGER, headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "source_unauthorized"
    assert reason in body["message"]
    assert (await sourced.container.alerts.page()).items == []


async def test_a_bad_or_stale_signature_is_refused(sourced: Api) -> None:
    body = json.dumps(GENERIC).encode()
    for headers in (signed(body, "other-secret"), signed(body, at=time.time() - 3600)):
        response = await sourced.client.post("/v1/sources/generic", content=body, headers=headers)
        assert response.status_code == 401
    assert (await sourced.container.alerts.page()).items == []


@pytest.mark.parametrize(
    "auth", [{"Authorization": "Bearer am-token"}, {}], ids=["bearer", "query-token"]
)
async def test_alertmanager_with_its_token_is_ingested(sourced: Api, auth: dict[str, str]) -> None:
    path = "/v1/sources/alertmanager" + ("" if auth else "?token=am-token")
    response = await sourced.client.post(path, json=ALERTMANAGER, headers=auth)
    assert response.status_code == 202, response.text
    [result] = response.json()["results"]
    assert (result["source"], result["fingerprint"]) == (
        "alertmanager",
        "alertmanager:c0ffee0000000001",
    )
    [stored] = (await sourced.container.alerts.page()).items
    assert stored.severity == "critical"


async def test_a_signed_generic_alert_is_ingested(sourced: Api) -> None:
    body = json.dumps(GENERIC).encode()
    response = await sourced.client.post("/v1/sources/generic", content=body, headers=signed(body))
    assert response.status_code == 202, response.text
    assert await sourced.container.alerts.get("g-1", "generic") is not None


async def test_unknown_source_is_404_and_bad_payload_is_422(sourced: Api) -> None:
    unknown = await sourced.client.post("/v1/sources/nagios", json={})
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "unknown_source"
    bad = await sourced.client.post("/v1/sources/compliance", json={"nonsense": True})
    assert bad.status_code == 422
    assert bad.json()["problems"]
