"""Auth modes over httpx.MockTransport: what goes in the Authorization header, OAuth rotation."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from ticketbridge.errors import AuthFailed, ConfigError
from ticketbridge.providers.jira import JiraProvider, auth


def _echo_auth(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"auth": request.headers.get("Authorization")})


@pytest.mark.parametrize(
    ("the_auth", "expected"),
    [
        (
            auth.api_token("admin@example.com", "tok"),
            "Basic " + base64.b64encode(b"admin@example.com:tok").decode(),
        ),
        (auth.basic("admin", "pw"), "Basic " + base64.b64encode(b"admin:pw").decode()),
        (auth.personal_access_token("pat"), "Bearer pat"),
    ],
)
async def test_static_auth_headers(the_auth: httpx.Auth, expected: str) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(_echo_auth), auth=the_auth) as c:
        assert (await c.get("https://jira.test/rest/api/2/myself")).json() == {"auth": expected}


class AtlassianOAuth:
    """auth.atlassian.com + api.atlassian.com as far as 3LO goes: rotating refresh tokens."""

    def __init__(self) -> None:
        self.refresh_tokens = {"r0"}
        self.access_tokens: set[str] = set()
        self.refreshes = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.atlassian.com":
            body = json.loads(request.content)
            if body["refresh_token"] not in self.refresh_tokens:
                return httpx.Response(403, json={"error": "invalid_grant"})
            self.refresh_tokens.discard(body["refresh_token"])  # rotation: old one dies
            self.refreshes += 1
            new_refresh, access = f"r{self.refreshes}", f"a{self.refreshes}"
            self.refresh_tokens.add(new_refresh)
            self.access_tokens = {access}
            return httpx.Response(
                200, json={"access_token": access, "refresh_token": new_refresh, "expires_in": 3600}
            )
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.access_tokens:
            return httpx.Response(401, json={"code": 401, "message": "Unauthorized"})
        if request.url.path == "/oauth/token/accessible-resources":
            return httpx.Response(
                200, json=[{"id": "cloud-123", "url": "https://acme.atlassian.net", "name": "acme"}]
            )
        return httpx.Response(200, json={"path": request.url.path})


async def test_oauth_refreshes_rotates_and_finds_the_cloud_id() -> None:
    server = AtlassianOAuth()
    stored: list[str] = []

    async def keep(token: str) -> None:
        stored.append(token)

    oauth = auth.OAuth2ThreeLegged(
        client_id="cid", client_secret="secret", refresh_token="r0", on_rotate=keep
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(server), auth=oauth) as http:
        base = await auth.oauth_base_url(http, oauth, "https://acme.atlassian.net")
        assert base == "https://api.atlassian.com/ex/jira/cloud-123"
        answer = await http.get(f"{base}/rest/api/3/myself")
        assert answer.json() == {"path": "/ex/jira/cloud-123/rest/api/3/myself"}
        server.access_tokens = set()  # revoked early: a 401 triggers one refresh
        answer = await http.get(f"{base}/rest/api/3/myself")
        assert answer.status_code == 200
    assert stored == ["r1", "r2"]
    assert server.refresh_tokens == {"r2"}


async def test_oauth_refresh_refused_is_auth_failed() -> None:
    oauth = auth.OAuth2ThreeLegged(client_id="c", client_secret="s", refresh_token="stale")
    async with httpx.AsyncClient(transport=httpx.MockTransport(AtlassianOAuth()), auth=oauth) as c:
        with pytest.raises(AuthFailed):
            await c.get("https://api.atlassian.com/ex/jira/x/rest/api/3/myself")


async def test_oauth_site_must_be_chosen() -> None:
    server = AtlassianOAuth()
    oauth = auth.OAuth2ThreeLegged(client_id="c", client_secret="s", refresh_token="r0")
    async with httpx.AsyncClient(transport=httpx.MockTransport(server), auth=oauth) as c:
        with pytest.raises(ConfigError):
            await auth.oauth_base_url(c, oauth, "https://other.atlassian.net")


async def test_provider_over_oauth_talks_to_the_gateway_and_links_to_the_site() -> None:
    server = AtlassianOAuth()
    rotated: list[str] = []

    async def keep(token: str) -> None:
        rotated.append(token)

    def jira(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/myself"):
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in server.access_tokens:
                return httpx.Response(401, json={"code": 401, "message": "Unauthorized"})
            assert request.url.path == "/ex/jira/cloud-123/rest/api/3/myself"
            return httpx.Response(200, json={"accountId": "712020:a", "displayName": "Bot"})
        return server(request)

    provider = await JiraProvider.over_oauth(
        site_url="https://acme.atlassian.net",
        client_id="cid",
        client_secret="secret",
        refresh_token="r0",
        on_rotate=keep,
        transport=httpx.MockTransport(jira),
    )
    try:
        me = await provider.myself()
    finally:
        await provider.aclose()
    assert (me.account_id, me.display_name) == ("712020:a", "Bot")
    assert provider.browse_url == "https://acme.atlassian.net"
    assert rotated == ["r1"]
