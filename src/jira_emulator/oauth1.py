"""OAuth 1.0a of Jira Data Center (application links: RSA-SHA1), in the emulator.

The application link's consumer has a key and an RSA public key (`register`). The dance:

POST /plugins/servlet/oauth/request-token   signed by the consumer (oauth_callback, often `oob`)
                                            → oauth_token, oauth_token_secret, callback confirmed
GET  /plugins/servlet/oauth/authorize       ?oauth_token=… : approved at once as the first admin
                                            (or `os_username`); 302 to the callback with
                                            oauth_token and oauth_verifier, or the verifier as
                                            text for `oob`
POST /plugins/servlet/oauth/access-token    signed with the request token and oauth_verifier
                                            → oauth_token (the access token), oauth_expires_in

Then every REST request carries `Authorization: OAuth oauth_consumer_key=…, oauth_token=…,
oauth_signature_method="RSA-SHA1", oauth_signature=…, oauth_timestamp, oauth_nonce`. The
signature is checked (oauthlib builds the base string; RSA via cryptography), the timestamp
must be within five minutes, and a nonce is accepted once; a failure is Jira's 401 with
`WWW-Authenticate: OAuth realm=…, oauth_problem="signature_invalid"` (or the problem found).

Test support: `register(consumer_key, public_key_pem)`, `grant(consumer_key, username)` (an
access token without the dance), `POST /_emulator/oauth1/consumers {"consumer_key",
"public_key"}`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast
from urllib.parse import parse_qsl, urlencode

from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1.rfc5849 import signature, utils
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from jira_emulator.http import GATEWAY_USER
from jira_emulator.model import State, User

HttpMethod = Literal["CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"]
SERVLET = "/plugins/servlet/oauth/"
WINDOW = 300.0  # seconds a timestamp may be off
FORM = "application/x-www-form-urlencoded"


@dataclass
class _RequestToken:
    consumer: str
    callback: str
    verifier: str | None = None
    username: str | None = None


@dataclass
class _Checked:
    consumer: str
    token: str | None
    params: dict[str, str]


class OAuthProblem(Exception):
    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(problem)


class OAuth1Provider:
    def __init__(self, state: Callable[[], State], clock: Callable[[], float]) -> None:
        self._state = state
        self._clock = clock
        self.consumers: dict[str, str] = {}  # key → public key (PEM)
        self._request_tokens: dict[str, _RequestToken] = {}
        self.access_tokens: dict[str, tuple[str, str]] = {}  # token → (consumer, username)
        self._nonces: set[tuple[str, str, str]] = set()

    def register(self, consumer_key: str, public_key_pem: str) -> None:
        self.consumers[consumer_key] = public_key_pem

    def grant(self, consumer_key: str, username: str) -> str:
        token = secrets.token_urlsafe(24)
        self.access_tokens[token] = (consumer_key, username)
        return token

    # -- checking a signed request ----------------------------------------------------------
    def check(self, method: str, url: str, headers: Headers, body: bytes) -> _Checked:
        header = headers.get("authorization", "")
        try:
            oauth = {k: utils.unescape(v) for k, v in utils.parse_authorization_header(header)}
        except (ValueError, IndexError):
            raise OAuthProblem("parameter_absent") from None
        consumer = oauth.get("oauth_consumer_key", "")
        public_key = self.consumers.get(consumer)
        if public_key is None:
            raise OAuthProblem("consumer_key_unknown")
        if oauth.get("oauth_signature_method") != "RSA-SHA1":
            raise OAuthProblem("signature_method_rejected")
        try:
            stamp = float(oauth.get("oauth_timestamp", ""))
        except ValueError:
            raise OAuthProblem("timestamp_refused") from None
        if abs(stamp - self._clock()) > WINDOW:
            raise OAuthProblem("timestamp_refused")
        if not _verified(method, url, headers, body, oauth.get("oauth_signature", ""), public_key):
            raise OAuthProblem("signature_invalid")
        nonce = (consumer, oauth.get("oauth_nonce", ""), oauth.get("oauth_timestamp", ""))
        if nonce in self._nonces:
            raise OAuthProblem("nonce_used")
        self._nonces.add(nonce)
        return _Checked(consumer, oauth.get("oauth_token"), oauth)

    def user_for(self, checked: _Checked) -> User:
        found = self.access_tokens.get(checked.token or "")
        if found is None or found[0] != checked.consumer:
            raise OAuthProblem("token_rejected")
        user = self._state().users.get(found[1])
        if user is None or not user.active:
            raise OAuthProblem("permission_unknown")
        return user

    # -- the dance ---------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [
            Route(SERVLET + "request-token", self._request_token, methods=["POST"]),
            Route(SERVLET + "authorize", self._authorize, methods=["GET"]),
            Route(SERVLET + "access-token", self._access_token, methods=["POST"]),
        ]

    def control(self) -> Router:
        return Router(
            routes=[Route("/_emulator/oauth1/consumers", self._add_consumer, methods=["POST"])]
        )

    async def _signed(self, request: Request) -> _Checked:
        return self.check(request.method, str(request.url), request.headers, await request.body())

    async def _request_token(self, request: Request) -> Response:
        try:
            checked = await self._signed(request)
        except OAuthProblem as problem:
            return self.refusal(problem.problem)
        token = secrets.token_urlsafe(16)
        callback = checked.params.get("oauth_callback", "oob")
        self._request_tokens[token] = _RequestToken(checked.consumer, callback)
        answer = {
            "oauth_token": token,
            "oauth_token_secret": secrets.token_urlsafe(16),
            "oauth_callback_confirmed": "true",
        }
        return PlainTextResponse(urlencode(answer), media_type=FORM)

    async def _authorize(self, request: Request) -> Response:
        pending = self._request_tokens.get(request.query_params.get("oauth_token", ""))
        if pending is None:
            return PlainTextResponse("Invalid OAuth token", 401)
        state = self._state()
        wanted = request.query_params.get("os_username")
        user = (
            state.users.get(wanted)
            if wanted
            else next((u for u in state.users.values() if u.admin and u.active), None)
        )
        if user is None:
            return PlainTextResponse("No such user", 401)
        pending.verifier, pending.username = secrets.token_urlsafe(8), user.name
        if pending.callback == "oob":
            return PlainTextResponse(f"verification code: {pending.verifier}")
        token = request.query_params["oauth_token"]
        query = urlencode({"oauth_token": token, "oauth_verifier": pending.verifier})
        separator = "&" if "?" in pending.callback else "?"
        return RedirectResponse(f"{pending.callback}{separator}{query}", 302)

    async def _access_token(self, request: Request) -> Response:
        try:
            checked = await self._signed(request)
        except OAuthProblem as problem:
            return self.refusal(problem.problem)
        pending = self._request_tokens.get(checked.token or "")
        verifier = checked.params.get("oauth_verifier")
        if pending is None or pending.consumer != checked.consumer or pending.username is None:
            return self.refusal("token_rejected")
        if verifier is None or verifier != pending.verifier:
            return self.refusal("verifier_invalid")
        del self._request_tokens[checked.token or ""]
        token = self.grant(checked.consumer, pending.username)
        answer = {
            "oauth_token": token,
            "oauth_token_secret": secrets.token_urlsafe(16),
            "oauth_expires_in": "157680000",  # Jira's five years
        }
        return PlainTextResponse(urlencode(answer), media_type=FORM)

    async def _add_consumer(self, request: Request) -> Response:
        body: dict[str, Any] = await request.json()
        if not body.get("consumer_key") or not body.get("public_key"):
            return JSONResponse({"errorMessages": ["consumer_key and public_key expected"]}, 400)
        self.register(str(body["consumer_key"]), str(body["public_key"]))
        return JSONResponse({"consumer_key": body["consumer_key"]}, 201)

    def refusal(self, problem: str) -> Response:
        realm = self._state().base_url
        challenge = f'OAuth realm="{realm}", oauth_problem="{problem}"'
        return PlainTextResponse(
            f"oauth_problem={problem}", 401, headers={"WWW-Authenticate": challenge}
        )


def _verified(
    method: str, url: str, headers: Headers, body: bytes, given: str, public_key: str
) -> bool:
    """The RSA-SHA1 signature over oauthlib's base string of this request."""
    form = body if headers.get("content-type", "").startswith(FORM) else b""
    verb = cast(HttpMethod, method)
    request = OAuthRequest(url, verb, form.decode("utf-8", "replace") or None, dict(headers))
    params = signature.collect_parameters(
        uri_query=request.uri_query,
        body=parse_qsl(form.decode("utf-8", "replace")) if form else None,
        headers=dict(headers),
        exclude_oauth_signature=True,
        with_realm=False,
    )
    vars(request).update(params=params, signature=given)  # what oauthlib's endpoints set
    try:
        return bool(signature.verify_rsa_sha1(request, public_key))
    except ValueError:
        return False


class OAuth1Middleware:
    """REST requests signed with OAuth 1.0a are checked here and served as the token's user;
    other requests pass untouched (basic, PAT, the servlets)."""

    def __init__(self, inner: ASGIApp, provider: OAuth1Provider) -> None:
        self._inner = inner
        self._provider = provider

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        signed = headers.get("authorization", "").lower().startswith("oauth ")
        if scope["type"] != "http" or not signed or scope["path"].startswith(SERVLET):
            await self._inner(scope, receive, send)
            return
        request = Request(scope, receive)
        body = await request.body()
        try:
            checked = self._provider.check(scope["method"], str(request.url), headers, body)
            user = self._provider.user_for(checked)
        except OAuthProblem as problem:
            await self._provider.refusal(problem.problem)(scope, receive, send)
            return
        inner_scope = dict(scope)
        inner_scope["state"] = dict(scope.get("state") or {}) | {GATEWAY_USER: user}
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self._inner(inner_scope, replay, send)
