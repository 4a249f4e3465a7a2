"""Atlassian's authorization server (auth.atlassian.com) for OAuth 2.0 (3LO), in the emulator.

GET  /authorize                           consent is given at once (as `login_hint`'s user, else
                                          the first admin); 302 to redirect_uri?code=…&state=…
POST /oauth/token                         grant_type authorization_code (PKCE S256 checked when
                                          the authorization carried a code_challenge) or
                                          refresh_token (rotating: see below)
GET  /oauth/token/accessible-resources    the site this grant reaches: [{id: cloudId, url, …}]
POST /oauth/revoke                        {"token": …}: the grant behind it ends (the user
                                          removing the app from "Connected apps")

Rotating refresh tokens as Atlassian (Auth0) runs them: every refresh returns a new refresh
token and spends the one sent. A spent token sent again within `leeway` seconds (Atlassian: 10
minutes) still works; later, it revokes the whole grant and answers 403 invalid_grant, so the
user must consent again. Every reuse of a spent token is counted (`stats`), inside the leeway
too: a client that never reuses one is what the tests check.

Test support over HTTP (`/_emulator/oauth/…`):
POST /_emulator/oauth/clients        {"client_id", "client_secret", "redirect_uris": [...]}
POST /_emulator/oauth/scoped-tokens  {"email", "scopes": [...]} → {"token"} (a scoped API token)
POST /_emulator/oauth/revoke-grants  {"client_id"}: every grant of the app ends
GET  /_emulator/oauth                counters: codes, refreshes, spent_reuses, revoked grants
GET  /_emulator/oauth/gateway        requests served through the gateway: method, path, status,
                                     cloud id, scheme (Bearer or Basic)
PUT  /_emulator/oauth/settings       {"advance": s} ages every token without waiting;
                                     {"leeway": s}, {"access_ttl": s} change those
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route, Router

from jira_emulator.model import State, User

ACCESS_TTL = 3600.0
LEEWAY = 600.0  # Atlassian's "leeway interval" for a rotated-out refresh token
CODE_TTL = 600.0
CLASSIC_SCOPES = frozenset(
    {
        "read:jira-work",
        "write:jira-work",
        "read:jira-user",
        "manage:jira-configuration",
        "manage:jira-project",
        "manage:jira-webhook",
        "offline_access",
        "read:me",
    }
)


@dataclass
class OAuthClient:
    client_id: str
    secret: str
    redirect_uris: list[str] = field(default_factory=list)  # empty: any


@dataclass
class Grant:
    id: str
    client_id: str
    account_id: str
    scopes: frozenset[str]
    revoked: bool = False


@dataclass
class _Code:
    grant: Grant
    redirect_uri: str
    challenge: str | None
    expires_at: float


@dataclass
class _Refresh:
    grant: Grant
    spent_at: float | None = None


@dataclass
class _Access:
    grant: Grant
    expires_at: float


@dataclass
class ScopedToken:
    account_id: str
    scopes: frozenset[str]


@dataclass
class Principal:
    """Who a gateway request authenticates as, and what it may do."""

    user: User
    scopes: frozenset[str]


def _oauth_error(status: int, error: str, description: str) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status)


class AuthorizationServer:
    def __init__(
        self,
        state: Callable[[], State],
        clock: Callable[[], float],
        cloud_id: Callable[[], str],
        *,
        access_ttl: float = ACCESS_TTL,
        leeway: float = LEEWAY,
    ) -> None:
        self._state = state
        self._wall = clock
        self._cloud_id = cloud_id
        self.access_ttl = access_ttl
        self.leeway = leeway
        self.skew = 0.0  # added to the clock by PUT /_emulator/oauth/clock
        self.clients: dict[str, OAuthClient] = {}
        self.grants: dict[str, Grant] = {}
        self._codes: dict[str, _Code] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._access: dict[str, _Access] = {}
        self.scoped: dict[str, ScopedToken] = {}
        self.stats: dict[str, int] = {"codes": 0, "refreshes": 0, "spent_reuses": 0}
        self.gateway_log: list[dict[str, Any]] = []  # appended by jira_emulator.gateway

    def now(self) -> float:
        return self._wall() + self.skew

    # -- test support ------------------------------------------------------------------------
    def register(
        self, client_id: str, secret: str, redirect_uris: list[str] | None = None
    ) -> OAuthClient:
        client = OAuthClient(client_id, secret, list(redirect_uris or []))
        self.clients[client_id] = client
        return client

    def scoped_token(self, email: str, scopes: list[str]) -> str:
        user = self._state().user_by_email(email)
        if user is None:
            raise KeyError(email)
        token = "ATATT" + secrets.token_urlsafe(24)
        self.scoped[token] = ScopedToken(user.account_id, frozenset(scopes))
        return token

    def revoke_client(self, client_id: str) -> int:
        ended = [g for g in self.grants.values() if g.client_id == client_id and not g.revoked]
        for grant in ended:
            grant.revoked = True
        return len(ended)

    # -- who is calling (for the gateway) ----------------------------------------------------
    def bearer(self, token: str) -> Principal | None:
        access = self._access.get(token)
        if access is None or access.grant.revoked or access.expires_at <= self.now():
            return None
        user = self._user(access.grant.account_id)
        return Principal(user, access.grant.scopes) if user else None

    def scoped_basic(self, email: str, token: str) -> Principal | None:
        found = self.scoped.get(token)
        user = self._user(found.account_id) if found else None
        if found is None or user is None or user.email.lower() != email.lower():
            return None
        return Principal(user, found.scopes)

    def _user(self, account_id: str) -> User | None:
        user = next((u for u in self._state().users.values() if u.account_id == account_id), None)
        return user if user is not None and user.active else None

    # -- routes ------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [
            Route("/authorize", self._authorize, methods=["GET"]),
            Route("/oauth/token", self._token, methods=["POST"]),
            Route("/oauth/token/accessible-resources", self._resources, methods=["GET"]),
            Route("/oauth/revoke", self._revoke, methods=["POST"]),
        ]

    def control(self) -> Router:
        return Router(
            routes=[
                Route("/_emulator/oauth/clients", self._add_client, methods=["POST"]),
                Route("/_emulator/oauth/scoped-tokens", self._add_scoped, methods=["POST"]),
                Route("/_emulator/oauth/revoke-grants", self._revoke_grants, methods=["POST"]),
                Route("/_emulator/oauth/settings", self._settings, methods=["PUT"]),
                Route("/_emulator/oauth", self._stats, methods=["GET"]),
                Route("/_emulator/oauth/gateway", self._gateway_log, methods=["GET"]),
            ]
        )

    async def _authorize(self, request: Request) -> Response:
        params = request.query_params
        client = self.clients.get(params.get("client_id", ""))
        redirect_uri = params.get("redirect_uri", "")
        if client is None:
            return PlainTextResponse("Unknown client_id", 400)
        if client.redirect_uris and redirect_uri not in client.redirect_uris:
            return PlainTextResponse("redirect_uri is not registered for this app", 400)
        if params.get("audience") != "api.atlassian.com":
            return PlainTextResponse("audience must be api.atlassian.com", 400)
        back: dict[str, str] = {"state": params.get("state", "")}
        scopes = frozenset(params.get("scope", "").split())
        challenge = params.get("code_challenge")
        if params.get("response_type") != "code":
            back |= {"error": "unsupported_response_type"}
        elif not scopes or not scopes <= CLASSIC_SCOPES:
            back |= {"error": "invalid_scope"}
        elif challenge is not None and params.get("code_challenge_method") != "S256":
            back |= {"error": "invalid_request"}
        else:
            user = self._consenting_user(params.get("login_hint"))
            if user is None:
                back |= {"error": "access_denied"}
            else:
                grant = Grant(secrets.token_hex(8), client.client_id, user.account_id, scopes)
                code = secrets.token_urlsafe(24)
                self._codes[code] = _Code(grant, redirect_uri, challenge, self.now() + CODE_TTL)
                back |= {"code": code}
        separator = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{separator}{urlencode(back)}", 302)

    def _consenting_user(self, email: str | None) -> User | None:
        state = self._state()
        if email:
            return state.user_by_email(email)
        return next((u for u in state.users.values() if u.admin and u.active), None)

    async def _token(self, request: Request) -> Response:
        body = await _form_or_json(request)
        client = self.clients.get(str(body.get("client_id", "")))
        secret = str(body.get("client_secret", ""))
        if client is None or not hmac.compare_digest(client.secret, secret):
            return _oauth_error(401, "access_denied", "Unauthorized")
        grant_type = body.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(client, body)
        if grant_type == "refresh_token":
            return self._rotate(client, str(body.get("refresh_token", "")))
        return _oauth_error(400, "unsupported_grant_type", "Unsupported grant type")

    def _exchange_code(self, client: OAuthClient, body: dict[str, Any]) -> Response:
        code = self._codes.pop(str(body.get("code", "")), None)  # one use, right or wrong
        foreign = code is not None and code.grant.client_id != client.client_id
        if code is None or foreign or code.expires_at <= self.now():
            return _oauth_error(403, "invalid_grant", "Invalid authorization code")
        if code.redirect_uri != body.get("redirect_uri"):
            return _oauth_error(403, "invalid_grant", "redirect_uri does not match")
        if code.challenge is not None and _s256(str(body.get("code_verifier", ""))) != (
            code.challenge
        ):
            return _oauth_error(403, "invalid_grant", "Failed to verify code verifier")
        self.grants[code.grant.id] = code.grant
        self.stats["codes"] += 1
        return JSONResponse(self._issue(code.grant))

    def _rotate(self, client: OAuthClient, token: str) -> Response:
        refresh = self._refresh.get(token)
        if refresh is None or refresh.grant.client_id != client.client_id or refresh.grant.revoked:
            return _oauth_error(403, "invalid_grant", "Unknown or invalid refresh token.")
        now = self.now()
        if refresh.spent_at is not None:
            self.stats["spent_reuses"] += 1
            if now - refresh.spent_at > self.leeway:
                refresh.grant.revoked = True  # reuse outside the leeway: the family dies
                return _oauth_error(403, "invalid_grant", "Unknown or invalid refresh token.")
        else:
            refresh.spent_at = now
        self.stats["refreshes"] += 1
        return JSONResponse(self._issue(refresh.grant))

    def _issue(self, grant: Grant) -> dict[str, Any]:
        access = secrets.token_urlsafe(32)
        self._access[access] = _Access(grant, self.now() + self.access_ttl)
        answer: dict[str, Any] = {
            "access_token": access,
            "expires_in": int(self.access_ttl),
            "scope": " ".join(sorted(grant.scopes)),
            "token_type": "Bearer",
        }
        if "offline_access" in grant.scopes:
            refresh = secrets.token_urlsafe(32)
            self._refresh[refresh] = _Refresh(grant)
            answer["refresh_token"] = refresh
        return answer

    async def _resources(self, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        principal = self.bearer(header[7:]) if header.lower().startswith("bearer ") else None
        if principal is None:
            return JSONResponse({"code": 401, "message": "Unauthorized"}, 401)
        state = self._state()
        site = {
            "id": self._cloud_id(),
            "url": state.base_url,
            "name": state.base_url.split("//")[-1].split(".")[0],
            "scopes": sorted(principal.scopes - {"offline_access"}),
            "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/rocket.png",
        }
        return JSONResponse([site])

    async def _revoke(self, request: Request) -> Response:
        body = await _form_or_json(request)
        token = str(body.get("token", ""))
        found = self._refresh.get(token) or self._access.get(token)
        if found is not None:
            found.grant.revoked = True
        return Response(status_code=200)

    # -- control handlers --------------------------------------------------------------------
    async def _add_client(self, request: Request) -> Response:
        body = await _form_or_json(request)
        if not body.get("client_id") or not body.get("client_secret"):
            return JSONResponse({"errorMessages": ["client_id and client_secret expected"]}, 400)
        uris = body.get("redirect_uris")
        client = self.register(
            str(body["client_id"]),
            str(body["client_secret"]),
            uris if isinstance(uris, list) else [],
        )
        return JSONResponse({"client_id": client.client_id}, 201)

    async def _add_scoped(self, request: Request) -> Response:
        body = await _form_or_json(request)
        try:
            token = self.scoped_token(str(body.get("email")), list(body.get("scopes") or []))
        except KeyError:
            return JSONResponse({"errorMessages": ["no such user"]}, 400)
        return JSONResponse({"token": token}, 201)

    async def _revoke_grants(self, request: Request) -> Response:
        body = await _form_or_json(request)
        return JSONResponse({"revoked": self.revoke_client(str(body.get("client_id", "")))})

    async def _settings(self, request: Request) -> Response:
        body = await _form_or_json(request)
        try:
            self.skew += float(body.get("advance", 0))
            self.leeway = float(body.get("leeway", self.leeway))
            self.access_ttl = float(body.get("access_ttl", self.access_ttl))
        except (TypeError, ValueError):
            return JSONResponse({"errorMessages": ["numbers of seconds expected"]}, 400)
        settings = {"skew": self.skew, "leeway": self.leeway, "access_ttl": self.access_ttl}
        return JSONResponse(settings)

    async def _gateway_log(self, request: Request) -> Response:
        return JSONResponse(self.gateway_log)

    async def _stats(self, request: Request) -> Response:
        revoked = sum(1 for g in self.grants.values() if g.revoked)
        return JSONResponse(self.stats | {"grants": len(self.grants), "revoked_grants": revoked})


async def _form_or_json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
    try:
        parsed = json.loads(raw) if raw.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
