"""The Jira write of each follow-up job kind (everything but the create): what it sends, and
what it changes on the ticket afterwards. Pure of storage: it receives the ticket and alert."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ticketbridge.domain import Alert, AlertState, JobKind, Ticket
from ticketbridge.errors import ConfigError, FieldErrors, InputError, NotFound, PermanentError
from ticketbridge.providers.base import (
    IssueDraft,
    IssueUpdate,
    Provider,
    StatusCategory,
    Transition,
)
from ticketbridge.render import clip_summary
from ticketbridge.render.document import Block, Document, Paragraph, Text
from ticketbridge.services.compose import alert_table
from ticketbridge.services.failures import DraftFailed, draft_hint
from ticketbridge.services.ports import IssueComposer, Route, RouteSeam
from ticketbridge.services.settings import PipelineSettings

__all__ = ["FollowUpWriter"]


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
    """Executes one follow-up job against the provider; returns the ticket as it now is."""

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
        self, kind: JobKind, ticket: Ticket, alert: Alert | None, now: datetime
    ) -> Ticket:
        key = ticket.issue_key
        assert key is not None, "follow-ups run after their create (ordering key)"
        if kind is JobKind.DIGEST:
            return await self._digest(key, ticket, alert, now)
        if kind is JobKind.COMMENT and alert is not None:
            body = Document((_para(f"Occurred again: {alert.title}"), alert_table(alert)))
            await self._provider.add_comment(key, body)
        elif kind is JobKind.UPDATE_ISSUE and alert is not None:
            draft = self._draft(alert, ticket)
            await self._provider.update_issue(
                key, IssueUpdate(summary=draft.summary, description=draft.description)
            )
        elif kind is JobKind.REOPEN:
            return await self._reopen(key, ticket, alert)
        elif kind is JobKind.RESOLVE:
            return await self._resolve(key, ticket, alert, now)
        elif kind is JobKind.LINK_PREVIOUS and ticket.previous_issue_key:
            await self._provider.link_issues(
                self._settings.link_type, key, ticket.previous_issue_key
            )
        return ticket

    def _draft(self, alert: Alert, ticket: Ticket) -> IssueDraft:
        """The refreshed summary and description; a route or template that fails is a
        `DraftFailed` naming them (the update job is dead-lettered, not retried)."""
        route: Route | None = None
        try:
            route = self._router.route(alert)
            return self._composer.draft(alert, route, ticket)
        except (ConfigError, InputError, PermanentError) as error:
            raise DraftFailed(str(error), hint=draft_hint(route)) from error

    async def _digest(self, key: str, ticket: Ticket, alert: Alert | None, now: datetime) -> Ticket:
        if ticket.occurrences <= ticket.digested_occurrences:
            return ticket  # nothing new since the last digest (or since the create)
        body = digest_document(ticket, alert)
        comment_id = ticket.digest_comment_id
        if comment_id is not None:
            try:
                await self._provider.edit_comment(key, comment_id, body)
            except NotFound:
                comment_id = None  # someone deleted it: start a new one
        if comment_id is None:
            comment_id = (await self._provider.add_comment(key, body)).id
        return replace(
            ticket,
            digest_comment_id=comment_id,
            last_digest_at=now,
            digested_occurrences=ticket.occurrences,
        )

    async def _reopen(self, key: str, ticket: Ticket, alert: Alert | None) -> Ticket:
        status = (await self._provider.get_issue(key)).status
        if status.category != "done":  # reopened by hand meanwhile: nothing to transition
            return replace(ticket, status_category=status.category, resolution=None, outcome=None)
        chosen = _pick(await self._provider.list_transitions(key), ("new", "indeterminate"))
        what = f": {alert.title}" if alert else ""
        note = Document((_para(f"ticketbridge reopened this issue: the alert recurred{what}."),))
        await self._provider.transition(key, chosen.id, comment=note)
        return replace(ticket, status_category=chosen.to.category, resolution=None, outcome=None)

    async def _resolve(
        self, key: str, ticket: Ticket, alert: Alert | None, now: datetime
    ) -> Ticket:
        when = _when(alert.occurred_at) if alert else _when(now)
        note = Document((_para(f"The source reports this alert resolved at {when}."),))
        if not self._settings.resolve_transition:
            if self._settings.resolve_comment:
                await self._provider.add_comment(key, note)
            return ticket
        comment = note if self._settings.resolve_comment else None
        issue = await self._provider.get_issue(key)
        if issue.status.category == "done":  # closed by hand meanwhile: only say so
            if comment is not None:
                await self._provider.add_comment(key, comment)
            outcome = self._settings.resolutions.get(issue.resolution or "", AlertState.RESOLVED)
            return replace(
                ticket, status_category="done", resolution=issue.resolution, outcome=outcome
            )
        chosen = _pick(await self._provider.list_transitions(key), ("done",))
        await self._provider.transition(key, chosen.id, comment=comment)
        return replace(
            ticket,
            status_category="done",
            done_at=ticket.done_at or now,
            outcome=AlertState.RESOLVED,
        )
