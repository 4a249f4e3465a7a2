"""Seed 002 (Audital) as its document tells it: the integration registered with Audital's own
body (`POST /v1/integrations/jira`), then a commit "[AI-GOV-142]" pushed by GitHub is kept for
the audit trail under exactly that key — never `GOV-142` — and found by it. On SQLite and
PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import httpx
from api_harness import open_api

from ticketbridge.config.schema import Config

SECRET = "gh-secret"
REGISTRATION = {  # "Step 2: Connect to Audital", as written (the host and pattern aside)
    "jiraBaseUrl": "https://acme.atlassian.net",
    "userEmail": "admin@example.com",
    "apiToken": "emulator-token",
    "projects": ["AI-GOV", "ML-OPS", "CREDIT-RISK"],
    "linkPattern": "AI-GOV-[0-9]+",  # the document's "AI-[0-9]+" cannot match its own keys
    "captureFields": ["summary", "status", "priority", "assignee", "resolution"],
}
PUSH = {
    "ref": "refs/heads/main",
    "before": "0000000000000000000000000000000000000000",
    "after": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
    "repository": {"full_name": "acme/credit-model"},
    "commits": [
        {
            "id": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
            "message": "feat: update decision threshold to 0.72 [AI-GOV-142]",
        }
    ],
}


def signed(body: bytes) -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": "d-1",
        "X-Hub-Signature-256": f"sha256={digest}",
        "Content-Type": "application/json",
    }


async def test_a_commit_is_linked_under_its_whole_key(tmp_path: Path, database_url: str) -> None:
    config = Config.model_validate({"sources": {"github": {"secret": SECRET}}})
    async with open_api(tmp_path, config, database_url=database_url) as api:
        registered = await api.client.post(
            "/v1/integrations/jira", json=REGISTRATION, headers=api.auth("admin")
        )
        assert registered.status_code == 201, registered.text

        body = httpx.Request("POST", "/", json=PUSH).read()
        pushed = await api.client.post("/v1/sources/github", content=body, headers=signed(body))
        assert pushed.status_code == 202, pushed.text
        assert pushed.json()["push"]["commits"][0]["jira_keys"] == ["AI-GOV-142"]

        read = api.auth("read")
        found = await api.client.get("/v1/audit/pushes?key=AI-GOV-142", headers=read)
        assert [p["repository"] for p in found.json()["items"]] == ["acme/credit-model"]
        inner = await api.client.get("/v1/audit/pushes?key=GOV-142", headers=read)
        assert inner.json()["items"] == []
