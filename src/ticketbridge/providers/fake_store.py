"""The fake provider's stored records and how JQL sees them (split from fake.py to keep both
readable); `FakeProvider.issues` holds `FakeIssue`s that tests read and may arrange directly."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ticketbridge.errors import FieldErrors
from ticketbridge.providers.base import Comment, Marker, Status, User
from ticketbridge.render import Document, to_text, truncate


@dataclass
class FakeComment:
    id: str
    body: Document
    author: User | None
    created: datetime
    updated: datetime


@dataclass
class FakeIssue:
    """One stored issue; tests read (and may arrange) these directly via `FakeProvider.issues`."""

    id: str
    key: str
    project: str
    issue_type: str
    summary: str
    status: Status
    created: datetime
    updated: datetime
    visible_at: float  # monotonic clock value from which search sees the issue
    description: Document | None = None
    resolution: str | None = None
    priority: str | None = None
    assignee: User | None = None
    labels: list[str] = field(default_factory=list)
    due_date: Any = None
    parent: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    comments: list[FakeComment] = field(default_factory=list)
    links: list[tuple[str, str, str]] = field(default_factory=list)  # (type, direction, key)
    remote_links: list[tuple[str, str]] = field(default_factory=list)  # (url, title)


def marker_labels(marker: Marker | None) -> list[str]:
    return [marker.label] if marker else []


def public_comment(c: FakeComment) -> Comment:
    return Comment(c.id, to_text(c.body), c.author, c.created, c.updated)


def description_text(doc: Document | None) -> str | None:
    """The description as the fake shows it: plain text, cut at Jira's 32,767 limit."""
    return None if doc is None else to_text(truncate(doc))


def as_text(value: Any) -> Any:
    return to_text(value) if isinstance(value, Document) else str(value)


def sort_key(issue: FakeIssue, name: str) -> list[str]:
    if name.lower() in ("key", "issuekey", "id"):
        return [f"{int(issue.id):012d}"]
    return jql_values(issue, name)


def jql_values(issue: FakeIssue, name: str) -> list[str]:
    """An issue's values of a JQL field, as strings."""
    simple: dict[str, list[str | None]] = {
        "project": [issue.project],
        "key": [issue.key],
        "issuekey": [issue.key],
        "id": [issue.id],
        "labels": list(issue.labels),
        "summary": [issue.summary],
        "status": [issue.status.name, issue.status.id],
        "statuscategory": [issue.status.category, _CATEGORY_NAMES[issue.status.category]],
        "issuetype": [issue.issue_type],
        "type": [issue.issue_type],
        "resolution": [issue.resolution],
        "priority": [issue.priority],
        "parent": [issue.parent],
        "created": [issue.created.isoformat()],
        "updated": [issue.updated.isoformat()],
        "assignee": (
            [issue.assignee.account_id, issue.assignee.name, issue.assignee.email]
            if issue.assignee
            else []
        ),
    }
    key = name.lower()
    if key == "issue.property[ticketbridge].fingerprint":
        return [str(issue.properties.get(Marker.PROPERTY_KEY, {}).get("fingerprint", ""))]
    if key not in simple:
        raise FieldErrors(
            "JQL refused",
            messages=[f"Field '{name}' does not exist or you do not have permission to view it."],
        )
    return [v for v in simple[key] if v]


_CATEGORY_NAMES = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}
