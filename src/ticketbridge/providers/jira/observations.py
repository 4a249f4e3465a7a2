"""Jira's issue JSON and webhook deliveries → `IssueObservation` (two-way sync, SPEC §6).

The one parser: webhook intake and reconcile both build their observations here, so a field is
read one way. Statuses are taken by id and `statusCategory.key`, never by name (localized
sites: "Fertig"). Both flavours' shapes are read: Cloud (`accountId`, epoch-ms `timestamp`) and
Server/Data Center (`name`, the timestamp sometimes a string); thin Data Center deliveries
(the issue without its fields) are flagged `thin` for one GET to complete them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ticketbridge.domain.observed import (
    IssueObservation,
    ObservedComment,
    ObservedPerson,
    ObservedVia,
    StatusChange,
)
from ticketbridge.domain.states import StatusCategory, status_category
from ticketbridge.errors import InputError, Problem
from ticketbridge.render import adf_to_text

ISSUE_EVENTS = frozenset({"jira:issue_created", "jira:issue_updated", "jira:issue_deleted"})
COMMENT_EVENTS = frozenset({"comment_created", "comment_updated", "comment_deleted"})
COMMENT_TEXT_LIMIT = 4000  # a comment's text kept for approvals and first response
# `…/rest/api/2/issue/26313/comment/31039`: Server's comment deliveries name their issue here only.
_COMMENT_ISSUE = re.compile(r"/issue/([^/\s]+)/comment/")


def observation_from_issue(
    issue: Mapping[str, Any],
    *,
    via: ObservedVia,
    changelog: Sequence[Mapping[str, Any]] | None,
    author_account_id: str | None,
) -> IssueObservation:
    """One issue as Jira's REST or a delivery shows it (`id`, `key`, `fields`).

    `changelog` are history entries (`{id, created?, author?, items}`, as
    `expand=changelog` or `changelog/bulkfetch` give them); the largest id is the watermark's
    tie-break and status items become `transitions`. `author_account_id` is who caused the
    change (the delivery's `user`, else the last history entry's author).
    """
    issue_id, issue_key = _issue_ids(issue)
    fields = issue.get("fields")
    if not isinstance(fields, Mapping) or fields.get("updated") is None:
        raise InputError(
            "issue without fields.updated", [Problem("issue.fields.updated", "missing")]
        )
    updated = moment(fields.get("updated"), "issue.fields.updated")
    status = _mapping(fields.get("status"))
    category = _category(status)
    resolution = _mapping(fields.get("resolution"))
    assignee = _mapping(fields.get("assignee"))
    histories = tuple(changelog or ())
    ids = [hid for h in histories if (hid := _int_or_none(h.get("id"))) is not None]
    author = author_account_id or _last_author(histories)
    return IssueObservation(
        issue_id=issue_id,
        issue_key=issue_key,
        updated=updated,
        via=via,
        changelog_id=max(ids) if ids else None,
        status_id=_text(status.get("id")),
        status_name=_text(status.get("name")),
        status_category=category,
        resolution_id=_text(resolution.get("id")),
        resolution=_text(resolution.get("name")),
        assignee_account_id=user_id(assignee),
        assignee_name=_text(assignee.get("displayName") or assignee.get("name")),
        priority=_text(_mapping(fields.get("priority")).get("name")),
        author_account_id=author,
        transitions=_transitions(histories, updated, status, category, author),
        comments=_issue_comments(fields),
        people=_people(_history_and_comment_authors(histories, fields)),
    )


def observation_from_delivery(body: Mapping[str, Any]) -> IssueObservation | None:
    """A webhook delivery's observation; None for an event two-way sync does not use (worklog,
    sprint, …). Raises `InputError` naming the field when the delivery cannot be used."""
    event = body.get("webhookEvent")
    if not isinstance(event, str):
        raise InputError("delivery without webhookEvent", [Problem("webhookEvent", "missing")])
    if event not in ISSUE_EVENTS | COMMENT_EVENTS:
        return None
    author = user_id(_mapping(body.get("user")))
    if event in COMMENT_EVENTS:
        return _with_user(_comment_observation(body, event, author), body)
    issue = body.get("issue")
    if not isinstance(issue, Mapping):
        raise InputError(f"{event} without its issue", [Problem("issue", "missing")])
    if event == "jira:issue_deleted":
        issue_id, issue_key = _issue_ids(issue)
        return IssueObservation(
            issue_id=issue_id,
            issue_key=issue_key,
            updated=_delivered_at(body, issue, envelope_first=True),
            via=ObservedVia.WEBHOOK,
            deleted=True,
            author_account_id=author,
            people=_people([_mapping(body.get("user"))]),
        )
    if not _has_state(issue):
        return _with_user(_thin(issue, body, author), body)
    observation = observation_from_issue(
        issue,
        via=ObservedVia.WEBHOOK,
        changelog=_delivery_history(body, issue),
        author_account_id=author,
    )
    return _with_user(observation, body)


def user_id(user: Mapping[str, Any]) -> str | None:
    """How Jira names a user: Cloud's `accountId`, Server/Data Center's `name` (else `key`,
    else the `username`/`accountId` its `self` link names: some Server deliveries carry only
    that)."""
    named = _text(user.get("accountId") or user.get("name") or user.get("key"))
    if named is not None:
        return named
    query = parse_qs(urlsplit(str(user.get("self") or "")).query)
    linked = query.get("accountId") or query.get("username") or []
    return _text(linked[0]) if linked else None


def moment(raw: Any, where: str) -> datetime:
    """A Jira time as a UTC datetime to the millisecond: ISO 8601 (`+0300` offsets too) or
    epoch milliseconds."""
    if isinstance(raw, bool):
        raise InputError("not a time", [Problem(where, f"{raw!r} is not a time")])
    if isinstance(raw, int | float):
        return datetime.fromtimestamp(raw / 1000, UTC)
    text = str(raw).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError("not a time", [Problem(where, f"{text[:40]!r} is not a time")]) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)


# --- parts ---------------------------------------------------------------------------------


def _person(user: Mapping[str, Any]) -> ObservedPerson | None:
    account = user_id(user)
    if account is None:
        return None
    return ObservedPerson(account, _text(user.get("displayName")), _text(user.get("emailAddress")))


def _people(users: Iterable[Mapping[str, Any]]) -> tuple[ObservedPerson, ...]:
    """Each account once, as the fullest description of it says (a name, an email)."""
    found: dict[str, ObservedPerson] = {}
    for user in users:
        person = _person(user)
        if person is None:
            continue
        known = found.get(person.account_id)
        found[person.account_id] = ObservedPerson(
            person.account_id,
            person.display_name or (known.display_name if known else None),
            person.email or (known.email if known else None),
        )
    return tuple(found.values())


def _with_user(observation: IssueObservation, body: Mapping[str, Any]) -> IssueObservation:
    """The delivery's `user` (who caused it) among the observation's people."""
    users = [_user_of(p) for p in observation.people] + [_mapping(body.get("user"))]
    return replace(observation, people=_people(users))


def _user_of(person: ObservedPerson) -> Mapping[str, Any]:
    return {
        "accountId": person.account_id,
        "displayName": person.display_name,
        "emailAddress": person.email,
    }


def _history_and_comment_authors(
    histories: Sequence[Mapping[str, Any]], fields: Mapping[str, Any]
) -> list[Mapping[str, Any]]:
    comments = _mapping(fields.get("comment")).get("comments") or ()
    listed = [_mapping(c) for c in comments] if isinstance(comments, list) else []
    return [_mapping(h.get("author")) for h in histories] + [
        _mapping(c.get("updateAuthor") or c.get("author")) for c in listed
    ]


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, Mapping | list):
        return None
    text = str(value).strip()
    return text or None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _issue_ids(issue: Mapping[str, Any]) -> tuple[str, str]:
    issue_id = _text(issue.get("id"))
    key = _text(issue.get("key"))
    if issue_id is None and key is None:
        raise InputError("issue without id or key", [Problem("issue.id", "missing")])
    return issue_id or "", key or ""


def _category(status: Mapping[str, Any]) -> StatusCategory | None:
    return status_category(_mapping(status.get("statusCategory")).get("key"))


def _has_state(issue: Mapping[str, Any]) -> bool:
    fields = _mapping(issue.get("fields"))
    return fields.get("updated") is not None and bool(_mapping(fields.get("status")))


def _thin(
    issue: Mapping[str, Any], body: Mapping[str, Any], author: str | None
) -> IssueObservation:
    issue_id, issue_key = _issue_ids(issue)
    history = _mapping(body.get("changelog"))
    return IssueObservation(
        issue_id=issue_id,
        issue_key=issue_key,
        updated=_delivered_at(body, issue),
        via=ObservedVia.WEBHOOK,
        changelog_id=_int_or_none(history.get("id")) if history else None,
        author_account_id=author,
        thin=True,
    )


def _delivered_at(
    body: Mapping[str, Any], issue: Mapping[str, Any], *, envelope_first: bool = False
) -> datetime:
    """When the delivered change happened: the issue's `updated`, else the envelope's
    `timestamp` (epoch ms; some Server deliveries carry a string in a locale's format). A
    deletion is dated by the envelope first: its issue still shows its last update."""
    candidates = [
        (_mapping(issue.get("fields")).get("updated"), "issue.fields.updated"),
        (body.get("timestamp"), "timestamp"),
    ]
    if envelope_first:
        candidates.reverse()
    for raw, where in candidates:
        if raw is None:
            continue
        try:
            return moment(raw, where)
        except InputError:
            continue
    raise InputError("delivery without a usable time", [Problem("timestamp", "not a time")])


def _delivery_history(body: Mapping[str, Any], issue: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A delivery's `changelog` is one history entry without its time or author: those are the
    issue's `updated` and the delivery's `user`."""
    history = _mapping(body.get("changelog"))
    if not history:
        return []
    fields = _mapping(issue.get("fields"))
    return [{**history, "created": fields.get("updated"), "author": body.get("user")}]


def _last_author(histories: Sequence[Mapping[str, Any]]) -> str | None:
    dated = [h for h in histories if _int_or_none(h.get("id")) is not None]
    if not dated:
        return None
    last = max(dated, key=lambda h: _int_or_none(h.get("id")) or 0)
    return user_id(_mapping(last.get("author")))


def _transitions(
    histories: Sequence[Mapping[str, Any]],
    updated: datetime,
    status: Mapping[str, Any],
    category: StatusCategory | None,
    fallback_author: str | None,
) -> tuple[StatusChange, ...]:
    current_id = _text(status.get("id"))
    found: list[StatusChange] = []
    for history in histories:
        created = history.get("created")
        at = moment(created, "changelog.created") if created is not None else updated
        author = user_id(_mapping(history.get("author"))) or fallback_author
        for item in history.get("items") or ():
            item = _mapping(item)
            name = str(item.get("fieldId") or item.get("field") or "").lower()
            to_id = _text(item.get("to"))
            if name != "status" or to_id is None:
                continue
            found.append(
                StatusChange(
                    at=at,
                    changelog_id=_int_or_none(history.get("id")),
                    from_status_id=_text(item.get("from")),
                    to_status_id=to_id,
                    to_category=category if to_id == current_id else None,
                    author_account_id=author,
                    to_status_name=_text(item.get("toString")),
                )
            )
    return tuple(sorted(found, key=lambda c: (c.at, c.changelog_id or 0)))


def _comment_text(body: Any) -> str:
    text = adf_to_text(body) if isinstance(body, Mapping) else ("" if body is None else str(body))
    return text[:COMMENT_TEXT_LIMIT]


def _comment(data: Mapping[str, Any], *, deleted: bool = False) -> ObservedComment | None:
    comment_id = _text(data.get("id"))
    when = data.get("updated") or data.get("created")
    if comment_id is None or when is None:
        return None
    return ObservedComment(
        comment_id=comment_id,
        at=moment(when, "comment.updated"),
        author_account_id=user_id(_mapping(data.get("updateAuthor") or data.get("author"))),
        text="" if deleted else _comment_text(data.get("body")),
        deleted=deleted,
    )


def _issue_comments(fields: Mapping[str, Any]) -> tuple[ObservedComment, ...]:
    listed = _mapping(fields.get("comment")).get("comments") or ()
    found = (_comment(_mapping(c)) for c in listed)
    return tuple(c for c in found if c is not None)


def _comment_observation(
    body: Mapping[str, Any], event: str, author: str | None
) -> IssueObservation:
    """A comment event. It carries no issue state (Server's names its issue only in the
    comment's `self`), so it never moves the watermark or the alert's state: the comment
    alone is observed, with `updated` the comment's time."""
    data = _mapping(body.get("comment"))
    comment = _comment(data, deleted=event == "comment_deleted")
    if comment is None:
        raise InputError(f"{event} without its comment", [Problem("comment.id", "missing")])
    issue = _mapping(body.get("issue"))
    issue_id, issue_key = _text(issue.get("id")), _text(issue.get("key"))
    if issue_id is None and issue_key is None:
        found = _COMMENT_ISSUE.search(str(data.get("self") or ""))
        issue_id = found.group(1) if found else None
    if issue_id is None and issue_key is None:
        raise InputError(f"{event} names no issue", [Problem("issue.id", "missing")])
    return IssueObservation(
        issue_id=issue_id or "",
        issue_key=issue_key or "",
        updated=comment.at,
        via=ObservedVia.WEBHOOK,
        author_account_id=comment.author_account_id or author,
        comments=(comment,),
        people=_people([_mapping(data.get("updateAuthor") or data.get("author"))]),
    )
