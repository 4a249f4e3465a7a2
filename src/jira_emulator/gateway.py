"""Atlassian's API gateway (api.atlassian.com/ex/jira/{cloudId}/…), in the emulator.

OAuth 2.0 (3LO) access tokens (Bearer) and scoped API tokens (basic `email:token`) are accepted
here only; a scoped token sent to the site itself gets the site's 401 (it is not the user's
classic API token). A request through the gateway is checked against its grant's classic scopes
and then served by the same Jira API, as the user behind the token:

- unknown cloud id → 404; no or unknown credentials → 401 `{"code":401,"message":"Unauthorized"}`
- a scope the operation needs is missing → 401 `Unauthorized; scope does not match` (what the
  gateway answers; Jira's own permission checks still answer 403 after it).

Requests served through the gateway show in the request log with their `/rest/…` path and an
`x-emulator-gateway` header naming the cloud id.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jira_emulator.http import GATEWAY_USER
from jira_emulator.oauth import AuthorizationServer, Principal

PREFIX = "/ex/jira/"


def needed_scope(method: str, path: str) -> str:
    """The classic scope a REST call needs (Atlassian's per-operation table, simplified)."""
    if "/webhook" in path:
        return "manage:jira-webhook"
    if path.endswith(("/myself", "/user", "/user/search", "/users/search")) or "/user/" in path:
        return "read:jira-user"
    return "read:jira-work" if method in ("GET", "HEAD") else "write:jira-work"


class Gateway:
    def __init__(
        self, inner: ASGIApp, oauth: AuthorizationServer, cloud_id: Callable[[], str]
    ) -> None:
        self._inner = inner
        self._oauth = oauth
        self._cloud_id = cloud_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rest = scope["path"][len(PREFIX) :]
        cloud_id, _, path = rest.partition("/")
        if cloud_id != self._cloud_id() or not path.startswith("rest/"):
            await _answer(scope, receive, send, 404, "Not Found")
            return
        principal = self._principal(Headers(scope=scope).get("authorization", ""))
        if principal is None:
            await _answer(scope, receive, send, 401, "Unauthorized")
            return
        path = "/" + path
        if needed_scope(scope["method"], path) not in principal.scopes:
            await _answer(scope, receive, send, 401, "Unauthorized; scope does not match")
            return
        headers = [*scope["headers"], (b"x-emulator-gateway", cloud_id.encode())]
        state = dict(scope.get("state") or {}) | {GATEWAY_USER: principal.user}
        inner_scope = dict(scope)
        inner_scope.update(path=path, raw_path=path.encode(), headers=headers, state=state)
        entry: dict[str, Any] = {
            "method": scope["method"],
            "path": path,
            "cloud_id": cloud_id,
            "scheme": Headers(scope=scope).get("authorization", "").partition(" ")[0],
            "status": None,
        }
        self._oauth.gateway_log.append(entry)

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
            await send(message)

        await self._inner(inner_scope, receive, noting)

    def _principal(self, header: str) -> Principal | None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            return self._oauth.bearer(value.strip())
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
            except (ValueError, binascii.Error, UnicodeDecodeError):
                return None
            email, sep, token = decoded.partition(":")
            return self._oauth.scoped_basic(email, token) if sep else None
        return None


async def _answer(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
    await JSONResponse({"code": status, "message": message}, status)(scope, receive, send)
