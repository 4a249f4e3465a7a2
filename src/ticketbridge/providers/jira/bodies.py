"""Request bodies from the port's values, and the port's values from Jira's answers.

Creating validates against createmeta: a field that is not on the create screen of the project
and issue type is dropped with a warning instead of earning a 400 for the whole issue. Users are
resolved to `accountId` (Cloud) or `name` (Data Center); an unknown user is a warning and the
issue stays unassigned.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import structlog

from ticketbridge.errors import FieldErrors, NotFound
from ticketbridge.providers.base import (
    Comment,
    FieldDef,
    Issue,
    IssueDraft,
    IssueUpdate,
    Marker,
    Transition,
)
from ticketbridge.providers.jira.dialect import Dialect
from ticketbridge.providers.jira.fields import Metadata, status_from
from ticketbridge.providers.jira.shaping import shape_value
from ticketbridge.render import clip_summary

log = structlog.get_logger(__name__)

# Cloud accountIds: "5b10a2844c20165700ede21g" (24 hex-ish) or "712020:<uuid>".
_ACCOUNT_ID = re.compile(r"^(?:[0-9a-f]{24}|\d+:[0-9a-f-]{36})$", re.IGNORECASE)


class Bodies:
    def __init__(self, metadata: Metadata, dialect: Dialect) -> None:
        self.md = metadata
        self.dialect = dialect

    async def user_id(self, who: str) -> str | None:
        """accountId (Cloud) or username (DC) for an email, name or accountId; None if unknown."""
        if self.dialect.user_key == "accountId" and _ACCOUNT_ID.match(who):
            return who  # already an accountId
        user = await self.md.find_user(who)
        user_id = self.dialect.user_id(user) if user else None
        if user_id is None:
            log.warning("user unknown to Jira; left unset", user=who)
        return user_id

    async def create(self, draft: IssueDraft) -> dict[str, Any]:
        try:
            meta = await self.md.create_meta(draft.project, draft.issue_type)
        except NotFound as exc:
            raise FieldErrors(
                str(exc),
                messages=[str(exc)],
                fields={"project": f"project '{draft.project}' does not exist or is not visible"},
                hint=f"project '{draft.project}' is unknown to Jira (or hidden from this user)",
            ) from exc
        on_screen = {m.field.id for m in meta}
        if draft.marker is not None and "labels" not in on_screen:
            raise marker_needs_labels(draft.project, draft.issue_type)
        issue_type = await self.md.issue_type(draft.project, draft.issue_type)
        fields: dict[str, Any] = {
            "project": {"key": draft.project},
            "issuetype": {"id": issue_type.id},
            "summary": clip_summary(draft.summary),
        }
        wanted = await self._system_fields(draft)
        wanted.update(await self._custom_fields(draft.fields))
        for field_id, value in wanted.items():
            if field_id in on_screen:
                fields[field_id] = value
            else:
                log.warning(
                    "field dropped: not on the create screen",
                    field=field_id,
                    project=draft.project,
                    issue_type=draft.issue_type,
                    hint=f"field '{field_id}' is not on the create screen of "
                    f"{draft.project}/{draft.issue_type}",
                )
        body: dict[str, Any] = {"fields": fields}
        if draft.marker is not None:
            body["properties"] = [
                {"key": Marker.PROPERTY_KEY, "value": draft.marker.property_value}
            ]
        return body

    async def _system_fields(self, draft: IssueDraft) -> dict[str, Any]:
        wanted: dict[str, Any] = {}
        if draft.description is not None:
            wanted["description"] = self.dialect.rich_text(draft.description)
        if draft.priority:
            wanted["priority"] = {"name": draft.priority}
        labels = [*draft.labels, *([draft.marker.label] if draft.marker else [])]
        if labels:
            wanted["labels"] = list(dict.fromkeys(labels))
        if draft.components:
            wanted["components"] = [{"name": c} for c in draft.components]
        if draft.assignee:
            user_id = await self.user_id(draft.assignee)
            if user_id:
                wanted["assignee"] = self.dialect.user_ref(user_id)
        if draft.due_date:
            wanted["duedate"] = draft.due_date.isoformat()
        if draft.parent:
            wanted["parent"] = {"key": draft.parent}
        return wanted

    async def _custom_fields(self, values: Mapping[str, Any]) -> dict[str, Any]:
        shaped: dict[str, Any] = {}
        for name, value in values.items():
            fdef = await self.md.field(name)
            if fdef is None:
                log.warning("field dropped: Jira has no such field", field=name)
                continue
            value = await self._users_in(fdef, value)
            if value is None:
                continue
            shaped[fdef.id] = shape_value(
                fdef, value, user_key=self.dialect.user_key, text=self.dialect.rich_text
            )
        return shaped

    async def _users_in(self, fdef: FieldDef, value: Any) -> Any:
        if fdef.schema_type == "user" and isinstance(value, str):
            return await self.user_id(value)
        if fdef.items == "user" and isinstance(value, list | tuple):
            ids = [await self.user_id(str(v)) for v in value]
            return [i for i in ids if i]
        return value

    async def update(self, update: IssueUpdate) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if update.summary is not None:
            fields["summary"] = clip_summary(update.summary)
        if update.description is not None:
            fields["description"] = self.dialect.rich_text(update.description)
        if update.priority is not None:
            fields["priority"] = {"name": update.priority}
        if update.assignee is not None:
            user_id = await self.user_id(update.assignee)
            if user_id:
                fields["assignee"] = self.dialect.user_ref(user_id)
        if update.due_date is not None:
            fields["duedate"] = update.due_date.isoformat()
        fields.update(await self._custom_fields(update.fields))
        body: dict[str, Any] = {}
        if fields:
            body["fields"] = fields
        ops = [{"add": label} for label in update.add_labels]
        ops += [{"remove": label} for label in update.remove_labels]
        if ops:
            body["update"] = {"labels": ops}
        return body


def marker_needs_labels(project: str, issue_type: str) -> FieldErrors:
    """Without the label the marker cannot be searched: refuse rather than risk a duplicate."""
    hint = (
        f"field 'labels' is not on the create screen of {project}/{issue_type}; "
        "ticketbridge needs it for the exactly-once marker: add Labels to that screen"
    )
    return FieldErrors(hint, fields={"labels": "not on the create screen"}, hint=hint)


def _moment(raw: Any) -> datetime:
    return datetime.fromisoformat(str(raw))


def _named(value: Any) -> str | None:
    return str(value["name"]) if isinstance(value, Mapping) and "name" in value else None


def issue_from(data: Mapping[str, Any], dialect: Dialect, browse: str) -> Issue:
    f = data.get("fields") or {}
    due = f.get("duedate")
    return Issue(
        id=str(data["id"]),
        key=str(data["key"]),
        url=f"{browse}/browse/{data['key']}",
        project=str((f.get("project") or {}).get("key", str(data["key"]).split("-")[0])),
        issue_type=_named(f.get("issuetype")) or "",
        summary=str(f.get("summary", "")),
        status=status_from(f.get("status") or {}),
        resolution=_named(f.get("resolution")),
        priority=_named(f.get("priority")),
        assignee=dialect.user_from(f.get("assignee")),
        labels=tuple(f.get("labels") or ()),
        created=_moment(f.get("created")),
        updated=_moment(f.get("updated")),
        due_date=date.fromisoformat(due) if due else None,
        fields=dict(f),
    )


def comment_from(data: Mapping[str, Any], dialect: Dialect) -> Comment:
    return Comment(
        id=str(data["id"]),
        body_text=dialect.text_of(data.get("body")),
        author=dialect.user_from(data.get("author")),
        created=_moment(data.get("created")),
        updated=_moment(data.get("updated") or data.get("created")),
    )


def transition_from(data: Mapping[str, Any]) -> Transition:
    return Transition(str(data["id"]), str(data.get("name", "")), status_from(data.get("to") or {}))
