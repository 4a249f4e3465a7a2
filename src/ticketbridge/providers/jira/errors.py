"""Jira's answers and httpx's failures, translated into the one error tree (`ticketbridge.errors`).

Bodies Jira really sends on errors:
- an ErrorCollection `{"errorMessages": [...], "errors": {"field": "message"}, "status": 400}`;
- `{"message": "...", "status-code": 404}` (and `{"code": 401, "message": ...}` from the
  api.atlassian.com gateway);
- an HTML error page (proxies, Tomcat, maintenance pages);
- nothing at all.

Whether a request reached Jira decides what a transport failure means. A connection that was
never made (connect error/timeout, no pooled connection) is `Unavailable` even for a create:
nothing was sent. A request that was sent and then lost its answer (read timeout, dropped
connection) is `Timeout`/`Unavailable` when the call is idempotent and `OutcomeUnknown` when it
is not. Any 5xx on a create is also `OutcomeUnknown`: a 500 or a gateway 502/504 can come after
Jira committed the issue, and the marker lookup that resolves `OutcomeUnknown` costs one search,
while a blind retry costs a duplicate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from html import unescape
from typing import Any

import httpx

from ticketbridge.backoff import retry_after_seconds
from ticketbridge.errors import (
    AuthFailed,
    Conflict,
    FieldErrors,
    Forbidden,
    Gone,
    JiraError,
    NotFound,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    Timeout,
    Unavailable,
)

_SCREEN = re.compile(r"cannot be set|not on the appropriate screen|unknown", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Where:
    """What a request was about, so an error can name it: method, path, project, issue type."""

    method: str
    path: str
    project: str | None = None
    issue_type: str | None = None
    idempotent: bool = True


@dataclass(frozen=True)
class ErrorBody:
    messages: tuple[str, ...]
    fields: Mapping[str, str]


def parse_body(text: str, content_type: str = "") -> ErrorBody:
    """Messages and per-field errors from any error body shape Jira sends."""
    stripped = text.strip()
    if not stripped:
        return ErrorBody((), {})
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(stripped)
        except ValueError:
            data = None
        if isinstance(data, dict):
            return _from_json(data)
    if "html" in content_type or stripped.lstrip().lower().startswith(("<!doctype", "<html")):
        return ErrorBody((_html_summary(stripped),), {})
    return ErrorBody((stripped[:500],), {})


def _from_json(data: Mapping[str, Any]) -> ErrorBody:
    messages = [str(m) for m in data.get("errorMessages") or () if m]
    fields = {str(k): str(v) for k, v in (data.get("errors") or {}).items()}
    for key in ("message", "errorMessage", "error_description", "error"):
        value = data.get(key)
        if isinstance(value, str) and value:
            messages.append(value)
    return ErrorBody(tuple(messages), fields)


def _html_summary(html: str) -> str:
    title = _TITLE.search(html)
    text = title.group(1) if title else _TAGS.sub(" ", html)
    return " ".join(unescape(text).split())[:200] or "HTML error page"


def _summary(where: Where, status: int, body: ErrorBody) -> str:
    detail = "; ".join([*body.messages, *(f"{k}: {v}" for k, v in body.fields.items())])
    return f"Jira {status} on {where.method} {where.path}" + (f": {detail}" if detail else "")


def _hint(where: Where, fields: Mapping[str, str]) -> str | None:
    if not fields:
        return None
    scope = f"{where.project}/{where.issue_type}" if where.project else where.path
    hints = []
    for name, message in fields.items():
        if _SCREEN.search(message):
            hints.append(f"field '{name}' is not on the create screen of {scope}")
        else:
            hints.append(f"field '{name}' of {scope}: {message}")
    return "; ".join(hints)


def translate_response(response: httpx.Response, where: Where, now: datetime) -> JiraError:
    """The error for a non-2xx answer; `now` dates an HTTP-date Retry-After."""
    status = response.status_code
    body = parse_body(response.text, response.headers.get("content-type", ""))
    message = _summary(where, status, body)
    if status == 429:
        return RateLimited(
            message,
            retry_after=retry_after_seconds(response.headers, now),
            reason=response.headers.get("ratelimit-reason"),
        )
    if status >= 500:
        if not where.idempotent:
            return OutcomeUnknown(f"{message} (the write may have happened)", status=status)
        return Unavailable(message, status=status)
    simple: dict[int, type[PermanentError]] = {
        401: AuthFailed,
        403: Forbidden,
        404: NotFound,
        409: Conflict,
        410: Gone,
    }
    if status in simple:
        return simple[status](message, status=status)
    if status == 400:
        return FieldErrors(
            message,
            messages=body.messages,
            fields=body.fields,
            hint=_hint(where, body.fields),
            status=status,
        )
    return PermanentError(message, status=status)


def translate_transport(exc: httpx.TransportError, where: Where) -> JiraError:
    """The error for a request that got no HTTP answer."""
    label = f"{type(exc).__name__} on {where.method} {where.path}"
    never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    if never_sent:
        return Unavailable(f"{label}: could not connect")
    if not where.idempotent:
        return OutcomeUnknown(f"{label}: the request was sent, its outcome is unknown")
    if isinstance(exc, httpx.TimeoutException):
        return Timeout(f"{label}: no answer in time")
    return Unavailable(f"{label}: connection lost")
