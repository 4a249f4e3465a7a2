"""GET /v1/integrations/jira/oauth/callback: the browser's way back from Atlassian's consent
(no API key; the state is the proof), against the emulator's authorization server in process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from api_harness import Api, open_api

from jira_emulator import Emulator
from ticketbridge import bootstrap
from ticketbridge.config.schema import Config

CALLBACK = "http://tb.test/v1/integrations/jira/oauth/callback"


@pytest.fixture
def emulator() -> Emulator:
    emu = Emulator(flavor="cloud", cloud_id="cloud-api")
    emu.oauth.register("app", "app-secret", [CALLBACK])
    return emu


@pytest.fixture
async def api(tmp_path: Path, emulator: Emulator) -> AsyncIterator[Api]:
    async with open_api(tmp_path, Config(), transport=emulator.transport()) as handle:
        yield handle


async def _start(api: Api, emulator: Emulator) -> str:
    connector = bootstrap.OAuthConnector(
        api.container.database,
        bootstrap.connection_store(api.container.settings),
        transport=emulator.transport(),
    )
    pending = bootstrap.PendingConnection(
        client_id="app",
        client_secret="app-secret",
        verifier="",
        redirect_uri=CALLBACK,
        auth_url=emulator.base_url,
        api_url=emulator.base_url,
        site_url=None,
        project_key="OPS",
    )
    return await connector.start(pending)


async def _consent(emulator: Emulator, url: str) -> str:
    """The path and query Atlassian sends the browser back to."""
    async with httpx.AsyncClient(transport=emulator.transport()) as browser:
        location = (await browser.get(url)).headers["location"]
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


async def test_the_callback_connects_once(api: Api, emulator: Emulator) -> None:
    back = await _consent(emulator, await _start(api, emulator))

    landed = await api.client.get(back)  # no API key: a browser has none
    assert landed.status_code == 200, landed.text
    assert "connected to Jira http://jira.test" in landed.text
    view = (await api.client.get("/v1/integrations/jira", headers=api.auth("admin"))).json()
    assert (view["configured"], view["auth_type"], view["url"]) == (
        True,
        "oauth2",
        "http://jira.test/",
    )
    assert view["project_key"] == "OPS"

    replayed = await api.client.get(back)
    assert replayed.status_code == 422
    assert replayed.json()["problems"][0]["path"] == "state"


async def test_put_of_oauth2_is_taken_once_tokens_are_stored(api: Api, emulator: Emulator) -> None:
    auth = {"type": "oauth2", "client_id": "app", "client_secret": "app-secret", "cloud_id": "c1"}
    body = {"flavor": "cloud", "url": "https://acme.atlassian.net", "auth": auth}
    body["project_key"] = "SEC"
    put = {"url": "/v1/integrations/jira", "json": body, "headers": api.auth("admin")}
    assert (await api.client.put(**put)).status_code == 422  # nothing behind it yet
    landed = await api.client.get(await _consent(emulator, await _start(api, emulator)))
    assert landed.status_code == 200, landed.text
    saved = await api.client.put(**put)
    assert saved.status_code == 200, saved.text
    assert saved.json()["project_key"] == "SEC"


@pytest.mark.parametrize(
    "query",
    [
        "state=forged&code=abc",
        "state=" + "x" * 600 + "&code=abc",
        "code=abc",
    ],
)
async def test_a_callback_we_did_not_start_is_refused_naming_the_state(
    api: Api, query: str
) -> None:
    refused = await api.client.get(f"/v1/integrations/jira/oauth/callback?{query}")
    assert refused.status_code == 422
    assert "state" in refused.text
    view = (await api.client.get("/v1/integrations/jira", headers=api.auth("admin"))).json()
    assert view["configured"] is False


async def test_a_declined_consent_is_reported_and_connects_nothing(
    api: Api, emulator: Emulator
) -> None:
    url = await _start(api, emulator)
    state = httpx.URL(url).params["state"]
    declined = await api.client.get(
        "/v1/integrations/jira/oauth/callback", params={"state": state, "error": "access_denied"}
    )
    assert declined.status_code == 422
    assert declined.json()["problems"][0]["path"] == "error"
    view = (await api.client.get("/v1/integrations/jira", headers=api.auth("admin"))).json()
    assert view["configured"] is False


async def test_search_reads_jira_through_the_oauth_grant(api: Api, emulator: Emulator) -> None:
    """Search and reconcile use the connection's client as the workers do: through the
    gateway with the stored tokens, not refused for want of them."""
    landed = await api.client.get(await _consent(emulator, await _start(api, emulator)))
    assert landed.status_code == 200, landed.text
    fields = {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "seen"}
    async with httpx.AsyncClient(
        transport=emulator.transport(),
        base_url=emulator.base_url,
        auth=("admin@example.com", "emulator-token"),
    ) as person:
        made = await person.post("/rest/api/2/issue", json={"fields": fields})
        assert made.status_code == 201, made.text
    found = await api.client.post(
        "/v1/search", json={"jql": "project = OPS"}, headers=api.auth("read")
    )
    assert found.status_code == 200, found.text
    assert [issue["summary"] for issue in found.json()["issues"]] == ["seen"]
    assert emulator.requests[-1].headers["x-emulator-gateway"] == "cloud-api"
