"""Request bodies: what they may cost before the sender is known, and what they must be.

- Size: every route takes at most `DEFAULT_MAX_BODY` (`FastAPI(max_body_size=…)`, enforced by
  Starlette while the body streams in: a chunked body is cut at the limit, not buffered to its
  end); the intake routes allow `MAX_INTAKE_BODY`, and read it only once the caller passed
  every check its headers allow (`read_body`). Starlette answers a body declared too large
  with a plain-text 413 of its own; `JsonTooLarge`, outside it, makes that an `ErrorBody`.
- Who: a body whose sender the headers could not prove (a signature over the body is still to
  be checked, or a source open to anyone) is read under `UnverifiedReads`: at most a few at
  once, so unauthenticated senders can hold at most `slots × MAX_INTAKE_BODY` of memory.
- Type: `RequireJson` answers 415 to a body on `/v1/` that is not `application/json`
  (`*/*+json` too): a browser can send `text/plain` (or no type) cross-site without a
  preflight, and it must not be taken as JSON.
- Time: headers and bodies that trickle in are cut off by the server (`cli.guarded_http`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import HTTPException, Request
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ticketbridge.api.errors import error_response
from ticketbridge.errors import Problem

DEFAULT_MAX_BODY = 64 * 1024  # a Jira connection, a form: a few hundred bytes
MAX_INTAKE_BODY = 16 * 1024 * 1024  # 1,000 rich alerts fit many times over


class UnverifiedReads:
    """At most `slots` bodies read at once whose sender is not proven yet; a request that
    finds none free within `wait` seconds gets 503 with Retry-After (its body unread)."""

    def __init__(self, slots: int = 8, wait: float = 10.0) -> None:
        self._slots = asyncio.Semaphore(slots)
        self._wait = wait

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self._wait):
                await self._slots.acquire()
        except TimeoutError:
            raise HTTPException(
                503,
                "too many unauthenticated deliveries are being read at once; retry shortly",
                headers={"Retry-After": "1"},
            ) from None
        try:
            yield
        finally:
            self._slots.release()


async def read_body(request: Request, *, authenticated: bool, reads: UnverifiedReads) -> bytes:
    """The whole body (the route's `max_body_size` enforced while it streams in: 413 naming
    the limit); unauthenticated, only within a slot of `reads`."""
    if authenticated:
        return await _read(request)
    async with reads.slot():
        return await _read(request)


async def _read(request: Request) -> bytes:
    try:
        return await request.body()
    except ClientDisconnect:  # nobody to answer; no traceback in the logs for it
        raise HTTPException(400, "the client went away before sending the whole body") from None
    except HTTPException as exc:
        if exc.status_code == 413:
            limit = request.scope.get("starlette.max_body_size")
            raise HTTPException(413, f"the body is larger than {limit} bytes") from None
        raise


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class RequireJson:
    """Pure ASGI middleware: 415 for a body on `/v1/` whose Content-Type is not JSON."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in _BODY_METHODS
            and scope["path"].startswith("/v1/")
        ):
            headers = Headers(scope=scope)
            if _has_body(headers) and not _is_json(headers.get("content-type")):
                response = error_response(
                    415,
                    "unsupported_media_type",
                    "the body must be JSON",
                    [Problem("Content-Type", "must be application/json")],
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _has_body(headers: Headers) -> bool:
    return "transfer-encoding" in headers or headers.get("content-length", "0") != "0"


def _is_json(content_type: str | None) -> bool:
    """`application/json` or `application/<anything>+json`, any case, parameters allowed."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    kind, _, subtype = media.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


class JsonTooLarge:
    """Pure ASGI middleware, outermost: Starlette answers a body declared (Content-Length)
    larger than the route takes with a plain-text 413 of its own, whatever the route said;
    ours is an `ErrorBody` like every other error."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replaced = False

        async def send_json(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and _plain_413(message):
                replaced = True
                problem = Problem("Content-Length", "the body is larger than this route takes")
                response = error_response(413, "too_large", "the body is too large", [problem])
                await response(scope, receive, send)
            elif not replaced:  # the plain body of a replaced answer is dropped
                await send(message)

        await self.app(scope, receive, send_json)


def _plain_413(message: Message) -> bool:
    if message["status"] != 413:
        return False
    headers = Headers(raw=message.get("headers", []))
    return headers.get("content-type", "").startswith("text/plain")
