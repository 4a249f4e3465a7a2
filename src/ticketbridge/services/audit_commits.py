"""Commits → CONFIG_CHANGE (SPEC §8): each stored GitHub push's commits become events, with the
Jira issues their messages name (`audit.link_pattern`, found at intake) fetched and embedded in
`links[].data` (`audit.capture_fields`, custom fields included), as in Audital's example. The
change-risk field (`audit.change_risk_field`: LOW/MEDIUM/HIGH) sets the event's severity, and a
remote link back to the commit is added to each issue exactly once (its `globalId` is the
commit's URL, so a repeat updates the same link). A key that does not exist or cannot be read is
recorded as such, never dropped.

Run by the audit loop of the workers (never in the HTTP request): Jira is asked first, then
the push is marked done and its events recorded in one transaction; a Jira that does not answer
leaves the push pending for the next round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from ticketbridge.clock import Clock
from ticketbridge.domain.audit import EventType, NewEvent, Subject, timestamp_text
from ticketbridge.domain.pushes import RecordedCommit, RecordedPush
from ticketbridge.errors import AuthFailed, Forbidden, Gone, NotFound, PermanentError
from ticketbridge.providers.base import Issue, Provider
from ticketbridge.services.audit_trail import issue_link
from ticketbridge.services.ports import UnitOfWorkFactory

log = structlog.get_logger(__name__)
SOURCE = "GITHUB"
RISKS = ("LOW", "MEDIUM", "HIGH")
_ROUND = 20


@dataclass(frozen=True)
class CaptureSettings:
    """`audit.capture_fields` and `audit.change_risk_field`."""

    fields: tuple[str, ...]
    change_risk_field: str | None = None


def plain(value: Any) -> Any:
    """A Jira field value as a person reads it: a user's display name, an option's value, a
    status's or priority's name; lists item by item; anything else as Jira sent it."""
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, Mapping):
        for name in ("displayName", "name", "value", "key"):
            if isinstance(value.get(name), str):
                return value[name]
    return value


def captured(issue: Issue, settings: CaptureSettings) -> dict[str, Any]:
    """Audital's `links[].data`: the captured fields, when it was created and resolved, and
    its change risk."""
    data: dict[str, Any] = {name: plain(issue.fields.get(name)) for name in settings.fields}
    data["created"] = timestamp_text(issue.created)
    resolved = issue.fields.get("resolutiondate")
    if resolved:
        data["resolved"] = resolved
    risk = _risk(issue, settings.change_risk_field)
    if risk is not None:
        data["changeRisk"] = risk
    return data


def _risk(issue: Issue, field: str | None) -> str | None:
    value = plain(issue.fields.get(field)) if field else None
    if isinstance(value, str) and value.strip().upper() in RISKS:
        return value.strip().upper()
    return None


class CommitTrail:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        provider: Provider,
        clock: Clock,
        settings: CaptureSettings,
    ) -> None:
        self._uow = uow_factory
        self._provider = provider
        self._clock = clock
        self._settings = settings

    async def run_once(self) -> int:
        """Turn the pending pushes into events; how many pushes were done. A Jira that does
        not answer (TransientError) stops the round: those pushes wait for the next."""
        async with self._uow() as uow:
            pushes = await uow.audit.pending_pushes(_ROUND)
        for push in pushes:
            events = await self._events(push)
            async with self._uow() as uow:
                if await uow.audit.mark_push_done(push.id, self._clock()):
                    uow.audit.record(events)
                    await uow.commit()
        return len(pushes)

    async def _events(self, push: RecordedPush) -> list[NewEvent]:
        issues: dict[str, dict[str, Any]] = {}
        events: list[NewEvent] = []
        for commit in push.commits:
            links = [await self._link(key, commit, push, issues) for key in commit.jira_keys]
            events.append(self._event(push, commit, links))
        return events

    async def _link(
        self,
        key: str,
        commit: RecordedCommit,
        push: RecordedPush,
        seen: dict[str, dict[str, Any]],
    ) -> dict[str, Any]:
        """The issue `key` as a link (its data fetched once per push), with a remote link
        back to `commit` added to it; or the reason it could not be read."""
        if key not in seen:
            seen[key] = await self._fetch(key)
        link = dict(seen[key])
        if "data" in link:  # readable: the commit is linked back from the issue, once
            title = f"{push.repository}@{commit.id[:12]}: {commit.message.splitlines()[0][:200]}"
            try:
                await self._provider.add_remote_link(key, commit.url, title)
                link["remoteLink"] = commit.url
            except PermanentError as refused:
                link["remoteLinkError"] = type(refused).__name__
        return link

    async def _fetch(self, key: str) -> dict[str, Any]:
        fetched_at = timestamp_text(self._clock())
        try:
            issue = await self._provider.get_issue(key)
        except (NotFound, Gone):
            return {**issue_link(key), "fetchedAt": fetched_at, "error": "not_found"}
        except (Forbidden, AuthFailed) as refused:
            reason = f"unreadable: {type(refused).__name__}"
            return {**issue_link(key), "fetchedAt": fetched_at, "error": reason}
        data = captured(issue, self._settings)
        return {**issue_link(issue.key, issue.url), "fetchedAt": fetched_at, "data": data}

    def _event(
        self, push: RecordedPush, commit: RecordedCommit, links: Sequence[dict[str, Any]]
    ) -> NewEvent:
        risks = [link["data"].get("changeRisk") for link in links if "data" in link]
        known = [r for r in risks if r in RISKS]
        payload: dict[str, Any] = {
            "commit": {
                "sha": commit.id,
                "message": commit.message,
                "url": commit.url,
                "author": {"name": commit.author_name, "email": commit.author_email},
                "timestamp": timestamp_text(commit.timestamp) if commit.timestamp else None,
            },
            "repository": push.repository,
            "ref": push.ref,
            "pusher": push.pusher,
            "push": {"id": push.id, "delivery": push.delivery_id},
            "severity": max(known, key=RISKS.index) if known else None,
        }
        first_key = commit.jira_keys[0] if commit.jira_keys else None
        return NewEvent(  # at the push's receipt: the commit's own time is in the payload
            EventType.CONFIG_CHANGE,
            SOURCE,
            push.received_at,
            payload,
            links,
            subject=Subject(ticket_key=first_key),
        )
