"""Translating errors into HTTP answers, at this boundary and nowhere else.

Every error answer is an `ErrorBody`: {"error": code, "message": …, "problems": [{path, message}]}.
Users never see a stack trace; unexpected failures are logged with a request id they can quote.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ticketbridge.api.auth import AuthError
from ticketbridge.errors import (
    AuthFailed,
    ConfigError,
    InputError,
    JiraError,
    Problem,
    RateLimited,
    SourceAuthError,
    SourceNotGranted,
    TicketBridgeError,
    TransientError,
    field_path,
    problems_of,
)

log = structlog.get_logger("ticketbridge.api")


def error_response(
    status: int,
    code: str,
    message: str,
    problems: Iterable[Problem] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "error": code,
        "message": message,
        "problems": [_problem(p) for p in problems],
    }
    return JSONResponse(body, status_code=status, headers=headers)


def _problem(problem: Problem) -> dict[str, Any]:
    out: dict[str, Any] = {"path": problem.path, "message": problem.message}
    if problem.line is not None:
        out["line"] = problem.line
    return out


def loc_to_path(loc: Sequence[int | str]) -> str:
    """FastAPI's ("body", 3, "severity") → "[3].severity"; ("query", "limit") → "limit"."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return field_path(parts, root="body")


async def _auth_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AuthError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return error_response(exc.status, exc.code, exc.message, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = problems_of(exc, loc_to_path)
    return error_response(422, "validation_failed", "the request is not valid", problems)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
        exc.status_code, "http_error"
    )
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


async def _ticketbridge_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TicketBridgeError)
    if isinstance(exc, InputError):
        return error_response(422, "validation_failed", _head(exc), exc.problems)
    if isinstance(exc, SourceAuthError):
        return error_response(401, "source_unauthorized", str(exc))
    if isinstance(exc, SourceNotGranted):
        return error_response(403, "source_forbidden", _head(exc), exc.problems)
    if isinstance(exc, ConfigError):
        return error_response(409, "config_invalid", _head(exc), exc.problems)
    if isinstance(exc, RateLimited):
        retry = {"Retry-After": str(int(exc.retry_after))} if exc.retry_after else None
        return error_response(503, "jira_rate_limited", str(exc), headers=retry)
    if isinstance(exc, TransientError):
        return error_response(503, "jira_unavailable", str(exc))
    if isinstance(exc, AuthFailed):
        return error_response(502, "jira_refused", f"Jira refused our credentials: {exc}")
    if isinstance(exc, JiraError):
        return error_response(502, "jira_error", str(exc))
    return _internal(request, exc)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    return _internal(request, exc)


def _internal(request: Request, exc: Exception) -> JSONResponse:
    incident = uuid.uuid4().hex[:12]
    log.error(
        "unhandled_error",
        incident=incident,
        method=request.method,
        path=request.url.path,
        exc_info=exc,
    )
    return error_response(500, "internal", f"internal error (incident {incident}); see the logs")


def _head(exc: TicketBridgeError) -> str:
    """The message without the joined problem list (the problems travel structured)."""
    text = str(exc)
    problems: tuple[Problem, ...] = getattr(exc, "problems", ())
    detail = "; ".join(str(p) for p in problems)
    return text.removesuffix(f": {detail}") if detail else text


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AuthError, _auth_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(TicketBridgeError, _ticketbridge_error)
    app.add_exception_handler(Exception, _unexpected)
