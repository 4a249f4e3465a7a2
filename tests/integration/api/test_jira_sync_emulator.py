"""Two-way sync against the Jira emulator, in process: its real, signed deliveries land on
POST /v1/jira/webhook. What our own account does is an echo; what a person does in Jira moves
the alert (In Progress, Done as False Positive, deleted), and the next alert of a false
positive is suppressed, of a deleted issue not recreated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_harness import Api, open_api
from sync_harness import SECRET, alert_state, deliveries, post_delivery

from jira_emulator import Emulator
from ticketbridge import bootstrap
from ticketbridge.config.schema import Config

EVENTS = [
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
]
SEED = {"webhooks": [{"name": "tb", "url": "http://tb.test/v1/jira/webhook", "events": EVENTS}]}
JIRA = {
    "flavor": "cloud",
    "url": "http://jira.test",
    "auth": {"type": "token", "email": "admin@example.com", "api_token": "emulator-token"},
    "webhook": {"secret": SECRET},
}
ALICE = ("alice@example.com", "alice-token")


@pytest.fixture
async def synced(tmp_path: Path) -> AsyncIterator[tuple[Api, Emulator]]:
    seed = {"webhooks": [SEED["webhooks"][0] | {"secret": SECRET}]}
    emulator = Emulator(flavor="cloud", seed=seed)
    config = Config.model_validate({"jira": JIRA})
    async with open_api(tmp_path, config, workers=1, transport=emulator.transport()) as api:
        emulator.webhooks.transport = httpx.ASGITransport(app=bootstrap.build_app(api.container))
        yield api, emulator
        await emulator.aclose()


async def settle(api: Api, emulator: Emulator) -> None:
    """Deliveries sent, received, applied."""
    await emulator.drain_webhooks()
    assert api.container.sync.loop is not None
    await api.container.sync.loop.run_until_idle()


async def as_alice(emulator: Emulator, method: str, path: str, body: Any = None) -> None:
    async with emulator.client(auth=ALICE) as client:
        response = await client.request(method, path, json=body)
        assert response.status_code < 300, response.text


async def post_alert(api: Api, n: int = 1) -> None:
    alert = {"source": "generic", "id": f"a-{n}", "title": "t", "severity": "high"}
    response = await api.client.post(
        "/v1/alerts", json=alert | {"fingerprint": "fp-1"}, headers=api.auth("ingest")
    )
    assert response.status_code == 202


async def test_a_person_moves_the_alert_and_our_own_writes_are_echoes(
    synced: tuple[Api, Emulator],
) -> None:
    api, emulator = synced
    await post_alert(api)
    await api.drain()
    await settle(api, emulator)
    [created] = await deliveries(api)
    assert (created["event"], created["outcome"]) == ("jira:issue_created", "echo")
    assert [d.status for d in emulator.deliveries] == [200]
    key = created["issue_key"]

    await as_alice(
        emulator, "POST", f"/rest/api/3/issue/{key}/transitions", {"transition": {"id": "11"}}
    )
    await settle(api, emulator)
    assert await alert_state(api, "a-1") == "in_progress"

    done = {"transition": {"id": "31"}, "fields": {"resolution": {"name": "False Positive"}}}
    await as_alice(emulator, "POST", f"/rest/api/3/issue/{key}/transitions", done)
    await settle(api, emulator)
    assert await alert_state(api, "a-1") == "false_positive"
    outcomes = [(d["event"], d["outcome"]) for d in await deliveries(api)]
    assert outcomes[1:] == [("jira:issue_updated", "applied")] * 2

    await post_alert(api, 2)  # the same fingerprint recurs: a false positive, suppressed
    await api.drain()
    assert await alert_state(api, "a-2") == "suppressed"


async def test_a_deleted_issue_is_never_recreated(synced: tuple[Api, Emulator]) -> None:
    api, emulator = synced
    await post_alert(api)
    await api.drain()
    await settle(api, emulator)
    [created] = await deliveries(api)
    await as_alice(emulator, "DELETE", f"/rest/api/3/issue/{created['issue_key']}")
    await settle(api, emulator)
    assert await alert_state(api, "a-1") == "ticket_deleted"
    await post_alert(api, 2)
    await api.drain()
    assert await alert_state(api, "a-2") == "suppressed"
    creates = [r for r in emulator.requests if r.method == "POST" and r.path.endswith("/issue")]
    assert len(creates) == 1  # the first create only


async def test_a_thin_delivery_is_completed_by_one_get_of_our_issue_only(
    synced: tuple[Api, Emulator],
) -> None:
    """Data Center deliveries without the issue's fields: one GET of the issue (through the
    provider's rate governor) completes them; a foreign issue is never fetched."""
    api, emulator = synced
    await post_alert(api)
    await api.drain()
    await settle(api, emulator)
    [created] = await deliveries(api)
    key = created["issue_key"]
    for webhook in emulator.state.webhooks.values():
        webhook.enabled = False  # this change's own delivery is lost…
    await as_alice(
        emulator, "POST", f"/rest/api/3/issue/{key}/transitions", {"transition": {"id": "11"}}
    )
    assert await alert_state(api, "a-1") == "ticketed"
    before = len(emulator.requests)
    for n, thin_key in enumerate((key, "ELSE-1")):
        thin = {
            "webhookEvent": "jira:issue_updated",
            "timestamp": 1896621950860,
            "user": {"name": "alice"},
            "issue": {"id": "", "key": thin_key},
        }
        await post_delivery(api, thin, f"thin-{n}")  # …and a thin one arrives instead
    await api.container.sync.loop.run_until_idle()  # type: ignore[union-attr]
    fetched = [r.path for r in emulator.requests[before:] if r.method == "GET"]
    assert [p for p in fetched if "/issue/" in p] == [f"/rest/api/3/issue/{key}"]
    assert await alert_state(api, "a-1") == "in_progress"
    outcomes = [(d["issue_key"], d["outcome"]) for d in await deliveries(api)][-2:]
    assert outcomes == [(key, "applied"), ("ELSE-1", "unknown_issue")]
