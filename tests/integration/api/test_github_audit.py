"""POST /v1/sources/github and GET /v1/audit/pushes: a real signed GitHub push is kept with
exactly its commits and Jira keys, once per delivery; a bad signature keeps nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from api_harness import Api, open_api

from ticketbridge.config.schema import Config

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sources" / "github"
PUSH = (FIXTURES / "push.json").read_bytes()
PING = (FIXTURES / "ping.json").read_bytes()
SECRET = "github-webhook-secret"
DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
EXPECTED_COMMITS = [
    ("0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c", []),
    ("a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", ["AIGOV-142", "OPS-7"]),
]


@pytest.fixture
async def audited(tmp_path: Path) -> AsyncIterator[Api]:
    config = Config.model_validate({"sources": {"github": {"secret": SECRET}}})
    async with open_api(tmp_path, config) as handle:
        yield handle


def github_headers(
    body: bytes, event: str = "push", delivery: str = DELIVERY, secret: str = SECRET
) -> dict[str, str]:
    """What GitHub sends: its event, delivery GUID and HMAC-SHA256 of the raw body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": f"sha256={digest}",
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/044aadd",
    }


async def listed(api: Api, query: str = "") -> list[dict[str, Any]]:
    response = await api.client.get(f"/v1/audit/pushes{query}", headers=api.auth("read"))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def commits_and_keys(push: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(commit["id"], commit["jira_keys"]) for commit in push["commits"]]


async def test_a_signed_push_is_kept_with_its_commits_and_keys(audited: Api) -> None:
    response = await audited.client.post(
        "/v1/sources/github", content=PUSH, headers=github_headers(PUSH)
    )
    assert response.status_code == 202, response.text
    receipt = response.json()
    assert (receipt["event"], receipt["duplicate"]) == ("push", False)
    assert commits_and_keys(receipt["push"]) == EXPECTED_COMMITS
    assert receipt["push"]["jira_keys"] == ["AIGOV-142", "OPS-7"]

    [pushed] = await listed(audited)
    assert pushed == receipt["push"]
    assert (pushed["delivery_id"], pushed["repository"], pushed["ref"], pushed["pusher"]) == (
        DELIVERY,
        "acme/credit-model",
        "refs/heads/main",
        "jane-smith",
    )
    author = pushed["commits"][1]["author"]
    assert author == {
        "name": "Jane Smith",
        "email": "jane.smith@example.com",
        "username": "jane-smith",
    }
    async with audited.container.database.unit_of_work() as uow:
        [row] = await uow.push_events.list(limit=10)
    assert [(c.id, list(c.jira_keys)) for c in row.commits] == EXPECTED_COMMITS
    assert await listed(audited, "?key=OPS-7") == [pushed]
    assert await listed(audited, "?key=SEC-1") == []
    assert await listed(audited, "?repository=acme/credit-model") == [pushed]


async def test_a_redelivery_stores_nothing_new(audited: Api) -> None:
    first = await audited.client.post(
        "/v1/sources/github", content=PUSH, headers=github_headers(PUSH)
    )
    again = await audited.client.post(
        "/v1/sources/github", content=PUSH, headers=github_headers(PUSH)
    )
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["duplicate"] is True
    assert again.json()["push"] == first.json()["push"]
    assert [p["delivery_id"] for p in await listed(audited)] == [DELIVERY]


@pytest.mark.parametrize(
    "headers",
    [
        github_headers(PUSH, secret="not-the-secret"),
        github_headers(PUSH + b" "),  # signed another body
        {k: v for k, v in github_headers(PUSH).items() if k != "X-Hub-Signature-256"},
        {**github_headers(PUSH), "X-Hub-Signature-256": "sha1=deadbeef"},
    ],
    ids=["wrong-secret", "other-body", "unsigned", "sha1"],
)
async def test_a_bad_signature_stores_nothing(audited: Api, headers: dict[str, str]) -> None:
    response = await audited.client.post("/v1/sources/github", content=PUSH, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "source_unauthorized"
    assert await listed(audited) == []


async def test_ping_is_acknowledged_and_keeps_nothing(audited: Api) -> None:
    response = await audited.client.post(
        "/v1/sources/github", content=PING, headers=github_headers(PING, event="ping")
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"event": "ping", "duplicate": False, "push": None}
    assert await listed(audited) == []


@pytest.mark.parametrize(
    ("body", "event", "path"),
    [
        (PUSH, "issues", "X-GitHub-Event"),
        (json.dumps({"ref": "refs/heads/main"}).encode(), "push", "repository"),
        (b"{not json", "push", "$"),
    ],
    ids=["other-event", "no-repository", "not-json"],
)
async def test_what_is_not_a_push_is_422_with_the_field(
    audited: Api, body: bytes, event: str, path: str
) -> None:
    response = await audited.client.post(
        "/v1/sources/github", content=body, headers=github_headers(body, event=event)
    )
    assert response.status_code == 422, response.text
    assert path in [problem["path"] for problem in response.json()["problems"]]
    assert await listed(audited) == []


async def test_without_a_delivery_id_the_same_body_is_one_push(audited: Api) -> None:
    headers = {k: v for k, v in github_headers(PUSH).items() if k != "X-GitHub-Delivery"}
    statuses = [
        (await audited.client.post("/v1/sources/github", content=PUSH, headers=headers)).status_code
        for _ in range(2)
    ]
    assert statuses == [202, 200]
    [pushed] = await listed(audited)
    assert pushed["delivery_id"] == "sha256:" + hashlib.sha256(PUSH).hexdigest()


async def test_the_push_list_needs_the_read_scope(audited: Api) -> None:
    anonymous = await audited.client.get("/v1/audit/pushes")
    ingest_only = await audited.client.get("/v1/audit/pushes", headers=audited.auth("ingest"))
    assert (anonymous.status_code, ingest_only.status_code) == (401, 403)
