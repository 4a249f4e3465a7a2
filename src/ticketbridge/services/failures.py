"""What a dead-letter entry says: Jira's own messages and a hint for the operator."""

from __future__ import annotations

from ticketbridge.errors import AuthFailed, FieldErrors, Forbidden, JiraError, NotFound

__all__ = ["describe_error"]


def describe_error(error: JiraError) -> tuple[str, str | None]:
    """What a dead-letter entry shows: Jira's own messages, and a hint for the operator."""
    parts = [str(error)]
    if isinstance(error, FieldErrors):
        parts.extend(error.messages)
        parts.extend(f"{name}: {message}" for name, message in error.fields.items())
        return "; ".join(parts), error.hint
    hints = {
        AuthFailed: "Jira refused the credentials: check jira.auth (`ticketbridge config jira`)",
        Forbidden: "the Jira user lacks a permission on this project (browse/create/edit)",
        NotFound: "the issue, project or link type does not exist (deleted or renamed?)",
    }
    hint = next((h for cls, h in hints.items() if isinstance(error, cls)), None)
    return "; ".join(parts), hint
