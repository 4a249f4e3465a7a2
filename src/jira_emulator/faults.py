"""Fault injection per route: latency, 5xx answers, hangs and connections dropped after commit.

A rule matches a request by method (None or "*" for any) and path: a regular expression matched
at the start of the path, so a plain prefix works as is; Jira-style `{placeholders}` stand for
one path segment (`/rest/api/3/issue/{key}/comment`). It fires with `probability` (drawn from a
seedable RNG) and expires after `count` firings (None: never). The first matching rule that
fires decides. Kinds:

- `latency`: wait `delay` seconds, then let the request through;
- `status`: answer `status` without calling Jira (the write does not happen), with `body` or a
  Jira-like default (a JSON ErrorCollection for 500, an HTML proxy page for 502/503/504);
- `hang`: never answer (until the client gives up and cancels, or `delay` seconds, default
  one hour, pass; then 504);
- `drop_after_commit`: run the request fully — the write happens — then drop the connection
  instead of answering: the response head is sent and `DroppedConnection` raised, so under
  uvicorn the socket closes mid-response, and in process the emulator's transport turns it
  into `httpx.RemoteProtocolError`. Either way the client gets no usable answer.

`/_emulator/*` is never faulted.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

KINDS = frozenset(("latency", "status", "hang", "drop_after_commit"))
HANG_CAP = 3600.0
_PLACEHOLDER = re.compile(r"\{[^}/]*\}")

Sleep = Callable[[float], Awaitable[None]]


class DroppedConnection(ConnectionError):
    """The server dropped the connection after the request's effects were committed."""


def _compile(path: str) -> re.Pattern[str]:
    try:
        return re.compile(_PLACEHOLDER.sub("[^/]+", path))
    except re.error as exc:
        raise ValueError(f"path: not a valid regular expression ({exc})") from None


def _default_body(status: int) -> tuple[bytes, bytes]:
    """(content type, body) Jira or the proxy in front of it sends for `status`."""
    if status in (502, 503, 504):
        title = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}[status]
        page = (
            f"<!DOCTYPE html><html><head><title>{status} {title}</title></head><body>"
            f"<h1>{title}</h1><p>The Jira site is temporarily unable to answer. "
            "Try again later.</p></body></html>"
        )
        return b"text/html;charset=UTF-8", page.encode()
    message = "Internal server error" if status >= 500 else f"HTTP {status}"
    body = {"errorMessages": [message], "errors": {}}
    return b"application/json;charset=UTF-8", json.dumps(body).encode()


@dataclass
class FaultRule:
    """One rule; `remaining` counts down from `count` (None: unlimited)."""

    kind: str
    method: str | None
    path: str
    status: int = 503
    delay: float = 0.0
    probability: float = 1.0
    count: int | None = None
    body: str | dict[str, Any] | None = None
    retry_after: float | None = None
    pattern: re.Pattern[str] = field(init=False, repr=False)
    fired: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind: must be one of {sorted(KINDS)}, not {self.kind!r}")
        if not 100 <= int(self.status) <= 599:
            raise ValueError(f"status: {self.status} is not an HTTP status code")
        if not 0.0 <= float(self.probability) <= 1.0:
            raise ValueError("probability: must be between 0 and 1")
        if self.count is not None and int(self.count) < 1:
            raise ValueError("count: must be a positive number of firings, or null")
        if float(self.delay) < 0:
            raise ValueError("delay: must not be negative")
        self.method = None if self.method in (None, "*") else str(self.method).upper()
        self.pattern = _compile(self.path)

    @property
    def expired(self) -> bool:
        return self.count is not None and self.fired >= self.count

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and bool(self.pattern.match(path))

    def response(self) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        if self.body is None:
            content_type, body = _default_body(self.status)
        elif isinstance(self.body, str):
            content_type, body = b"text/plain;charset=UTF-8", self.body.encode()
        else:
            content_type, body = b"application/json;charset=UTF-8", json.dumps(self.body).encode()
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
        if self.retry_after is not None:
            headers.append((b"retry-after", str(int(self.retry_after)).encode()))
        return self.status, headers, body


class FaultInjector:
    """The rules in force; `add` one, `clear` them all. Thread-safe."""

    def __init__(self, *, seed: int | None = None, sleep: Sleep = asyncio.sleep) -> None:
        self.rules: list[FaultRule] = []
        self.random = random.Random(seed)  # noqa: S311 - fault dice, not cryptography
        self.sleep = sleep
        self._lock = threading.Lock()

    def add(
        self,
        method: str | None = None,
        path: str = "/",
        kind: str = "status",
        status: int = 503,
        delay: float = 0.0,
        probability: float = 1.0,
        count: int | None = None,
        body: str | dict[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> FaultRule:
        """Add a rule (see the module docstring); bad values raise ValueError naming the field."""
        rule = FaultRule(
            kind, method, path, int(status), float(delay), float(probability),
            None if count is None else int(count), body, retry_after,
        )  # fmt: skip
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def seed(self, seed: int | None) -> None:
        self.random.seed(seed)

    def pick(self, method: str, path: str) -> FaultRule | None:
        """The rule that fires for this request, if any (spending one of its firings)."""
        with self._lock:
            for rule in self.rules:
                if rule.expired or not rule.matches(method.upper(), path):
                    continue
                if rule.probability < 1.0 and self.random.random() >= rule.probability:
                    continue
                rule.fired += 1
                return rule
            self.rules = [rule for rule in self.rules if not rule.expired]
        return None


class FaultMiddleware:
    """Pure ASGI: applies the injector's rules in front of the emulator's routes."""

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator"):
            await self.app(scope, receive, send)
            return
        rule = self.injector.pick(scope["method"], scope["path"])
        if rule is None:
            await self.app(scope, receive, send)
        elif rule.kind == "latency":
            await self.injector.sleep(rule.delay)
            await self.app(scope, receive, send)
        elif rule.kind == "status":
            await self._answer(send, *rule.response())
        elif rule.kind == "hang":
            await self.injector.sleep(rule.delay or HANG_CAP)
            await self._answer(send, *FaultRule("status", None, "/", status=504).response())
        else:
            await self._drop_after_commit(scope, receive, send)

    @staticmethod
    async def _answer(
        send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _drop_after_commit(self, scope: Scope, receive: Receive, send: Send) -> None:
        head: list[Message] = []

        async def swallow(message: Message) -> None:
            if message["type"] == "http.response.start":
                head.append(message)

        await self.app(scope, receive, swallow)
        if head:  # a server has flushed the head; the body never comes
            await send(head[0])
        raise DroppedConnection(f"{scope['method']} {scope['path']}: dropped after commit")
