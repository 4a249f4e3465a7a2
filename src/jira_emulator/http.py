"""Plumbing shared by the route modules: the host protocol, auth, JSON in and out."""

from __future__ import annotations

import base64
import binascii
import json
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from jira_emulator.errors import JiraError
from jira_emulator.model import State, User
from jira_emulator.render_issue import IssueRenderer
from jira_emulator.service import IssueService

Handler = Callable[[Request, str], Awaitable[Response]]

GATEWAY_USER = "jira_emulator.gateway_user"  # set by jira_emulator.gateway, never by a client

CLOUD_401 = "Client must be authenticated to access this resource."
DC_401 = "You are not authenticated. Authentication required to perform this operation."


class Host(Protocol):
    """What route modules need from the Emulator."""

    state: State
    service: IssueService
    index_lag: float

    def compile_jql(self, text: str, user: User | None = None) -> Any: ...


class JiraJSON(JSONResponse):
    media_type = "application/json;charset=UTF-8"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def error_response(error: JiraError) -> Response:
    if isinstance(error.body, str):
        media = error.headers.pop("content-type", "text/plain;charset=UTF-8")
        return PlainTextResponse(error.body, error.status, error.headers, media_type=media)
    return JiraJSON(error.body, error.status, error.headers)


async def json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JiraError(
            400, messages=[f"Unexpected character in the request body: {exc}"]
        ) from None


def _basic(header: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(header.split(" ", 1)[1], validate=True).decode("utf-8")
    except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
        return None
    user, sep, secret = decoded.partition(":")
    return (user, secret) if sep else None


def _cloud_user(state: State, header: str) -> User | None:
    if not header.lower().startswith("basic "):
        return None
    creds = _basic(header)
    if creds is None:
        return None
    user = state.user_by_email(creds[0])
    return user if user and user.active and user.api_token == creds[1] else None


def _dc_user(state: State, header: str) -> User | None:
    lowered = header.lower()
    if lowered.startswith("bearer "):
        token = header.split(" ", 1)[1].strip()
        return next((u for u in state.users.values() if u.pat and u.pat == token), None)
    if lowered.startswith("basic "):
        creds = _basic(header)
        if creds is None:
            return None
        user = state.users.get(creds[0])
        return user if user and user.active and user.password == creds[1] else None
    return None


def authenticate(state: State, request: Request) -> User:
    """The user the request authenticates as, or the 401 the flavour answers."""
    through_gateway = request.scope.get("state", {}).get(GATEWAY_USER)
    if isinstance(through_gateway, User):  # api.atlassian.com checked the token (gateway.py)
        return through_gateway
    header = request.headers.get("authorization", "")
    if state.flavor == "cloud":
        user = _cloud_user(state, header)
        if user is None:
            raise JiraError(
                401, body=CLOUD_401, headers={"WWW-Authenticate": 'Basic realm="protected-area"'}
            )
        return user
    user = _dc_user(state, header)
    if user is not None:
        return user
    if header.lower().startswith("basic "):
        # Data Center's Seraph filter refuses bad basic credentials before REST sees them.
        raise JiraError(
            401,
            body="Basic Authentication Failure - Reason : AUTHENTICATED_FAILED",
            headers={
                "X-Seraph-LoginReason": "AUTHENTICATED_FAILED",
                "WWW-Authenticate": 'Basic realm="protected-area"',
                "content-type": "text/html;charset=UTF-8",
            },
        )
    raise JiraError(
        401, messages=[DC_401], headers={"WWW-Authenticate": 'OAuth realm="' + state.base_url + '"'}
    )


def require_admin(user: User) -> None:
    if not user.admin:
        raise JiraError(
            403,
            messages=[
                "You are not authorized to perform this operation. "
                "Only Jira administrators can manage webhooks."
            ],
        )


def renderer(host: Host, api: str) -> IssueRenderer:
    return IssueRenderer(host.state, api)


def rest_routes(
    host: Host, table: Iterable[tuple[str, str, Handler]], apis: Iterable[str]
) -> list[Route]:
    """Starlette routes for `(methods, path, handler)` under `/rest/api/{api}` for each api."""
    routes = []
    for api in apis:
        for methods, path, handler in table:
            full = path if path.startswith("/rest/") else f"/rest/api/{api}{path}"
            routes.append(Route(full, _bind(host, handler, api), methods=methods.split(",")))
    return routes


# Weak: handlers are closures over one Emulator; a strong set would keep every emulator alive.
ANONYMOUS: weakref.WeakSet[Handler] = weakref.WeakSet()


def anonymous(handler: Handler) -> Handler:
    """Mark a handler Jira serves without credentials (e.g. serverInfo)."""
    ANONYMOUS.add(handler)
    return handler


def _bind(host: Host, handler: Handler, api: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            if not (handler in ANONYMOUS and "authorization" not in request.headers):
                request.state.user = authenticate(host.state, request)
            response = await handler(request, api)
        except JiraError as error:
            return error_response(error)
        return response

    return endpoint


def actor(request: Request) -> User:
    user: User = request.state.user
    return user


def query_list(request: Request, name: str) -> list[str] | None:
    values = request.query_params.getlist(name)
    if not values:
        return None
    return [part for value in values for part in value.split(",")]


def int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise JiraError(400, messages=[f"The value '{raw}' is invalid for {name}."]) from None
