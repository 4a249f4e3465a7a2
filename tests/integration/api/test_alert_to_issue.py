"""Through the API to the emulator: an alert becomes exactly one issue, visible in GET /v1/…"""

from __future__ import annotations

from api_harness import Api

from jira_emulator import Emulator

ALERT = {
    "source": "generic",
    "id": "a-1",
    "kind": "policy_violation",
    "title": "PII sent to an external model",
    "severity": "high",
    "fingerprint": "fp-1",
}


async def test_alert_becomes_one_issue_and_the_alert_shows_its_ticket(
    api_with_jira: Api, emulator: Emulator
) -> None:
    api = api_with_jira
    response = await api.client.post("/v1/alerts", json=ALERT, headers=api.auth("ingest"))
    assert response.status_code == 202
    await api.drain()
    issues = list(emulator.state.issues.values())
    assert [i.key for i in issues] == ["OPS-1"]
    body = (await api.client.get("/v1/alerts/a-1", headers=api.auth("read"))).json()
    assert body["state"] == "ticketed"
    assert body["ticket"] == {"key": "OPS-1", "url": "http://jira.test/browse/OPS-1"}
    tickets = (await api.client.get("/v1/tickets", headers=api.auth("read"))).json()["items"]
    assert [t["ticket"]["key"] for t in tickets] == ["OPS-1"]


async def test_repeats_and_resends_never_make_a_second_issue(
    api_with_jira: Api, emulator: Emulator
) -> None:
    api = api_with_jira
    repeat = ALERT | {"id": "a-2"}
    for payload in (ALERT, ALERT, repeat, [ALERT, repeat]):
        response = await api.client.post("/v1/alerts", json=payload, headers=api.auth("ingest"))
        assert response.status_code == 202
        await api.drain()
    assert [i.key for i in emulator.state.issues.values()] == ["OPS-1"]
    second = (await api.client.get("/v1/alerts/a-2", headers=api.auth("read"))).json()
    assert (second["decision"], second["ticket"]["key"]) == ("repeat", "OPS-1")


async def test_jira_requests_are_metered(api_with_jira: Api) -> None:
    api = api_with_jira
    await api.client.post("/v1/alerts", json=ALERT, headers=api.auth("ingest"))
    await api.drain()
    text = (await api.client.get("/metrics")).text
    assert 'ticketbridge_jira_requests_total{operation="POST /rest/api/3/issue"}' in text
    assert 'ticketbridge_outbox_jobs{state="done"} 1.0' in text
