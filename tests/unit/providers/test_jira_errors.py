"""Every body shape Jira sends on errors lands on the right branch of the error tree."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

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
from ticketbridge.providers.jira.errors import (
    Where,
    translate_response,
    translate_transport,
)

READ = Where("GET", "/rest/api/3/issue/OPS-1")
CREATE = Where("POST", "/rest/api/3/issue", "OPS", "Bug", idempotent=False)
JSON = {"content-type": "application/json"}
NOW = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)

RESPONSES = [
    # (where, status, headers, body, expected type, text the message must hold)
    (
        CREATE,
        400,
        JSON,
        '{"errorMessages":[],"errors":{"priority":"Field \'priority\' cannot be set. '
        'It is not on the appropriate screen, or unknown."},"status":400}',
        FieldErrors,
        "priority",
    ),
    (READ, 404, JSON, '{"errorMessages":["Issue does not exist"],"errors":{}}', NotFound, "exist"),
    (READ, 401, {}, "", AuthFailed, "401"),
    (READ, 403, JSON, '{"message":"Forbidden","status-code":403}', Forbidden, "Forbidden"),
    (READ, 410, JSON, '{"errorMessages":["The requested API has been removed."]}', Gone, "removed"),
    (READ, 409, JSON, '{"errorMessages":["conflict"]}', Conflict, "conflict"),
    (
        READ,
        503,
        {"content-type": "text/html"},
        "<html><head><title>Service Unavailable</title></head><body>x</body></html>",
        Unavailable,
        "Service Unavailable",
    ),
    (CREATE, 500, {}, "", OutcomeUnknown, "may have happened"),
    (CREATE, 504, {}, "<html><title>Gateway Timeout</title></html>", OutcomeUnknown, "Gateway"),
    (READ, 418, {}, "teapot", PermanentError, "teapot"),
    (
        READ,
        401,
        JSON,
        '{"code":401,"message":"Unauthorized; scope does not match"}',
        AuthFailed,
        "scope",
    ),
]


@pytest.mark.parametrize(("where", "status", "headers", "body", "kind", "text"), RESPONSES)
def test_response_bodies_translate(
    where: Where, status: int, headers: dict[str, str], body: str, kind: type, text: str
) -> None:
    error = translate_response(httpx.Response(status, headers=headers, text=body), where, NOW)
    assert type(error) is kind
    assert text in str(error)
    assert error.status == status


def test_field_errors_carry_jira_messages_and_a_hint_naming_project_type_and_field() -> None:
    body = (
        '{"errorMessages":["bad"],"errors":{"priority":"Field \'priority\' cannot be set. It is '
        'not on the appropriate screen, or unknown.","customfield_10014":"must be a number"}}'
    )
    error = translate_response(httpx.Response(400, headers=JSON, text=body), CREATE, NOW)
    assert isinstance(error, FieldErrors)
    assert error.messages == ("bad",)
    assert set(error.fields) == {"priority", "customfield_10014"}
    assert error.hint is not None
    assert "field 'priority' is not on the create screen of OPS/Bug" in error.hint
    assert "field 'customfield_10014' of OPS/Bug: must be a number" in error.hint


RETRY_AFTER = [
    ({"retry-after": "2"}, 2.0),
    ({"retry-after": "Tue, 01 Jan 2030 12:00:05 GMT"}, 5.0),
    ({"x-ratelimit-reset": "2030-01-01T12:00:30Z"}, 30.0),
    ({"x-ratelimit-reset": "2030-01-01T12:02Z"}, 120.0),  # Jira's minute precision
    ({"x-ratelimit-reset": "2030-01-01T11:00:00Z"}, 0.0),
    ({}, None),
]


@pytest.mark.parametrize(("headers", "expected"), RETRY_AFTER)
def test_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(httpx.Headers(headers), NOW) == expected


def test_429_carries_retry_after_and_reason() -> None:
    response = httpx.Response(
        429, headers={"Retry-After": "3", "RateLimit-Reason": "jira-quota-tenant-based"}
    )
    error = translate_response(response, READ, NOW)
    assert isinstance(error, RateLimited)
    assert (error.retry_after, error.reason, error.transient) == (
        3.0,
        "jira-quota-tenant-based",
        True,
    )


REQUEST = httpx.Request("POST", "http://jira.test/rest/api/3/issue")
TRANSPORT = [
    (httpx.ConnectError("refused", request=REQUEST), CREATE, Unavailable),
    (httpx.ConnectTimeout("slow", request=REQUEST), CREATE, Unavailable),
    (httpx.ReadTimeout("slow", request=REQUEST), CREATE, OutcomeUnknown),
    (httpx.RemoteProtocolError("dropped", request=REQUEST), CREATE, OutcomeUnknown),
    (httpx.ReadTimeout("slow", request=REQUEST), READ, Timeout),
    (httpx.RemoteProtocolError("dropped", request=REQUEST), READ, Unavailable),
]


@pytest.mark.parametrize(("exc", "where", "kind"), TRANSPORT)
def test_transport_failures(exc: httpx.TransportError, where: Where, kind: type[JiraError]) -> None:
    assert type(translate_transport(exc, where)) is kind
