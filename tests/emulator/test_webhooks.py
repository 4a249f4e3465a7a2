"""Webhook deliveries: registration, real shapes, HMAC signature, retries, JQL filter."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from emu_support import CLOUD_AUTH, DC_AUTH, Receiver, adf, client_for, create

from jira_emulator import Emulator
from support.realworld import load_json

ADMIN = "/rest/webhooks/1.0/webhook"
ALL_EVENTS = [
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
]


def emulator(flavor: str, receiver: Receiver, **webhook: Any) -> Emulator:
    seed = {
        "webhooks": [
            {"name": "tb", "url": "http://receiver.test/hook", "events": ALL_EVENTS} | webhook
        ]
    }
    emu = Emulator(flavor=flavor, seed=seed, webhook_transport=receiver.transport())
    emu.webhooks.backoff = 0.0
    return emu


def shape(value: Any) -> Any:
    return sorted(value) if isinstance(value, dict) else type(value).__name__


async def test_cloud_delivery_is_signed_and_shaped_like_the_real_one() -> None:
    receiver = Receiver()
    emu = emulator("cloud", receiver, secret="s3cret")
    async with client_for(emu, CLOUD_AUTH) as client:
        await create(client, summary="signed", description=adf("body"))
    await emu.drain_webhooks()
    [request] = receiver.received
    signature = "sha256=" + hmac.new(b"s3cret", request.content, hashlib.sha256).hexdigest()
    assert request.headers["X-Hub-Signature"] == signature
    assert request.headers["X-Atlassian-Webhook-Identifier"]
    assert "X-Atlassian-Webhook-Retry" not in request.headers
    real = load_json("webhooks/skill-sync-jira-cloud-issue_created.json")
    payload = json.loads(request.content)
    assert set(real) <= set(payload)
    assert set(real["issue"]) <= set(payload["issue"])
    assert set(real["user"]) <= set(payload["user"])
    real_item_keys = set(real["changelog"]["items"][0])
    assert all(
        set(item) >= {"field", "fieldtype", "from", "fromString", "to", "toString"}
        for item in payload["changelog"]["items"]
    )
    assignee_like = [i for i in payload["changelog"]["items"] if i["fieldId"] == "reporter"]
    assert set(assignee_like[0]) == real_item_keys
    system_fields = {k for k in real["issue"]["fields"] if not k.startswith("customfield_")}
    missing = system_fields - set(payload["issue"]["fields"])
    assert missing <= {"issuerestriction"}, missing
    assert payload["issue"]["fields"]["description"] == "body"  # deliveries are v2-shaped
    assert payload["webhookEvent"] == "jira:issue_created"
    assert payload["issue_event_type_name"] == "issue_created"


async def test_datacenter_deliveries_match_server_shapes_and_are_signed_with_a_secret() -> None:
    receiver = Receiver()
    emu = emulator("datacenter", receiver, secret="dc-secret")
    async with client_for(emu, DC_AUTH) as client:
        await create(client, api="2")
        await client.post("/rest/api/2/issue/OPS-1/transitions", json={"transition": {"id": "11"}})
        await client.post("/rest/api/2/issue/OPS-1/comment", json={"body": "hi"})
    await emu.drain_webhooks()
    for request in receiver.received:  # DC admin webhooks with a secret are HMAC-signed too
        mac = hmac.new(b"dc-secret", request.content, hashlib.sha256).hexdigest()
        assert request.headers["x-hub-signature"] == f"sha256={mac}"
    [updated] = [
        p
        for p in receiver.payloads("jira:issue_updated")
        if p["issue_event_type_name"] == "issue_generic"
    ]
    real = load_json("webhooks/jira-to-matrix-issue_updated_status_changed.json")
    assert set(real) - {"level", "message", "label"} <= set(updated)
    assert updated["changelog"]["items"] == [
        {
            "field": "status",
            "fieldtype": "jira",
            "fieldId": "status",
            "from": "10000",
            "fromString": "To Do",
            "to": "3",
            "toString": "In Progress",
        }
    ]
    assert updated["user"]["name"] == "admin"
    [comment] = receiver.payloads("comment_created")
    real_comment = load_json("webhooks/defectdojo-comment_created.json")
    assert set(comment) == set(real_comment)
    assert set(comment["comment"]) == set(real_comment["comment"])
    assert comment["comment"]["body"] == "hi"


async def test_cloud_comment_and_delete_events() -> None:
    receiver = Receiver()
    emu = emulator("cloud", receiver)
    async with client_for(emu, CLOUD_AUTH) as client:
        await create(client)
        made = await client.post("/rest/api/3/issue/OPS-1/comment", json={"body": adf("a")})
        comment_url = f"/rest/api/3/issue/OPS-1/comment/{made.json()['id']}"
        await client.put(comment_url, json={"body": adf("b")})
        await client.delete(comment_url)
        await client.delete("/rest/api/3/issue/OPS-1")
    await emu.drain_webhooks()
    events = [(p["webhookEvent"], p.get("issue_event_type_name")) for p in receiver.payloads()]
    assert events == [
        ("jira:issue_created", "issue_created"),
        ("comment_created", None),
        ("jira:issue_updated", "issue_commented"),
        ("comment_updated", None),
        ("jira:issue_updated", "issue_comment_edited"),
        ("comment_deleted", None),
        ("jira:issue_updated", "issue_comment_deleted"),
        ("jira:issue_deleted", None),
    ]
    real = load_json("webhooks/jira-to-matrix-comment_updated.json")
    [updated] = receiver.payloads("comment_updated")
    assert set(updated["issue"]["fields"]) == set(real["issue"]["fields"])
    assert set(real["comment"]) <= set(updated["comment"])
    [deleted] = receiver.payloads("jira:issue_deleted")
    assert set(load_json("webhooks/osbot-jira-cloud-issue_deleted.json")) == set(deleted)


async def test_failed_delivery_is_retried_with_retry_header() -> None:
    receiver = Receiver(statuses=[503, 429, 200])
    emu = emulator("cloud", receiver, events=["jira:issue_created"])
    async with client_for(emu, CLOUD_AUTH) as client:
        await create(client)
    await emu.drain_webhooks()
    assert [r.headers.get("X-Atlassian-Webhook-Retry") for r in receiver.received] == [
        None,
        "1",
        "2",
    ]
    identifiers = {r.headers["X-Atlassian-Webhook-Identifier"] for r in receiver.received}
    assert len(identifiers) == 1
    assert [d.status for d in emu.deliveries] == [503, 429, 200]


async def test_client_errors_are_not_retried_and_retries_stop_after_five() -> None:
    refused = Receiver(statuses=[400])
    emu = emulator("cloud", refused, events=["jira:issue_created"])
    async with client_for(emu, CLOUD_AUTH) as client:
        await create(client)
    await emu.drain_webhooks()
    assert [d.status for d in emu.deliveries] == [400]
    down = Receiver(statuses=[500] * 10)
    emu = emulator("cloud", down, events=["jira:issue_created"])
    async with client_for(emu, CLOUD_AUTH) as client:
        await create(client)
    await emu.drain_webhooks()
    assert [r.headers.get("X-Atlassian-Webhook-Retry") for r in down.received] == [
        None,
        "1",
        "2",
        "3",
        "4",
        "5",
    ]


@pytest.mark.parametrize(
    ("jql", "delivered"), [("project = SEC", ["SEC-1"]), ("labels = hot", ["OPS-1"])]
)
async def test_jql_filter_selects_issues(jql: str, delivered: list[str]) -> None:
    receiver = Receiver()
    emu = emulator("cloud", receiver, events=["jira:issue_created"], jql=jql)
    async with client_for(emu, CLOUD_AUTH) as client:
        await create(client, labels=["hot"])
        await create(client, project="SEC")
    await emu.drain_webhooks()
    assert [p["issue"]["key"] for p in receiver.payloads()] == delivered


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
async def test_admin_rest_registration(flavor: str) -> None:
    receiver = Receiver()
    emu = Emulator(flavor=flavor, webhook_transport=receiver.transport())
    auth = CLOUD_AUTH if flavor == "cloud" else DC_AUTH
    async with client_for(emu, auth) as client:
        made = await client.post(
            ADMIN,
            json={
                "name": "tb",
                "url": "http://receiver.test/hook",
                "events": ["jira:issue_created"],
                "filters": {"issue-related-events-section": "project = OPS"},
                "excludeBody": False,
            },
        )
        assert made.status_code == 201, made.text
        assert made.json()["filters"] == {"issue-related-events-section": "project = OPS"}
        listed = (await client.get(ADMIN)).json()
        assert [w["name"] for w in listed] == ["tb"]
        await create(client, api="2")
        await emu.drain_webhooks()
        assert len(receiver.received) == 1
        webhook_id = made.json()["self"].rsplit("/", 1)[1]
        assert (await client.delete(f"{ADMIN}/{webhook_id}")).status_code == 204
        assert emu.state.webhooks == {}


async def test_non_admin_cannot_register_and_bad_jql_refused() -> None:
    emu = Emulator(flavor="cloud")
    async with client_for(emu, ("alice@example.com", "alice-token")) as alice:
        assert (await alice.get(ADMIN)).status_code == 403
    async with client_for(emu, CLOUD_AUTH) as admin:
        bad = await admin.post(
            ADMIN,
            json={
                "name": "x",
                "url": "http://r.test/",
                "events": ["jira:issue_created"],
                "filters": {"issue-related-events-section": "a = "},
            },
        )
        assert bad.status_code == 400


async def test_cloud_dynamic_webhooks_refuse_a_users_api_token() -> None:
    """Dynamic webhooks are for apps (test_oauth_gateway registers one through the gateway)."""
    emu = Emulator(flavor="cloud")
    async with client_for(emu, CLOUD_AUTH) as client:
        body = {"url": "http://receiver.test/dyn", "webhooks": [{"events": ["jira:issue_created"]}]}
        made = await client.post("/rest/api/3/webhook", json=body)
        assert made.status_code == 403
        assert "OAuth 2.0 apps" in made.json()["errorMessages"][0]
        assert (await client.get("/rest/api/3/webhook")).status_code == 403
    assert emu.state.webhooks == {}
