"""Atlassian OAuth 2.0 (3LO) and the API gateway, the protocol half (no storage here).

- `start_authorization`: the auth.atlassian.com/authorize URL with a state and a PKCE (S256)
  challenge; the caller keeps the state and the verifier until the callback.
- `exchange_code` / `refresh_tokens`: the token endpoint. Atlassian rotates refresh tokens:
  the answer's refresh token replaces the one sent, which is spent. `invalid_grant` means the
  grant is gone (`GrantRevoked`: only a new consent helps); a refused client is `AuthFailed`.
- `accessible_sites`: the sites (cloud ids) an access token reaches.
- `GatewayBearer`: the `httpx.Auth` of a provider over OAuth: each request takes the access
  token from a `TokenSource` (which refreshes, once across processes: bootstrap.jira_oauth);
  a 401 asks once for a token newer than the one refused.
- `CloudIdRouting`: a scoped API token works only through api.atlassian.com/ex/jira/{cloudId};
  this transport asks the site its cloud id (`/_edge/tenant_info`) once and sends each request
  for the site to the gateway instead.

Plain httpx rather than Authlib's client: its refresh runs inside each client as requests go
(and tells us the new token afterwards), where a rotated token must be claimed across processes
before it is spent; what is left (an URL, S256, two POSTs) is a few lines. Secrets are never in
a message: only statuses and Atlassian's error codes.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx

from ticketbridge.errors import AuthFailed, GrantRevoked, JiraError, Unavailable

_TIMEOUT = httpx.Timeout(10.0)


@dataclass(frozen=True)
class AtlassianEndpoints:
    """auth.atlassian.com and api.atlassian.com, or the emulator standing in for both."""

    auth_url: str = "https://auth.atlassian.com"
    api_url: str = "https://api.atlassian.com"

    @property
    def authorize(self) -> str:
        return self.auth_url.rstrip("/") + "/authorize"

    @property
    def token(self) -> str:
        return self.auth_url.rstrip("/") + "/oauth/token"

    @property
    def resources(self) -> str:
        return self.api_url.rstrip("/") + "/oauth/token/accessible-resources"

    def gateway(self, cloud_id: str) -> str:
        return f"{self.api_url.rstrip('/')}/ex/jira/{cloud_id}"


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    client_secret: str
    endpoints: AtlassianEndpoints


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: float  # seconds since the epoch
    scope: str = ""


@dataclass(frozen=True)
class Authorization:
    """A started authorization: `url` for the user; `state` and `verifier` for the callback."""

    url: str
    state: str
    verifier: str


@dataclass(frozen=True)
class Site:
    cloud_id: str
    url: str
    name: str


class TokenSource(Protocol):
    async def access_token(self, *, refused: str | None = None) -> str:
        """A valid access token; `refused`: one the gateway just refused (give a newer one)."""
        ...


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def start_authorization(
    client_id: str, endpoints: AtlassianEndpoints, redirect_uri: str, scopes: Sequence[str]
) -> Authorization:
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters: within PKCE's 43..128
    query = {
        "audience": "api.atlassian.com",
        "client_id": client_id,
        "scope": " ".join(scopes),
        "redirect_uri": redirect_uri,
        "state": state,
        "response_type": "code",
        "prompt": "consent",
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
    }
    return Authorization(f"{endpoints.authorize}?{urlencode(query)}", state, verifier)


async def exchange_code(
    http: httpx.AsyncClient,
    client: OAuthClient,
    *,
    code: str,
    redirect_uri: str,
    verifier: str,
    now: float,
) -> TokenSet:
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    return await _token_request(http, client, body | {"code_verifier": verifier}, now)


async def refresh_tokens(
    http: httpx.AsyncClient, client: OAuthClient, refresh_token: str, now: float
) -> TokenSet:
    body = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return await _token_request(http, client, body, now)


async def _token_request(
    http: httpx.AsyncClient, client: OAuthClient, body: dict[str, str], now: float
) -> TokenSet:
    credentials = {"client_id": client.client_id, "client_secret": client.client_secret}
    try:
        response = await http.post(
            client.endpoints.token, json=body | credentials, timeout=_TIMEOUT
        )
    except httpx.TransportError as exc:
        raise Unavailable(
            f"the Atlassian token endpoint is unreachable ({type(exc).__name__})"
        ) from None
    data = _json(response)
    if response.status_code == 200 and isinstance(data.get("access_token"), str):
        refresh = data.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            raise AuthFailed("Atlassian returned no refresh token: add the offline_access scope")
        expires_in = float(data.get("expires_in") or 3600)
        return TokenSet(data["access_token"], refresh, now + expires_in, str(data.get("scope", "")))
    error = str(data.get("error") or "")
    if error == "invalid_grant":
        raise GrantRevoked(str(data.get("error_description") or "invalid_grant")[:200])
    if response.status_code >= 500 or response.status_code == 429:
        raise Unavailable(f"the Atlassian token endpoint answered {response.status_code}")
    raise AuthFailed(
        f"the Atlassian token endpoint refused the app ({response.status_code} {error[:40]}): "
        "check the OAuth client id and secret",
        status=response.status_code,
    )


async def accessible_sites(
    http: httpx.AsyncClient, endpoints: AtlassianEndpoints, access_token: str
) -> list[Site]:
    headers = {"Authorization": f"Bearer {access_token}"}
    try:
        response = await http.get(endpoints.resources, headers=headers, timeout=_TIMEOUT)
    except httpx.TransportError as exc:
        raise Unavailable(f"accessible-resources is unreachable ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise AuthFailed(
            f"accessible-resources answered {response.status_code}", status=response.status_code
        )
    listed = response.json()
    if not isinstance(listed, list):
        raise JiraError("accessible-resources answered something other than a list")
    return [
        Site(str(s["id"]), str(s.get("url", "")).rstrip("/"), str(s.get("name", "")))
        for s in listed
        if isinstance(s, dict) and s.get("id")
    ]


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class GatewayBearer(httpx.Auth):
    """Bearer access tokens from a `TokenSource`; one retry with a newer token after a 401,
    unless the gateway said the grant lacks a scope (a new token would not have it either)."""

    def __init__(self, tokens: TokenSource) -> None:
        self._tokens = tokens

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> Any:  # AsyncGenerator[httpx.Request, httpx.Response]
        token = await self._tokens.access_token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401:
            return
        await response.aread()  # to tell "scope does not match" from an expired token
        if "scope does not match" in response.text:
            return
        newer = await self._tokens.access_token(refused=token)
        if newer != token:
            request.headers["Authorization"] = f"Bearer {newer}"
            yield request

    def sync_auth_flow(self, request: httpx.Request) -> Any:
        raise RuntimeError("GatewayBearer is for httpx.AsyncClient only")


class CloudIdRouting(httpx.AsyncBaseTransport):
    """Requests for `site_url` go to the gateway of the site's cloud id (asked once)."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        site_url: str,
        endpoints: AtlassianEndpoints,
        cloud_id: str | None = None,
    ) -> None:
        self._inner = inner
        self._site = httpx.URL(site_url.rstrip("/") + "/")
        self._endpoints = endpoints
        self._cloud_id = cloud_id

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.raw_path.decode("ascii")
        same_site = (request.url.scheme, request.url.netloc) == (
            self._site.scheme,
            self._site.netloc,
        )
        if not same_site or not path.startswith(self._site.path + "rest/"):
            return await self._inner.handle_async_request(request)
        cloud_id = self._cloud_id or await self._ask_cloud_id()
        rest = path[len(self._site.path) - 1 :]
        request.url = httpx.URL(self._endpoints.gateway(cloud_id) + rest)
        request.headers["Host"] = request.url.netloc.decode("ascii")
        return await self._inner.handle_async_request(request)

    async def _ask_cloud_id(self) -> str:
        url = self._site.join("_edge/tenant_info")
        ask = httpx.Request("GET", url, headers={"Accept": "application/json"})
        ask.extensions["timeout"] = _TIMEOUT.as_dict()
        try:
            response = await self._inner.handle_async_request(ask)
            await response.aread()
        except httpx.TransportError as exc:
            raise Unavailable(
                f"the site's tenant_info is unreachable ({type(exc).__name__})"
            ) from None
        cloud_id = _json(response).get("cloudId") if response.status_code == 200 else None
        if not isinstance(cloud_id, str) or not cloud_id:
            raise JiraError(
                f"the site answered /_edge/tenant_info with {response.status_code} and no "
                "cloudId: a scoped API token needs a Jira Cloud site",
                status=response.status_code,
            )
        self._cloud_id = cloud_id
        return cloud_id

    async def aclose(self) -> None:
        await self._inner.aclose()
