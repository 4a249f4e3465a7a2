"""What a dead-letter entry says: Jira's own messages and a hint for the operator.

Also the text of an unexpected failure (a bug, not a Jira error). Its stored text carries the
count of failures in a row — "unexpected error (2 of 5): KeyError: 'x'" — which is how the
outbox counts them without a column of its own: the next failure reads the count back.
"""

from __future__ import annotations

import re

from ticketbridge.domain.records import Job
from ticketbridge.domain.route import Route
from ticketbridge.errors import (
    RECONNECT_HINT,
    AuthFailed,
    FieldErrors,
    Forbidden,
    GrantRevoked,
    JiraError,
    NotFound,
    PermanentError,
)

_CRASH = re.compile(r"^unexpected error \((\d+) of \d+\): ")
_MAX_MESSAGE = 500  # an exception's message can be huge (a repr of a payload): keep the start
CRASH_HINT = (
    "ticketbridge failed on this job with an unexpected error (a bug, not a Jira error) every "
    "time it ran; the worker log has the traceback (event 'outbox job crashed'). Report it, "
    "then `ticketbridge outbox retry {job_id}` once fixed"
)


class DraftFailed(PermanentError):
    """The issue (or its update) could not be drafted: a template that does not render, a
    route that fails. Retrying cannot help; `hint` names the route and template."""

    def __init__(self, message: str, *, hint: str) -> None:
        self.hint = hint
        super().__init__(message)


def describe_error(error: JiraError) -> tuple[str, str | None]:
    """What a dead-letter entry shows: Jira's own messages, and a hint for the operator."""
    parts = [str(error)]
    if isinstance(error, DraftFailed):
        return str(error), error.hint
    if isinstance(error, FieldErrors):
        parts.extend(error.messages)
        parts.extend(f"{name}: {message}" for name, message in error.fields.items())
        return "; ".join(parts), error.hint
    hints = {
        GrantRevoked: f"Atlassian ended the OAuth grant; {RECONNECT_HINT}, then "
        "`ticketbridge outbox retry` the dead jobs",
        AuthFailed: "Jira refused the credentials: check jira.auth (`ticketbridge config jira`)",
        Forbidden: "the Jira user lacks a permission on this project (browse/create/edit)",
        NotFound: "the issue, project or link type does not exist (deleted or renamed?)",
    }
    hint = next((h for cls, h in hints.items() if isinstance(error, cls)), None)
    return "; ".join(parts), hint


def draft_hint(route: Route | None) -> str:
    """The operator's hint when an issue cannot be drafted: which route and template."""
    if route is None:
        return "routing this alert failed: check the rules (`ticketbridge explain <alert id>`)"
    template = f"template {route.template!r}" if route.template else "the default template"
    name = f"route {route.name!r}" if route.name else "the defaults (no route matched)"
    return (
        f"the issue could not be drafted with {template} of {name}: fix it in "
        "ticketbridge.yaml (`ticketbridge config check`), then `ticketbridge outbox retry`"
    )


def crash_count(job: Job) -> int:
    """How many unexpected failures in a row this job had before the present claim.

    The count is read from the stored text, and never exceeds the claims since the last
    reset (an operator's retry resets attempts; any other error replaces the text)."""
    found = _CRASH.match(job.last_error or "")
    before = int(found.group(1)) if found else 0
    return max(0, min(before, job.attempts - 1))


def describe_crash(error: BaseException, count: int, limit: int) -> str:
    """The stored text of the `count`th unexpected failure: type and message, no traceback."""
    message = " ".join(str(error).split())
    if len(message) > _MAX_MESSAGE:
        message = message[:_MAX_MESSAGE] + "…"
    head = f"unexpected error ({count} of {limit}): {type(error).__name__}"
    return f"{head}: {message}" if message else head
