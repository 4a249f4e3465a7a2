"""The emulator's Atlassian authorization server and API gateway (jira_emulator.oauth, .gateway)."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from emu_support import CLOUD_AUTH, FakeClock, Receiver

from jira_emulator import Emulator

REDIRECT = "http://127.0.0.1:8080/v1/integrations/jira/oauth/callback"
VERIFIER = "v" * 50
SCOPES = "read:jira-work write:jira-work read:jira-user offline_access"


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(clock: FakeClock) -> Emulator:
    emulator = Emulator(flavor="cloud", clock=clock, cloud_id="cloud-1")
    emulator.oauth.register("app", "app-secret", [REDIRECT])
    return emulator


@pytest.fixture
async def http(emu: Emulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=emu.transport(), base_url=emu.base_url)


async def _code(http: httpx.AsyncClient, scope: str = SCOPES, state: str = "s1") -> str:
    params = {
        "audience": "api.atlassian.com",
        "client_id": "app",
        "scope": scope,
        "redirect_uri": REDIRECT,
        "state": state,
        "response_type": "code",
        "prompt": "consent",
        "code_challenge": _challenge(VERIFIER),
        "code_challenge_method": "S256",
    }
    answer = await http.get("/authorize", params=params)
    assert answer.status_code == 302
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    assert back["state"] == [state]
    return back["code"][0]


async def _exchange(http: httpx.AsyncClient, code: str, verifier: str = VERIFIER) -> httpx.Response:
    return await http.post(
        "/oauth/token",
        json={
            "grant_type": "authorization_code",
            "client_id": "app",
            "client_secret": "app-secret",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
    )


async def _refresh(http: httpx.AsyncClient, token: str) -> httpx.Response:
    body = {
        "grant_type": "refresh_token",
        "client_id": "app",
        "client_secret": "app-secret",
        "refresh_token": token,
    }
    return await http.post("/oauth/token", json=body)


async def test_code_exchange_checks_pkce_and_is_one_time(http: httpx.AsyncClient) -> None:
    wrong = await _exchange(http, await _code(http), verifier="w" * 50)
    assert wrong.status_code == 403
    assert wrong.json()["error"] == "invalid_grant"

    code = await _code(http)
    tokens = (await _exchange(http, code)).json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["refresh_token"]
    assert (await _exchange(http, code)).status_code == 403  # a code works once


async def test_accessible_resources_and_gateway_serve_the_site(
    emu: Emulator, http: httpx.AsyncClient
) -> None:
    tokens = (await _exchange(http, await _code(http))).json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    sites = (await http.get("/oauth/token/accessible-resources", headers=bearer)).json()
    assert [(s["id"], s["url"]) for s in sites] == [("cloud-1", emu.base_url)]

    me = await http.get("/ex/jira/cloud-1/rest/api/3/myself", headers=bearer)
    assert me.status_code == 200
    assert me.json()["emailAddress"] == CLOUD_AUTH[0]
    assert emu.requests[-1].path == "/rest/api/3/myself"
    assert emu.requests[-1].headers["x-emulator-gateway"] == "cloud-1"
    assert (await http.get("/ex/jira/other/rest/api/3/myself", headers=bearer)).status_code == 404
    # The site itself does not take an OAuth access token.
    assert (await http.get("/rest/api/3/myself", headers=bearer)).status_code == 401


async def test_expired_access_token_is_refused(clock: FakeClock, http: httpx.AsyncClient) -> None:
    tokens = (await _exchange(http, await _code(http))).json()
    clock.advance(3601)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    answer = await http.get("/ex/jira/cloud-1/rest/api/3/myself", headers=bearer)
    assert answer.status_code == 401


async def test_a_missing_scope_is_refused_by_the_gateway(http: httpx.AsyncClient) -> None:
    code = await _code(http, scope="read:jira-work offline_access")
    bearer = {"Authorization": f"Bearer {(await _exchange(http, code)).json()['access_token']}"}
    read = await http.get("/ex/jira/cloud-1/rest/api/3/project", headers=bearer)
    write = await http.post(
        "/ex/jira/cloud-1/rest/api/3/issue", headers=bearer, json={"fields": {}}
    )
    assert read.status_code == 200
    assert write.status_code == 401
    assert write.json() == {"code": 401, "message": "Unauthorized; scope does not match"}


async def test_refresh_rotates_and_a_late_reuse_revokes_the_grant(
    emu: Emulator, clock: FakeClock, http: httpx.AsyncClient
) -> None:
    first = (await _exchange(http, await _code(http))).json()["refresh_token"]
    second = (await _refresh(http, first)).json()
    assert second["refresh_token"] != first
    # Within the leeway a spent token still works, but the reuse is counted.
    assert (await _refresh(http, first)).status_code == 200
    assert emu.oauth.stats["spent_reuses"] == 1
    clock.advance(601)
    late = await _refresh(http, first)
    assert late.status_code == 403
    assert late.json()["error"] == "invalid_grant"
    # The whole family died: the newest token too.
    assert (await _refresh(http, second["refresh_token"])).status_code == 403


async def test_revocation_ends_the_grant(http: httpx.AsyncClient) -> None:
    tokens = (await _exchange(http, await _code(http))).json()
    assert (await http.post("/oauth/revoke", json={"token": tokens["refresh_token"]})).is_success
    assert (await _refresh(http, tokens["refresh_token"])).status_code == 403
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await http.get("/ex/jira/cloud-1/rest/api/3/myself", headers=bearer)).status_code == 401


async def test_scoped_token_works_through_the_gateway_only(
    emu: Emulator, http: httpx.AsyncClient
) -> None:
    made = await http.post(
        "/_emulator/oauth/scoped-tokens",
        json={"email": CLOUD_AUTH[0], "scopes": ["read:jira-work", "read:jira-user"]},
    )
    auth = httpx.BasicAuth(CLOUD_AUTH[0], made.json()["token"])
    assert (await http.get("/ex/jira/cloud-1/rest/api/3/myself", auth=auth)).status_code == 200
    assert (await http.get("/rest/api/3/myself", auth=auth)).status_code == 401
    write = await http.post("/ex/jira/cloud-1/rest/api/3/issue", auth=auth, json={"fields": {}})
    assert write.status_code == 401
    # A classic (unscoped) API token is for the site, not the gateway.
    classic = httpx.BasicAuth(*CLOUD_AUTH)
    assert (await http.get("/ex/jira/cloud-1/rest/api/3/myself", auth=classic)).status_code == 401


async def test_unknown_client_or_secret_is_refused(http: httpx.AsyncClient) -> None:
    params = {"client_id": "nobody", "redirect_uri": REDIRECT, "audience": "api.atlassian.com"}
    assert (await http.get("/authorize", params=params)).status_code == 400
    body = {"grant_type": "refresh_token", "client_id": "app", "client_secret": "wrong"}
    answer = await http.post("/oauth/token", json=body)
    assert answer.status_code == 401
    assert answer.json()["error"] == "access_denied"


async def test_an_oauth_app_registers_a_dynamic_webhook_that_delivers(clock: FakeClock) -> None:
    receiver = Receiver()
    emu = Emulator(
        flavor="cloud", clock=clock, cloud_id="cloud-1", webhook_transport=receiver.transport()
    )
    emu.oauth.register("app", "app-secret", [REDIRECT])
    async with httpx.AsyncClient(transport=emu.transport(), base_url=emu.base_url) as http:
        code = await _code(http, scope=SCOPES + " manage:jira-webhook")
        bearer = {"Authorization": f"Bearer {(await _exchange(http, code)).json()['access_token']}"}
        api = "/ex/jira/cloud-1/rest/api/3"
        made = await http.post(
            f"{api}/webhook",
            headers=bearer,
            json={
                "url": "http://receiver.test/dyn",
                "webhooks": [{"events": ["jira:issue_created"], "jqlFilter": "project = OPS"}],
            },
        )
        assert made.json() == {"webhookRegistrationResult": [{"createdWebhookId": 1}]}
        listed = (await http.get(f"{api}/webhook", headers=bearer)).json()["values"]
        assert [(w["id"], w["url"], w["jqlFilter"]) for w in listed] == [
            (1, "http://receiver.test/dyn", "project = OPS")
        ]
        fields = {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "s"}
        created = await http.post(f"{api}/issue", headers=bearer, json={"fields": fields})
        assert created.status_code == 201, created.text
    await emu.drain_webhooks()
    assert [str(r.url) for r in receiver.received] == ["http://receiver.test/dyn"]
