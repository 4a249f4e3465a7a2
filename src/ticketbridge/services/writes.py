"""The Jira write of each follow-up job kind (everything but the create): what it sends, and
what it learned (`domain.life.Written`: the digest written, the issue's status as Jira has
it). Pure of storage: it receives the ticket, the alert and a link job's resolved targets; the
outbox applies what it learned to the ticket (`domain.life.after_write`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import structlog

from ticketbridge.domain import Alert, JobKind, StatusCategory, Ticket
from ticketbridge.domain.life import DigestWritten, IssueMoved, Written
from ticketbridge.domain.route import Route
from ticketbridge.errors import ConfigError, FieldErrors, InputError, NotFound, PermanentError
from ticketbridge.providers.base import IssueDraft, IssueUpdate, Provider, Transition
from ticketbridge.render import clip_summary
from ticketbridge.render.document import Block, Document, Paragraph, Text
from ticketbridge.services.compose import alert_table
from ticketbridge.services.escalation import write_escalation
from ticketbridge.services.failures import DraftFailed, draft_hint
from ticketbridge.services.ports import IssueComposer, RouteSeam
from ticketbridge.services.settings import PipelineSettings

log = structlog.get_logger(__name__)


def _para(text: str) -> Paragraph:
    return Paragraph((Text(text),))


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


def digest_document(ticket: Ticket, latest: Alert | None) -> Document:
    """The one occurrence digest comment: count, first/last seen, the newest details."""
    blocks: list[Block] = [
        _para(
            f"ticketbridge: this alert has occurred {ticket.occurrences} times "
            f"(first seen {_when(ticket.first_seen)}, last seen {_when(ticket.last_seen)})."
        )
    ]
    if latest is not None:
        blocks.append(_para(f"Latest: {clip_summary(latest.title)}"))
        blocks.extend(Document.plain(latest.description).blocks)
        blocks.append(alert_table(latest))
    return Document(tuple(blocks))


def _pick(transitions: tuple[Transition, ...], wanted: tuple[StatusCategory, ...]) -> Transition:
    for category in wanted:
        for option in transitions:
            if option.to.category == category:
                return option
    raise FieldErrors(
        "no transition to the wanted status category",
        messages=[f"no transition leads to a status of category {' or '.join(wanted)}"],
        hint=f"add a transition to a '{wanted[0]}' status to the issue's workflow",
    )


class FollowUpWriter:
    """Executes one follow-up job against the provider; returns what it learned."""

    def __init__(
        self,
        provider: Provider,
        router: RouteSeam,
        composer: IssueComposer,
        settings: PipelineSettings,
    ) -> None:
        self._provider = provider
        self._router = router
        self._composer = composer
        self._settings = settings

    async def write(
        self,
        kind: JobKind,
        ticket: Ticket,
        alert: Alert | None,
        now: datetime,
        targets: Mapping[str, str | None] | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> Written | None:
        """`targets`: for `link_issues`, each fingerprint link's issue key (None: no issue);
        `payload`: the job's (an `escalate` job's reason: stale, or an SLA breached)."""
        key = ticket.issue_key
        assert key is not None, "follow-ups run after their create (ordering key)"
        if kind is JobKind.DIGEST:
            return await self._digest(key, ticket, alert, now)
        if kind is JobKind.REOPEN:
            return await self._reopen(key, alert, now)
        if kind is JobKind.RESOLVE:
            return await self._resolve(key, alert, now)
        if kind is JobKind.ESCALATE:
            breached = (payload or {}).get("breached_at")
            settings = self._settings.escalation
            await write_escalation(self._provider, key, ticket, settings, breached)
        elif kind is JobKind.COMMENT and alert is not None:
            body = Document((_para(f"Occurred again: {alert.title}"), alert_table(alert)))
            await self._provider.add_comment(key, body)
        elif kind is JobKind.UPDATE_ISSUE and alert is not None:
            draft = self._draft(alert, ticket)
            await self._provider.update_issue(
                key, IssueUpdate(summary=draft.summary, description=draft.description)
            )
        elif kind is JobKind.LINK_PREVIOUS and ticket.previous_issue_key:
            await self._provider.link_issues(
                self._settings.link_type, key, ticket.previous_issue_key
            )
        elif kind is JobKind.LINK_ISSUES:
            await self._link(key, ticket, targets or {})
        return None

    def _draft(self, alert: Alert, ticket: Ticket) -> IssueDraft:
        """The refreshed summary and description; a route or template that fails is a
        `DraftFailed` naming them (the update job is dead-lettered, not retried)."""
        route: Route | None = None
        try:
            route = self._router.route(alert)
            return self._composer.draft(alert, route, ticket)
        except (ConfigError, InputError, PermanentError) as error:
            raise DraftFailed(str(error), hint=draft_hint(route)) from error

    async def _digest(
        self, key: str, ticket: Ticket, alert: Alert | None, now: datetime
    ) -> Written | None:
        if ticket.occurrences <= ticket.digested_occurrences:
            return None  # nothing new since the last digest (or since the create)
        body = digest_document(ticket, alert)
        comment_id = ticket.digest_comment_id
        if comment_id is not None:
            try:
                await self._provider.edit_comment(key, comment_id, body)
            except NotFound:
                comment_id = None  # someone deleted it: start a new one
        if comment_id is None:
            comment_id = (await self._provider.add_comment(key, body)).id
        return DigestWritten(comment_id, now, ticket.occurrences)

    async def _reopen(self, key: str, alert: Alert | None, now: datetime) -> Written:
        status = (await self._provider.get_issue(key)).status
        if status.category != "done":  # reopened by hand meanwhile: nothing to transition
            return IssueMoved(status.category, None, now)
        chosen = _pick(await self._provider.list_transitions(key), ("new", "indeterminate"))
        what = f": {alert.title}" if alert else ""
        note = Document((_para(f"ticketbridge reopened this issue: the alert recurred{what}."),))
        await self._provider.transition(key, chosen.id, comment=note)
        return IssueMoved(chosen.to.category, None, now)

    async def _resolve(self, key: str, alert: Alert | None, now: datetime) -> Written | None:
        policy = self._settings.policy
        resolution = policy.jira_resolution(alert)
        when = _when(alert.occurred_at) if alert else _when(now)
        said = f" as {resolution}" if resolution else ""
        note = Document((_para(f"The source reports this alert resolved{said} at {when}."),))
        if not policy.resolve_transition:
            if self._settings.resolve_comment:
                await self._provider.add_comment(key, note)
            return None
        comment = note if self._settings.resolve_comment else None
        issue = await self._provider.get_issue(key)
        if issue.status.category == "done":  # closed by hand meanwhile: only say so
            if comment is not None:
                await self._provider.add_comment(key, comment)
            return IssueMoved("done", issue.resolution, now)  # a person's verdict counts
        chosen = _pick(await self._provider.list_transitions(key), ("done",))
        if resolution is None:
            await self._provider.transition(key, chosen.id, comment=comment)
            return IssueMoved("done", None, now)
        try:
            await self._provider.transition(key, chosen.id, resolution=resolution, comment=comment)
        except FieldErrors as error:
            if "resolution" not in error.fields:
                raise
            # The mapping names a resolution this Jira lacks: closed all the same, as Done.
            log.warning("resolution refused", issue=key, resolution=resolution, error=str(error))
            await self._provider.transition(key, chosen.id, comment=comment)
        moved = await self._provider.get_issue(key)  # what Jira kept (a screen may drop it)
        return IssueMoved(moved.status.category, moved.resolution, now)

    async def _link(self, key: str, ticket: Ticket, targets: Mapping[str, str | None]) -> None:
        """The route's links, from this issue. A target that does not exist (no issue for the
        fingerprint, a key Jira does not know, a link type it refuses) is skipped with a
        warning: the alert's data named it, and the other links still count. Transient errors
        retry the job; the links made before are not made twice (Jira keeps one)."""
        for link in ticket.links:
            target = link.issue
            if link.fingerprint is not None:
                target = targets.get(link.fingerprint)
            if target is None:
                log.warning("link skipped: no issue for", fingerprint=link.fingerprint, issue=key)
                continue
            try:
                await self._provider.link_issues(link.type, target, key)  # key: "from" issue
            except (NotFound, FieldErrors) as error:
                log.warning(
                    "link skipped", issue=key, target=target, type=link.type, error=str(error)
                )
