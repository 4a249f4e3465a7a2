"""Two-way sync writes the trail: Audital's HUMAN_REVIEW end to end (an alert's issue approved
in the emulator → its signed webhook delivery → POST /v1/jira/webhook → applied → the event),
STATUS_SYNCED when what a person did in Jira moves the alert (a deletion too), nothing for our
own account's echoes; each event committed with the observation it records."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_harness import Api, open_api
from sync_harness import SECRET, alert_state
from test_human_review import SEED as CHANGE_SEED  # a workflow with an Approved status
from test_jira_sync_emulator import as_alice, settle

from jira_emulator import Emulator
from ticketbridge import bootstrap
from ticketbridge.config.schema import Config

EVENTS = ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted", "comment_created"]
SEED = CHANGE_SEED | {
    "webhooks": [
        {"name": "tb", "url": "http://tb.test/v1/jira/webhook", "events": EVENTS, "secret": SECRET}
    ]
}
CONFIG = {
    "defaults": {"project": "CHG", "issue_type": "Task"},
    "jira": {
        "flavor": "cloud",
        "url": "http://jira.test",
        "auth": {"type": "token", "email": "admin@example.com", "api_token": "emulator-token"},
        "webhook": {"secret": SECRET},
    },
    "sync": {"approvals": {"statuses": ["Approved"], "comment": r"(?i)^\s*approved\b"}},
}
SAID = "Approved. Change is within approved governance boundary; back-tested on 6 months."


@pytest.fixture
async def synced(tmp_path: Path) -> AsyncIterator[tuple[Api, Emulator]]:
    emulator = Emulator(flavor="cloud", seed=SEED)
    config = Config.model_validate(CONFIG)
    async with open_api(tmp_path, config, workers=1, transport=emulator.transport()) as api:
        emulator.webhooks.transport = httpx.ASGITransport(app=bootstrap.build_app(api.container))
        yield api, emulator
        await emulator.aclose()


async def _ticketed(api: Api, emulator: Emulator) -> str:
    alert = {"source": "generic", "id": "a-1", "title": "threshold", "severity": "high"}
    response = await api.client.post(
        "/v1/alerts", json=alert | {"fingerprint": "fp-1"}, headers=api.auth("ingest")
    )
    assert response.status_code == 202
    await api.drain()
    await settle(api, emulator)
    [issue] = emulator.state.issues.values()
    return str(issue.key)


async def _events(api: Api, kind: str) -> list[dict[str, Any]]:
    response = await api.client.get(f"/v1/audit?type={kind}", headers=api.auth("read"))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _adf(text: str) -> dict[str, Any]:
    paragraph = {"type": "paragraph", "content": [{"type": "text", "text": text}]}
    return {"type": "doc", "version": 1, "content": [paragraph]}


async def test_an_issue_approved_in_jira_is_audital_s_human_review(
    synced: tuple[Api, Emulator],
) -> None:
    api, emulator = synced
    key = await _ticketed(api, emulator)
    assert await _events(api, "STATUS_SYNCED") == []  # our own create is an echo
    await as_alice(emulator, "POST", f"/rest/api/3/issue/{key}/comment", {"body": _adf(SAID)})
    await as_alice(
        emulator, "POST", f"/rest/api/3/issue/{key}/transitions", {"transition": {"id": "11"}}
    )
    await settle(api, emulator)
    await api.container.sync.observations.observe([])  # nothing new: nothing recorded

    # Jira delivers the comment and the transition apart: the comment alone approves, and the
    # transition names what its reviewer said.
    said, review = await _events(api, "HUMAN_REVIEW")
    assert (said["payload"]["via"], said["payload"]["comment"]) == ("comment", SAID)
    payload = review["payload"]
    assert (review["source"], payload["ticketKey"], payload["via"]) == ("JIRA", key, "status")
    assert (payload["reviewType"], payload["decision"]) == ("CHANGE_APPROVAL", "APPROVED")
    assert payload["reviewer"]["displayName"] == "Alice Analyst"
    assert payload["reviewer"]["email"] == "alice@example.com"
    assert payload["comment"] == SAID
    assert payload["status"]["name"] == "Approved"
    created = await _events(api, "TICKET_CREATED")
    assert created[0]["id"] in payload["linkedAuditEvents"]
    assert review["links"][0] == {"type": "JIRA_TICKET", "externalId": key}

    [synced_event] = await _events(api, "STATUS_SYNCED")
    assert (synced_event["payload"]["from"], synced_event["payload"]["to"]) == (
        "ticketed",
        "in_progress",
    )
    assert synced_event["payload"]["status"]["name"] == "Approved"
    assert await alert_state(api, "a-1") == "in_progress"  # the state and the trail agree


async def test_a_deleted_issue_is_status_synced_and_the_trail_verifies(
    synced: tuple[Api, Emulator],
) -> None:
    api, emulator = synced
    key = await _ticketed(api, emulator)
    await as_alice(emulator, "DELETE", f"/rest/api/3/issue/{key}")
    await settle(api, emulator)
    [deleted] = await _events(api, "STATUS_SYNCED")
    assert deleted["payload"]["deleted"] is True
    assert deleted["payload"]["to"] == "ticket_deleted"
    assert await _events(api, "HUMAN_REVIEW") == []
    response = await api.client.get("/v1/audit/verify", headers=api.auth("read"))
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is True
