"""POST /v1/jira/webhook: authenticated before anything (forged, missing, stale-replayed or
unknown-method signatures, no secret configured → 401, nothing stored, counted), stored once
per identifier and answered 200, applied later; the delivery log lists it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from api_harness import Api, open_api
from sqlalchemy import text
from sync_harness import (
    SECRET,
    deliveries,
    issue_event,
    later,
    linked_ticket,
    signature,
    signed,
)

from ticketbridge.config.schema import Config

JIRA = {
    "flavor": "cloud",
    "url": "http://jira.test",
    "auth": {"type": "token", "email": "admin@example.com", "api_token": "emulator-token"},
}


def config(**webhook: str) -> Config:
    return Config.model_validate({"jira": {**JIRA, "webhook": webhook}})


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with open_api(tmp_path, config(secret=SECRET, token="dc-token")) as handle:
        yield handle


BODY = json.dumps(issue_event("OPS-1", at=later(0), category="indeterminate")).encode()
OTHER = json.dumps(issue_event("OPS-1", at=later(1), category="done")).encode()


def refused_count(api: Api, reason: str) -> float:
    value = api.container.metrics.registry.get_sample_value(
        "ticketbridge_jira_webhooks_refused_total", {"reason": reason}
    )
    return value or 0.0


@pytest.mark.parametrize(
    ("headers", "query", "reason"),
    [
        ({}, "", "missing"),  # no signature at all
        ({"x-hub-signature": signature(BODY, "not-the-secret")}, "", "bad_signature"),
        ({"x-hub-signature": signature(OTHER)}, "", "bad_signature"),  # replayed onto a body
        ({"x-hub-signature": "sha1=" + "0" * 40}, "", "bad_method"),
        ({"x-hub-signature": "md5=abc"}, "", "bad_method"),
        ({"x-hub-signature": signature(BODY).removeprefix("sha256=")}, "", "bad_method"),
        ({}, "?token=wrong", "bad_token"),
        ({}, "?secret=" + SECRET, "missing"),  # a scheme Jira never sends
    ],
)
async def test_an_unauthenticated_delivery_is_refused_and_nothing_stored(
    api: Api, headers: dict[str, str], query: str, reason: str
) -> None:
    sent = {"content-type": "application/json", "x-atlassian-webhook-identifier": "d-1"}
    response = await api.client.post(
        f"/v1/jira/webhook{query}", content=BODY, headers=sent | headers
    )
    assert response.status_code == 401
    assert await deliveries(api) == []
    assert refused_count(api, reason) == 1


async def test_without_a_configured_secret_every_delivery_is_refused(tmp_path: Path) -> None:
    async with open_api(tmp_path, config()) as api:
        response = await api.client.post("/v1/jira/webhook", content=BODY, headers=signed(BODY))
        assert response.status_code == 401
        assert await deliveries(api) == []
        assert refused_count(api, "no_secret") == 1


async def test_a_signed_delivery_is_stored_once_per_identifier(api: Api) -> None:
    first = await api.client.post("/v1/jira/webhook", content=BODY, headers=signed(BODY, "d-1"))
    again = await api.client.post(
        "/v1/jira/webhook",
        content=BODY,
        headers=signed(BODY, "d-1", **{"x-atlassian-webhook-retry": "1"}),
    )
    assert (first.status_code, first.json()) == (200, {"identifier": "d-1", "duplicate": False})
    assert (again.status_code, again.json()["duplicate"]) == (200, True)
    [stored] = await deliveries(api)
    assert (stored["identifier"], stored["retry"], stored["signature"]) == ("d-1", 0, "sha256")
    assert (stored["applied"], stored["outcome"]) == (False, None)


async def test_without_an_identifier_the_body_hash_deduplicates(api: Api) -> None:
    for _ in range(2):
        response = await api.client.post("/v1/jira/webhook", content=BODY, headers=signed(BODY))
        assert response.status_code == 200
    [stored] = await deliveries(api)
    assert stored["identifier"].startswith("sha256:")


async def test_the_data_center_token_authenticates_without_a_signature(api: Api) -> None:
    headers = {"content-type": "application/json", "x-atlassian-webhook-flow": "Primary"}
    response = await api.client.post(
        "/v1/jira/webhook?token=dc-token", content=BODY, headers=headers
    )
    assert response.status_code == 200
    [stored] = await deliveries(api)
    assert (stored["signature"], stored["flow"]) == ("token", "Primary")


async def test_stronger_methods_are_parsed_from_the_prefix(api: Api) -> None:
    headers = signed(BODY, "d-512") | {"x-hub-signature": signature(BODY, method="sha512")}
    response = await api.client.post("/v1/jira/webhook", content=BODY, headers=headers)
    assert response.status_code == 200
    [stored] = await deliveries(api)
    assert stored["signature"] == "sha512"


async def test_an_unusable_delivery_is_answered_200_and_kept_as_rejected(api: Api) -> None:
    junk = b'{"webhookEvent": "jira:issue_updated", "issue": "not an issue"}'
    response = await api.client.post("/v1/jira/webhook", content=junk, headers=signed(junk, "j"))
    assert response.status_code == 200
    await api.container.sync.applier.apply_all()
    [stored] = await deliveries(api)
    assert (stored["outcome"], stored["reason"]) == (
        "rejected",
        "jira:issue_updated without its issue: issue: missing",
    )


async def test_a_delivery_is_applied_and_logged_with_its_alert_and_ticket(api: Api) -> None:
    alert_id = await linked_ticket(api, 1, "OPS-1")
    await api.client.post("/v1/jira/webhook", content=BODY, headers=signed(BODY, "d-1"))
    assert await api.container.sync.applier.apply_all() == 1
    [stored] = await deliveries(api)
    assert (stored["outcome"], stored["issue_key"], stored["alert"]) == (
        "applied",
        "OPS-1",
        f"generic/{alert_id}",
    )
    assert stored["event"] == "jira:issue_updated"
    assert stored["ticket_id"] is not None


async def test_the_delivery_log_pages_with_a_cursor(api: Api) -> None:
    for n in range(3):
        body = json.dumps(issue_event("OPS-9", at=later(n))).encode()
        await api.client.post("/v1/jira/webhook", content=body, headers=signed(body, f"d-{n}"))
    first = await api.client.get("/v1/jira/deliveries?limit=2", headers=api.auth("read"))
    page = first.json()
    assert [d["identifier"] for d in page["items"]] == ["d-2", "d-1"]
    rest = await api.client.get(
        f"/v1/jira/deliveries?limit=2&cursor={page['next_cursor']}", headers=api.auth("read")
    )
    assert [d["identifier"] for d in rest.json()["items"]] == ["d-0"]
    assert rest.json()["next_cursor"] is None


async def test_the_delivery_log_needs_a_key(api: Api) -> None:
    response = await api.client.get("/v1/jira/deliveries")
    assert response.status_code == 401


async def test_a_body_over_the_intake_limit_is_refused_and_nothing_stored(api: Api) -> None:
    huge = b'{"webhookEvent": "jira:issue_updated", "pad": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    response = await api.client.post("/v1/jira/webhook", content=huge, headers=signed(huge))
    assert response.status_code == 413
    assert await deliveries(api) == []


async def test_only_an_unavailable_store_answers_5xx(api: Api) -> None:
    """Jira retries a 5xx (and never a 4xx): a store that cannot take the delivery is 503."""
    async with api.container.database.engine.begin() as conn:
        await conn.execute(text("DROP TABLE jira_deliveries"))
    response = await api.client.post("/v1/jira/webhook", content=BODY, headers=signed(BODY))
    assert response.status_code == 503
    assert response.json()["error"] == "store_unavailable"
    assert response.headers["retry-after"] == "5"
