"""Authentication for Jira Cloud and Data Center, as `httpx.Auth` objects.

- Cloud API token: basic `email:token` (`api_token`).
- Data Center personal access token: `Authorization: Bearer <PAT>` (`personal_access_token`).
- Data Center username/password: basic (`basic`).
- Cloud OAuth 2.0 (3LO): `OAuth2ThreeLegged` refreshes the access token at auth.atlassian.com
  before it expires (and once on a 401). Atlassian rotates refresh tokens: every refresh returns
  a new one and the old one dies, so refreshes are serialised and each new token is handed to
  `on_rotate` to be stored. Requests then go to `https://api.atlassian.com/ex/jira/{cloudId}`,
  the cloudId read from accessible-resources (`oauth_base_url`), as for scoped API tokens.

Secrets never appear in messages.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass

import httpx

from ticketbridge.clock import Monotonic
from ticketbridge.errors import AuthFailed, ConfigError, Problem

TOKEN_URL = "https://auth.atlassian.com/oauth/token"  # noqa: S105 - a URL, not a secret
ACCESSIBLE_RESOURCES_URL = "https://api.atlassian.com/oauth/token/accessible-resources"
GATEWAY = "https://api.atlassian.com/ex/jira/"
_EARLY_REFRESH_SECONDS = 60.0


def api_token(email: str, token: str) -> httpx.Auth:
    return httpx.BasicAuth(email, token)


def basic(username: str, password: str) -> httpx.Auth:
    return httpx.BasicAuth(username, password)


class BearerToken(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


def personal_access_token(token: str) -> httpx.Auth:
    return BearerToken(token)


@dataclass
class _Token:
    access: str | None
    refresh: str
    expires_at: float


class OAuth2ThreeLegged(httpx.Auth):
    """Access token from a (rotating) refresh token; refreshed through the same transport."""

    requires_response_body = True

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        access_token: str | None = None,
        expires_at: float = 0.0,
        on_rotate: Callable[[str], Awaitable[None]] | None = None,
        clock: Monotonic = time.monotonic,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._token = _Token(access_token, refresh_token, expires_at)
        self._on_rotate = on_rotate
        self._clock = clock
        self._lock = asyncio.Lock()

    @property
    def access_token(self) -> str | None:
        return self._token.access

    def _fresh(self) -> bool:
        return bool(self._token.access) and self._clock() < self._token.expires_at - (
            _EARLY_REFRESH_SECONDS
        )

    def _refresh_request(self) -> httpx.Request:
        return httpx.Request(
            "POST",
            TOKEN_URL,
            json={
                "grant_type": "refresh_token",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
                "refresh_token": self._token.refresh,
            },
        )

    async def _accept(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            raise AuthFailed(
                f"OAuth refresh refused by auth.atlassian.com ({response.status_code})",
                status=response.status_code,
            )
        data = response.json()
        rotated = str(data.get("refresh_token") or self._token.refresh)
        self._token = _Token(
            str(data["access_token"]),
            rotated,
            self._clock() + float(data.get("expires_in", 3600)),
        )
        if self._on_rotate is not None and rotated:
            await self._on_rotate(rotated)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        async with self._lock:
            if not self._fresh():
                await self._accept((yield self._refresh_request()))
        request.headers["Authorization"] = f"Bearer {self._token.access}"
        response = yield request
        if response.status_code != 401:
            return
        async with self._lock:
            if self._token.access == _bearer(request):  # nobody refreshed meanwhile
                await self._accept((yield self._refresh_request()))
        request.headers["Authorization"] = f"Bearer {self._token.access}"
        yield request

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("OAuth2ThreeLegged is for httpx.AsyncClient only")


def _bearer(request: httpx.Request) -> str:
    return str(request.headers.get("Authorization", "")).removeprefix("Bearer ")


async def oauth_base_url(
    http: httpx.AsyncClient, auth: OAuth2ThreeLegged, site_url: str | None = None
) -> str:
    """`https://api.atlassian.com/ex/jira/{cloudId}` for the site the token can reach."""
    response = await http.get(ACCESSIBLE_RESOURCES_URL, auth=auth, timeout=10.0)
    if response.status_code != 200:
        raise AuthFailed(
            f"accessible-resources answered {response.status_code}", status=response.status_code
        )
    sites = response.json()
    wanted = (site_url or "").rstrip("/")
    matches = [s for s in sites if not wanted or str(s.get("url", "")).rstrip("/") == wanted]
    if len(matches) != 1:
        known = ", ".join(str(s.get("url")) for s in sites) or "none"
        raise ConfigError(
            "cannot choose the Jira site for OAuth",
            [Problem("jira.url", f"token reaches: {known}; set jira.url to one of them")],
        )
    return GATEWAY + str(matches[0]["id"])
