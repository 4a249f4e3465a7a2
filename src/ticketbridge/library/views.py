"""Issues as the seed scripts read them: `issue.key`, `issue.fields.summary`,
`issue.fields.status.name`, `issue.fields.priority.name`, `issue.fields.assignee.displayName`,
`issue.fields.created` — the shape of the `jira` client's resources, over Jira's own JSON.

`JiraObject` gives attribute access to a JSON object: nested objects are `JiraObject`s again,
lists of objects lists of them, and a field Jira sent as null is None, so
`issue.fields.priority.name if issue.fields.priority else "Unknown"` works as written. A name
Jira did not send at all is an AttributeError (a typo should not read as "empty").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ticketbridge.providers.base import Issue, IssueRef


class JiraObject(Mapping[str, Any]):
    """Read-only attribute (and item) access over one JSON object of Jira's."""

    __slots__ = ("_raw",)

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._raw = dict(raw)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name not in self._raw:  # a typo fails loudly
            known = ", ".join(sorted(self._raw)[:12])
            raise AttributeError(f"no field {name!r} (Jira sent: {known}, …)")
        return _wrap(self._raw[name])

    def __getitem__(self, name: str) -> Any:
        return _wrap(self._raw[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def raw(self) -> dict[str, Any]:
        """The JSON as Jira sent it."""
        return dict(self._raw)

    def __repr__(self) -> str:
        label = self._raw.get("name") or self._raw.get("displayName") or self._raw.get("key")
        return f"<JiraObject {label}>" if label else f"<JiraObject {sorted(self._raw)}>"


def _wrap(value: Any) -> Any:
    if isinstance(value, Mapping):
        return JiraObject(value)
    if isinstance(value, list):
        return [_wrap(item) for item in value]
    return value


@dataclass(frozen=True)
class IssueView:
    """One Jira issue: `key`, `id`, `url` and `fields` (Jira's field JSON, attribute-style)."""

    id: str
    key: str
    url: str
    fields: JiraObject

    @classmethod
    def of(cls, issue: Issue) -> IssueView:
        return cls(issue.id, issue.key, issue.url, JiraObject(issue.fields))

    @classmethod
    def ref(cls, ref: IssueRef, fields: Mapping[str, Any] | None = None) -> IssueView:
        return cls(ref.id, ref.key, ref.url, JiraObject(fields or {}))

    def __repr__(self) -> str:
        return f"<IssueView {self.key}>"
