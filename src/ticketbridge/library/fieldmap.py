"""Jira-style `fields={…}` dicts (as the seeds write them) → the provider's drafts and updates.

Accepted, as in Jira's REST bodies or in the seeds' shorthand:

    summary        "text"
    description    "Markdown text" (rendered to ADF on Cloud, wiki markup on DC), or a Document
    priority       "High" | {"name": "High"}
    labels         ["a", "b"]
    assignee       {"emailAddress": …} | {"accountId": …} | {"name": …} | "email/id/username"
    components     [{"name": "api"}] | ["api"]
    duedate        "2026-03-01" (also `due_date`)
    parent         {"key": "OPS-1"} | "OPS-1"
    customfield_N  the plain value (the provider shapes it from the field's schema)

Any other key goes to the provider as a field by id or display name. A value of the wrong
shape is an `InputError` naming `fields.<key>`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from ticketbridge.errors import InputError, Problem
from ticketbridge.providers.base import IssueDraft, IssueUpdate, Marker
from ticketbridge.render import Document, parse_markdown

_MARKER_LABEL = re.compile(r"tb-[0-9a-f]{16}")  # providers.base.Marker.label
_USER_KEYS = ("emailAddress", "accountId", "name", "key", "id")
_HANDLED = {
    "summary",
    "description",
    "priority",
    "labels",
    "assignee",
    "components",
    "duedate",
    "due_date",
    "parent",
    "project",
    "issuetype",
}


def draft_from_fields(
    project_key: str,
    issue_type: str,
    fields: Mapping[str, Any],
    *,
    marker: Marker | None = None,
) -> IssueDraft:
    summary = fields.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise InputError("cannot create the issue", [Problem("fields.summary", "required text")])
    return IssueDraft(
        project=project_key,
        issue_type=issue_type,
        summary=summary,
        description=_description(fields.get("description")),
        priority=_named("priority", fields.get("priority")),
        labels=tuple(_strings("labels", fields.get("labels"))),
        components=tuple(_components(fields.get("components"))),
        assignee=_user("assignee", fields.get("assignee")),
        due_date=_date(fields),
        parent=_parent(fields.get("parent")),
        fields=_others(fields),
        marker=marker,
    )


def update_from_fields(
    fields: Mapping[str, Any], current_labels: Sequence[str] = ()
) -> IssueUpdate:
    """`labels` replaces the issue's labels, as in Jira: the difference with `current_labels`
    becomes labels added and removed (the port edits labels, it does not set them). The
    pipeline's marker label (`tb-…`) stays: it is how a create of unknown outcome is found."""
    summary = fields.get("summary")
    if summary is not None and not isinstance(summary, str):
        raise InputError("cannot update the issue", [Problem("fields.summary", "must be text")])
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    if "labels" in fields:
        wanted = _strings("labels", fields["labels"])
        add = tuple(label for label in wanted if label not in current_labels)
        remove = tuple(
            label
            for label in current_labels
            if label not in wanted and not _MARKER_LABEL.fullmatch(label)
        )
    return IssueUpdate(
        summary=summary,
        description=_description(fields.get("description")),
        priority=_named("priority", fields.get("priority")),
        assignee=_user("assignee", fields.get("assignee")),
        due_date=_date(fields),
        add_labels=add,
        remove_labels=remove,
        fields=_others(fields),
    )


def _problem(key: str, message: str) -> InputError:
    return InputError("the issue fields are invalid", [Problem(f"fields.{key}", message)])


def _description(value: Any) -> Document | None:
    if value is None or isinstance(value, Document):
        return value
    if isinstance(value, str):
        return parse_markdown(value)
    raise _problem("description", "must be Markdown text")


def _named(key: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("name"), str):
        return str(value["name"])
    raise _problem(key, 'must be a name or {"name": …}')


def _strings(key: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise _problem(key, "must be a list of strings")
    if not all(isinstance(item, str) for item in value):
        raise _problem(key, "must be a list of strings")
    return list(value)


def _components(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise _problem("components", 'must be a list of {"name": …} or names')
    return [str(_named("components", item)) for item in value]


def _user(key: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        for user_key in _USER_KEYS:
            if isinstance(value.get(user_key), str):
                return str(value[user_key])
    raise _problem(key, 'must be {"emailAddress": …}, {"accountId": …} or {"name": …}')


def _date(fields: Mapping[str, Any]) -> date | None:
    key = "duedate" if "duedate" in fields else "due_date"
    value = fields.get(key)
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _problem(key, "must be a date like 2026-03-01") from None


def _parent(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("key"), str):
        return str(value["key"])
    raise _problem("parent", 'must be an issue key or {"key": …}')


def _others(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if key not in _HANDLED}
