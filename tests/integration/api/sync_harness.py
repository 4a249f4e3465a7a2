"""Two-way sync tests' helpers: signed Jira deliveries, tickets linked to given issues, the
alert's state and the ticket as the API shows them."""

from __future__ import annotations

import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from api_harness import Api

from ticketbridge import bootstrap
from ticketbridge.domain.life import IssueCreated, after_write

SECRET = "jira-webhook-secret"
BASE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CATEGORY_NAMES = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}


def signature(body: bytes, secret: str = SECRET, method: str = "sha256") -> str:
    return f"{method}=" + hmac.new(secret.encode(), body, method).hexdigest()


def signed(body: bytes, identifier: str | None = None, **extra: str) -> dict[str, str]:
    """What Jira Cloud sends (lower-case header names, as Atlassian documents them)."""
    headers = {"content-type": "application/json", "x-hub-signature": signature(body)}
    if identifier is not None:
        headers["x-atlassian-webhook-identifier"] = identifier
    return headers | extra


def jira_time(at: datetime) -> str:
    """Jira's `updated`: `2026-03-01T12:00:00.000+0000`."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+0000"


def issue_event(
    key: str,
    *,
    at: datetime,
    category: str = "new",
    status_id: str | None = None,
    status_name: str | None = None,
    resolution: str | None = None,
    changelog_id: int | None = None,
    user: str = "human-1",
    event: str = "jira:issue_updated",
    assignee: str | None = None,
    priority: str = "Medium",
) -> dict[str, Any]:
    """A Cloud `jira:issue_*` delivery for issue `key` (its id: the key's number + 10000)."""
    fields: dict[str, Any] = {
        "updated": jira_time(at),
        "status": {
            "id": status_id or {"new": "10000", "indeterminate": "3", "done": "10001"}[category],
            "name": status_name or CATEGORY_NAMES[category],
            "statusCategory": {"key": category},
        },
        "resolution": {"id": "1", "name": resolution} if resolution else None,
        "assignee": {"accountId": assignee, "displayName": assignee} if assignee else None,
        "priority": {"name": priority},
    }
    body: dict[str, Any] = {
        "timestamp": int(at.timestamp() * 1000),
        "webhookEvent": event,
        "user": {"accountId": user, "displayName": user},
        "issue": {"id": issue_id(key), "key": key, "fields": fields},
    }
    if changelog_id is not None:
        body["changelog"] = {"id": str(changelog_id), "items": []}
    return body


def issue_id(key: str) -> str:
    return str(10000 + int(key.rsplit("-", 1)[1]))


def encoded(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


async def post_delivery(api: Api, body: dict[str, Any] | bytes, identifier: str) -> None:
    raw = body if isinstance(body, bytes) else encoded(body)
    response = await api.client.post(
        "/v1/jira/webhook", content=raw, headers=signed(raw, identifier)
    )
    assert response.status_code == 200, response.text


async def linked_ticket(api: Api, n: int, key: str, issue: str | None = None) -> str:
    """An alert `a-<n>` decided into a ticket whose issue is `key` (as if the create had
    answered): its alert is then `ticketed`. Returns the alert id."""
    alert = {"source": "generic", "id": f"a-{n}", "title": f"alert {n}", "severity": "high"}
    alert["fingerprint"] = f"fp-{n}"
    response = await api.client.post("/v1/alerts", json=alert, headers=api.auth("ingest"))
    assert response.status_code == 202, response.text
    await api.decide()
    uow = bootstrap.uow_factory(api.container.database)
    async with uow() as work:
        stored = await work.alerts.get("generic", f"a-{n}")
        assert stored is not None
        assert stored.ticket_id is not None
        ticket = await work.tickets.get(stored.ticket_id)
        assert ticket is not None
        created = IssueCreated(issue or issue_id(key), key, f"http://jira.test/browse/{key}")
        policy = bootstrap.pipeline_settings(api.container.config).policy
        step = after_write(ticket, created, policy)
        assert step.ticket is not None
        await work.tickets.save_many([step.ticket])
        await work.commit()
    return f"a-{n}"


async def alert_state(api: Api, alert_id: str) -> str:
    response = await api.client.get(f"/v1/alerts/{alert_id}", headers=api.auth("read"))
    assert response.status_code == 200, response.text
    state: str = response.json()["state"]
    return state


async def tickets(api: Api) -> dict[str, dict[str, Any]]:
    """What GET /v1/tickets says Jira told about each issue, by issue key (`jira`, with the
    alerts' `state`)."""
    response = await api.client.get("/v1/tickets", headers=api.auth("read"))
    assert response.status_code == 200, response.text
    return {
        t["ticket"]["key"]: {**(t["jira"] or {}), "state": t["state"]}
        for t in response.json()["items"]
        if t["ticket"]
    }


async def deliveries(api: Api) -> list[dict[str, Any]]:
    """The delivery log, oldest first."""
    response = await api.client.get("/v1/jira/deliveries", headers=api.auth("read"))
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["items"]))


def later(seconds: float) -> datetime:
    return BASE + timedelta(seconds=seconds)
