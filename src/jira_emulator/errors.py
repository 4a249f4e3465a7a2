"""Jira-shaped refusals: `{"errorMessages": [...], "errors": {field: message}}` with a status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."


class JiraError(Exception):
    """Raised anywhere in a handler; the app answers with `status` and `body`."""

    def __init__(
        self,
        status: int,
        *,
        messages: list[str] | None = None,
        errors: Mapping[str, str] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.status = status
        if body is None:
            body = {"errorMessages": list(messages or []), "errors": dict(errors or {})}
            body.update(extra or {})
        self.body = body
        self.headers = dict(headers or {})
        super().__init__(f"{status}: {body}")


def bad_request(
    *, errors: Mapping[str, str] | None = None, messages: list[str] | None = None
) -> JiraError:
    return JiraError(400, messages=messages, errors=errors)


def not_found(message: str = ISSUE_NOT_FOUND) -> JiraError:
    return JiraError(404, messages=[message])
