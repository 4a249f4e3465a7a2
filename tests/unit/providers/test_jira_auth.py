"""Auth modes over httpx.MockTransport: what goes in the Authorization header (OAuth 2.0 and
scoped tokens: tests/integration/provider/test_jira_oauth.py, against the emulator)."""

from __future__ import annotations

import base64

import httpx
import pytest

from ticketbridge.providers.jira import auth


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
