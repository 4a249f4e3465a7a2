"""A connection saved over the API takes effect in the running process, without a restart;
Audital's registration body (seed 002) is an alias of the PUT; the test checks the projects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_harness import Api, open_api
from test_github_audit import github_headers

from jira_emulator import Emulator
from ticketbridge.bootstrap import uow_factory
from ticketbridge.config.schema import Config
from ticketbridge.services.site import SiteBinding

B_FIRST_ISSUE = {
    "fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "x"}
}
ALERT = {"source": "generic", "id": "a-1", "title": "PII sent to a model", "severity": "high"}


class Sites(httpx.AsyncBaseTransport):
    """Two Jira sites on one in-process network, told apart by host name."""

    def __init__(self, *sites: Emulator) -> None:
        self._by_host = {httpx.URL(s.base_url).host: s.transport() for s in sites}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._by_host[request.url.host].handle_async_request(request)


def cloud(url: str, **extra: Any) -> dict[str, Any]:
    auth = {"type": "token", "email": "admin@example.com", "api_token": "emulator-token"}
    return {"flavor": "cloud", "url": url, "auth": auth} | extra


def keys(site: Emulator) -> list[str]:
    return [issue.key for issue in site.state.issues.values()]


@pytest.fixture
def site_a() -> Emulator:
    return Emulator(flavor="cloud", base_url="https://a.jira.test")


@pytest.fixture
def site_b() -> Emulator:
    return Emulator(flavor="cloud", base_url="https://b.jira.test")


@pytest.fixture
async def running(tmp_path: Path, site_a: Emulator, site_b: Emulator) -> AsyncIterator[Api]:
    """`serve` with one worker and no Jira configured yet (no `jira:`, nothing stored)."""
    config = Config.model_validate({"sources": {"github": {"secret": "gh-secret"}}})
    transport = Sites(site_a, site_b)
    async with open_api(tmp_path, config, workers=1, transport=transport) as handle:
        yield handle


async def test_a_connection_saved_while_running_is_used_at_once(
    running: Api, site_a: Emulator, site_b: Emulator
) -> None:
    api = running
    sent = await api.client.post("/v1/alerts", json=ALERT, headers=api.auth("ingest"))
    assert sent.status_code == 202
    assert await api.drain() == 0  # no Jira yet: the job waits, it does not fail
    assert keys(site_a) == keys(site_b) == []

    put = await api.client.put(
        "/v1/integrations/jira", json=cloud("https://a.jira.test"), headers=api.auth("admin")
    )
    assert put.status_code == 200, put.text
    await api.drain()
    assert keys(site_a) == ["OPS-1"]
    alert = (await api.client.get("/v1/alerts/a-1", headers=api.auth("read"))).json()
    assert alert["ticket"]["key"] == "OPS-1"

    # Another site, with an issue of its own at A's key.
    async with site_b.client() as jira:
        made = await jira.post("/rest/api/2/issue", json=B_FIRST_ISSUE)
        assert made.status_code == 201, made.text
    put = await api.client.put(
        "/v1/integrations/jira", json=cloud("https://b.jira.test"), headers=api.auth("admin")
    )
    assert put.status_code == 200, put.text
    other = ALERT | {"id": "a-2", "title": "Another model, another leak"}
    await api.client.post("/v1/alerts", json=other, headers=api.auth("ingest"))
    await api.drain()
    assert keys(site_b) == ["OPS-1"]  # A's ticket waits for a decision: nothing is written
    assert api.container.provider is not None
    site = SiteBinding(uow_factory(api.container.database), api.container.provider)
    assert (await site.separate())[1] == 1  # keep the sites apart (`ticketbridge site separate`)
    await api.drain()
    assert keys(site_a) == ["OPS-1"]
    assert keys(site_b) == ["OPS-1", "OPS-2"]
    assert site_b.issue("OPS-2").fields["summary"].endswith("Another model, another leak")


async def test_a_stored_file_gone_bad_keeps_the_connection_in_use(
    running: Api, site_a: Emulator, tmp_path: Path
) -> None:
    api = running
    put = await api.client.put(
        "/v1/integrations/jira", json=cloud("https://a.jira.test"), headers=api.auth("admin")
    )
    assert put.status_code == 200, put.text
    (tmp_path / "jira-connection.json").write_text("{ hand-edited, broken")

    current = await api.client.get("/v1/integrations/jira", headers=api.auth("admin"))
    assert current.status_code == 409, current.text
    assert "jira-connection.json is not a valid Jira connection" in current.json()["message"]
    await api.client.post("/v1/alerts", json=ALERT, headers=api.auth("ingest"))
    await api.drain()
    assert keys(site_a) == ["OPS-1"]  # the workers kept the connection they had


AUDITAL = {  # seed 002, "Step 2: Connect to Audital", as written (the host aside)
    "jiraBaseUrl": "https://a.jira.test",
    "userEmail": "admin@example.com",
    "apiToken": "emulator-token",
    "projects": ["AI-GOV", "ML-OPS", "CREDIT-RISK"],
    "linkPattern": "AI-[0-9]+",
    "captureFields": [
        "summary",
        "status",
        "priority",
        "assignee",
        "resolution",
        "customfield_10200",
    ],
}


async def test_audital_registration_body_is_an_alias_of_the_put(running: Api) -> None:
    api = running
    response = await api.client.post(
        "/v1/integrations/jira", json=AUDITAL, headers=api.auth("admin")
    )
    assert response.status_code == 201, response.text
    assert "emulator-token" not in response.text
    current = (await api.client.get("/v1/integrations/jira", headers=api.auth("admin"))).json()
    assert current == {
        "configured": True,
        "origin": "stored",
        "flavor": "cloud",
        "url": "https://a.jira.test/",
        "auth_type": "token",
        "user": "admin@example.com",
        "project_key": "AI-GOV",
        "projects": ["AI-GOV", "ML-OPS", "CREDIT-RISK"],
        "link_pattern": "AI-[0-9]+",
        "capture_fields": AUDITAL["captureFields"],
    }


async def test_the_registered_link_pattern_finds_keys_in_pushes(running: Api) -> None:
    api = running
    await api.client.post("/v1/integrations/jira", json=AUDITAL, headers=api.auth("admin"))
    message = "feat: update decision threshold to 0.72 [AI-142] (AI-GOV-142 is no AI key)"
    push = {
        "ref": "refs/heads/main",
        "repository": {"full_name": "acme/credit-model"},
        "commits": [{"id": "a1b2c3d4", "message": message}],
    }
    body = httpx.Request("POST", "/", json=push).read()
    response = await api.client.post(
        "/v1/sources/github", content=body, headers=github_headers(body, secret="gh-secret")
    )
    assert response.status_code == 202, response.text
    assert response.json()["push"]["commits"][0]["jira_keys"] == ["AI-142"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"userEmail": "not-an-email"}, "userEmail"),
        ({"jiraBaseUrl": "ftp://a.jira.test"}, "jiraBaseUrl"),
        ({"linkPattern": "AI-[0-9"}, "linkPattern"),
        ({"apiToken": ""}, "apiToken"),
        ({"linkPatern": "AI-[0-9]+"}, "linkPatern"),
    ],
)
async def test_a_bad_audital_body_names_the_field_it_sent(
    running: Api, change: dict[str, str], field: str
) -> None:
    api = running
    response = await api.client.post(
        "/v1/integrations/jira", json=AUDITAL | change, headers=api.auth("admin")
    )
    assert response.status_code == 422, response.text
    assert [p["path"] for p in response.json()["problems"]] == [field]
    current = (await api.client.get("/v1/integrations/jira", headers=api.auth("admin"))).json()
    assert current["configured"] is False


async def test_the_connection_test_checks_the_default_project(running: Api) -> None:
    api = running
    nope = cloud("https://a.jira.test", project_key="NOPE")
    await api.client.put("/v1/integrations/jira", json=nope, headers=api.auth("admin"))
    response = await api.client.post("/v1/integrations/jira/test", headers=api.auth("admin"))
    assert response.status_code == 409, response.text
    problems = response.json()["problems"]
    assert [p["path"] for p in problems] == ["project_key"]
    assert "NOPE" in problems[0]["message"]

    ops = cloud("https://a.jira.test", project_key="OPS")
    await api.client.put("/v1/integrations/jira", json=ops, headers=api.auth("admin"))
    response = await api.client.post("/v1/integrations/jira/test", headers=api.auth("admin"))
    assert response.status_code == 200, response.text
