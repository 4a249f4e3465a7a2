"""The audit trail end to end through the API and the emulator: a signed GitHub push naming a
Jira key becomes a CONFIG_CHANGE event with the issue embedded (Audital's example), its change
risk as severity, one remote link back on the issue; an unknown key is recorded as such.
`GET /v1/audit` filters and pages, `GET /v1/audit/verify` verifies, manual links are
LINK_ADDED events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from api_harness import Api, open_api
from test_github_audit import PUSH, SECRET, github_headers

from jira_emulator import Emulator
from ticketbridge.config.schema import Config

EMULATOR_JIRA = {  # as conftest's (conftest modules are not importable by name here)
    "flavor": "cloud",
    "url": "http://jira.test",
    "auth": {"type": "token", "email": "admin@example.com", "api_token": "emulator-token"},
}
AUDIT = {
    "capture_fields": ["summary", "status", "priority", "assignee", "customfield_10011"],
    "change_risk_field": "customfield_10011",
}


@pytest.fixture
async def audited(tmp_path: Path, emulator: Emulator) -> AsyncIterator[Api]:
    config = Config.model_validate(
        {"jira": EMULATOR_JIRA, "sources": {"github": {"secret": SECRET}}, "audit": AUDIT}
    )
    async with open_api(tmp_path, config, workers=1, transport=emulator.transport()) as handle:
        yield handle


async def _issue(emulator: Emulator, risk: str) -> str:
    async with emulator.client() as jira:
        fields = {
            "project": {"key": "AIGOV"},
            "issuetype": {"name": "Task"},
            "summary": "Change: Update credit score threshold from 0.68 to 0.72",
            "customfield_10011": {"value": risk},
        }
        created = await jira.post("/rest/api/3/issue", json={"fields": fields})
        assert created.status_code == 201, created.text
        return str(created.json()["key"])


def _push_naming(key: str) -> bytes:
    push = json.loads(PUSH)
    push["commits"] = push["commits"][1:]
    push["commits"][0]["message"] = f"feat: update decision threshold to 0.72 [{key}] NOPE-9"
    return json.dumps(push).encode()


async def _events(api: Api, query: str = "") -> dict[str, Any]:
    answer = await api.client.get(f"/v1/audit{query}", headers=api.auth("read"))
    assert answer.status_code == 200, answer.text
    page: dict[str, Any] = answer.json()
    return page


async def test_a_push_naming_a_key_is_a_config_change_with_the_issue_embedded(
    audited: Api, emulator: Emulator
) -> None:
    key = await _issue(emulator, "HIGH")
    body = _push_naming(key)
    sent = await audited.client.post(
        "/v1/sources/github", content=body, headers=github_headers(body)
    )
    assert sent.status_code in (200, 201, 202), sent.text
    assert (await _events(audited, "?type=CONFIG_CHANGE"))["items"] == []  # not in the request
    loop = audited.container.audit_loop
    assert loop is not None
    await loop.run_once()
    await loop.run_once()  # nothing twice
    [event] = (await _events(audited, "?type=CONFIG_CHANGE"))["items"]
    assert event["source"] == "GITHUB"
    assert event["payload"]["commit"]["message"].startswith("feat: update decision threshold")
    assert event["payload"]["severity"] == "HIGH"
    found, missing = event["links"]
    assert (found["type"], found["externalId"]) == ("JIRA_TICKET", key)
    assert found["url"].endswith(f"/browse/{key}")
    data = found["data"]
    assert data["summary"] == "Change: Update credit score threshold from 0.68 to 0.72"
    assert data["status"] == "To Do"
    assert data["customfield_10011"] == "HIGH"
    assert data["changeRisk"] == "HIGH"
    assert (missing["externalId"], missing["error"]) == ("NOPE-9", "not_found")
    commit_url = event["payload"]["commit"]["url"]
    [remote] = emulator.issue(key).remote_links
    assert (remote.global_id, remote.object["url"]) == (commit_url, commit_url)
    by_key = await _events(audited, f"?ticket={key}")
    assert [e["id"] for e in by_key["items"]] == [event["id"]]
    verified = await audited.client.get("/v1/audit/verify", headers=audited.auth("read"))
    assert verified.json()["ok"] is True, verified.json()


async def test_listing_pages_by_cursor_and_filters(audited: Api) -> None:
    alerts = [
        {"source": "generic", "id": f"a-{n}", "title": "t", "severity": "low"} for n in range(5)
    ]
    answer = await audited.client.post("/v1/alerts", json=alerts, headers=audited.auth("ingest"))
    assert answer.status_code < 300, answer.text
    await audited.decide()
    seen: list[int] = []
    query = "?limit=3"
    while True:
        page = await _events(audited, query)
        seen += [e["position"] for e in page["items"]]
        if page["next_cursor"] is None:
            break
        query = f"?limit=3&cursor={page['next_cursor']}"
    assert seen == list(range(10))
    one = await _events(audited, "?alert=generic/a-3&type=ROUTED")
    assert [e["payload"]["alert"]["id"] for e in one["items"]] == ["a-3"]
    bad = await audited.client.get("/v1/audit?type=NOPE", headers=audited.auth("read"))
    assert bad.status_code == 422
    assert "type" in bad.text
    bad = await audited.client.get("/v1/audit?cursor=xyz", headers=audited.auth("read"))
    assert bad.status_code == 422


async def test_a_manual_link_is_a_link_added_event(audited: Api) -> None:
    alerts = [{"source": "generic", "id": "a-1", "title": "t", "severity": "low"}]
    await audited.client.post("/v1/alerts", json=alerts, headers=audited.auth("ingest"))
    await audited.decide()
    [first, _] = (await _events(audited))["items"]
    link = {
        "type": "JIRA_TICKET",
        "externalId": "AI-GOV-142",
        "url": "https://your-org.atlassian.net/browse/AI-GOV-142",
        "status": "Done",
        "approver": "compliance-officer@example.com",
    }
    path = f"/v1/audit/{first['id']}/links"
    answer = await audited.client.post(path, json=link, headers=audited.auth("admin"))
    assert answer.status_code == 201, answer.text
    [added] = (await _events(audited, "?type=LINK_ADDED"))["items"]
    assert added["id"] == answer.json()["event_id"]
    assert added["links"][1] == link
    assert (
        await audited.client.post(path, json=link, headers=audited.auth("read"))
    ).status_code == 403
    gone = "/v1/audit/evt_00000000/links"
    assert (
        await audited.client.post(gone, json=link, headers=audited.auth("admin"))
    ).status_code == 404
    extra = await audited.client.post(path, json={**link, "x": 1}, headers=audited.auth("admin"))
    assert extra.status_code == 422
