"""Grouping (SPEC §7, issue 5): an epic per group key, created exactly once like any ticket, and
every grouped issue attached to it (`parent` on Cloud, the Epic Link field on Data Center).

It composes the pipeline's own mechanisms instead of adding new ones:

- `GroupingRouter` renders a route's `group.epic` for the alert and puts the epic's fingerprint,
  `epic:<project>:<key>`, in `Route.parent` (a placeholder until the epic exists).
- Ingest (`IngestService`) gives that fingerprint a ticket and a create job the first time it
  sees it — in the same transaction, under the same fingerprint lock, so at most one epic
  ticket exists per key. The epic's create then runs like every create: lease, attempt
  recorded, marker (label + property), marker lookup when the outcome is unknown.
- `GroupingComposer` drafts that job as an Epic (summary from `group.summary`, else the key).
- `EpicParents` wraps the provider: before a grouped issue is sent, its placeholder becomes the
  epic's issue key, found by the epic's marker (remembered once known). While the epic does not
  exist yet, that create fails with `EpicPending` — transient, nothing sent — and the outbox
  retries it later. An issue is never created twice, and never without its epic.

Links (`link: [{type: Blocks, issue: "OPS-1"}]` or `fingerprint: …`): the composer renders each
option's target for the alert into a `LinkBook`; right after the create succeeds, `EpicParents`
links the new issue (the "from"/outward issue: it *blocks*, it *relates to*) to the target — an
issue key, or the issue of a fingerprint found by its marker. Jira treats a repeated link as
created, so this is safe to repeat; it is best effort (a failure is logged, never fails the
create, and a create whose answer was lost and was found by its marker gets no link).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TypeGuard

import structlog

from ticketbridge.config import Config, GroupConfig, LinkOption
from ticketbridge.domain import Alert, Ticket
from ticketbridge.errors import ConfigError, JiraError, TransientError
from ticketbridge.providers.base import (
    BulkResult,
    IssueDraft,
    IssueRef,
    Marker,
    Provider,
)
from ticketbridge.providers.delegating import DelegatingProvider
from ticketbridge.render import CompiledTemplate, Document, TemplateEngine, clip_summary
from ticketbridge.rules import Router
from ticketbridge.services.ports import IssueComposer, Route
from ticketbridge.services.routing import RulesRouter
from ticketbridge.services.templated import template_context

__all__ = [
    "EPIC_ISSUE_TYPE",
    "EPIC_LINK_FIELD",
    "EPIC_PREFIX",
    "EpicParents",
    "EpicPending",
    "GroupingComposer",
    "GroupingRouter",
    "LinkBook",
    "PendingLink",
    "epic_fingerprint",
    "epic_fingerprints",
    "epic_project",
    "is_epic",
    "uses_grouping",
]

log = structlog.get_logger(__name__)

EPIC_PREFIX = "epic:"
EPIC_ISSUE_TYPE = "Epic"
EPIC_LINK_FIELD = "Epic Link"  # Data Center (Jira Software) links an issue to its epic here
EPIC_NAME_FIELD = "Epic Name"  # Data Center requires it on an epic's create screen


class EpicPending(TransientError):
    """A grouped issue waits for its epic to be created (retried later; nothing was sent)."""


def epic_fingerprint(project: str, key: str) -> str:
    return f"{EPIC_PREFIX}{project}:{key}"


def is_epic(fingerprint: str | None) -> TypeGuard[str]:
    return fingerprint is not None and fingerprint.startswith(EPIC_PREFIX)


def epic_project(fingerprint: str) -> str:
    return fingerprint.removeprefix(EPIC_PREFIX).split(":", 1)[0]


def epic_key(fingerprint: str) -> str:
    return fingerprint.removeprefix(EPIC_PREFIX).split(":", 1)[1]


def epic_fingerprints(routes: Iterable[Route]) -> set[str]:
    """The epics some of these routes attach their issue to."""
    return {r.parent for r in routes if r.parent is not None and is_epic(r.parent)}


def uses_grouping(config: Config) -> bool:
    """Some route groups its issues under epics or links them."""
    return any(route.group is not None or route.link for route in config.routes)


@dataclass(frozen=True)
class PendingLink:
    """Link the new issue (outward, "from") to `issue`, or to the issue of `fingerprint`."""

    type: str
    issue: str | None = None
    fingerprint: str | None = None


class LinkBook:
    """Links rendered by the composer, by create marker, until the create succeeds."""

    def __init__(self, limit: int = 10_000) -> None:
        self._pending: OrderedDict[str, tuple[PendingLink, ...]] = OrderedDict()
        self._limit = limit  # creates that never succeed must not grow this forever

    def add(self, marker: Marker, links: tuple[PendingLink, ...]) -> None:
        self._pending[marker.label] = links
        self._pending.move_to_end(marker.label)
        while len(self._pending) > self._limit:
            self._pending.popitem(last=False)

    def take(self, marker: Marker | None) -> tuple[PendingLink, ...]:
        return self._pending.pop(marker.label, ()) if marker is not None else ()


class GroupingRouter(RulesRouter):
    """`RulesRouter` plus the epic placeholder in `Route.parent` for routes with `group`."""

    def __init__(self, router: Router, engine: TemplateEngine | None = None) -> None:
        super().__init__(router)
        self._engine = engine or TemplateEngine()
        self._groups: dict[str, tuple[GroupConfig, CompiledTemplate]] = {}
        for route in router.config.routes:
            if route.group is not None:
                compiled = self._engine.compile(f"routes.{route.name}.group.epic", route.group.epic)
                self._groups[route.name] = (route.group, compiled)

    def route(self, alert: Alert) -> Route:
        route = super().route(alert)
        grouped = self._groups.get(route.name or "") if route.action == "ticket" else None
        if grouped is None:
            return route
        group, compiled = grouped
        try:
            key = " ".join(self._engine.render(compiled, template_context(alert)).split())
        except ConfigError as error:  # this alert lacks what the key names: not grouped
            return replace(route, reasons=(*route.reasons, f"not grouped: {error}"))
        if not key:
            return replace(route, reasons=(*route.reasons, "not grouped: empty group key"))
        parent = epic_fingerprint(group.project or route.project, key)
        return replace(route, parent=parent, reasons=(*route.reasons, f"grouped under {parent}"))


class GroupingComposer:
    """Drafts an epic ticket's create as an Epic; every other ticket through `inner`."""

    def __init__(self, inner: IssueComposer, config: Config) -> None:
        self._inner = inner
        self._engine = TemplateEngine()
        self._summaries = {
            route.name: self._engine.compile(f"routes.{route.name}.group.summary", summary)
            for route in config.routes
            if route.group is not None and (summary := route.group.summary)
        }
        self._labels = tuple(config.defaults.labels)
        self._links = {
            route.name: tuple(
                (option, self._engine.compile(f"routes.{route.name}.link", _target(option)))
                for option in route.link
            )
            for route in config.routes
            if route.link
        }
        self.links = LinkBook()

    def draft(self, alert: Alert, route: Route, ticket: Ticket) -> IssueDraft:
        if not is_epic(ticket.fingerprint):
            draft = self._inner.draft(alert, route, ticket)
            options = self._links.get(route.name or "", ())
            if options and draft.marker is not None:
                self.links.add(draft.marker, self._rendered(options, alert))
            return draft
        key = epic_key(ticket.fingerprint)
        summary = key
        compiled = self._summaries.get(route.name or "")
        if compiled is not None:
            try:
                summary = self._engine.render(compiled, template_context(alert)).strip() or key
            except ConfigError:
                summary = key  # the key is always there; the summary is a nicety
        return IssueDraft(
            project=epic_project(ticket.fingerprint),
            issue_type=EPIC_ISSUE_TYPE,
            summary=clip_summary(summary),
            description=Document.plain(f"Alerts grouped by ticketbridge under the key: {key}"),
            labels=self._labels,
            marker=Marker(ticket.marker_key),
        )

    def _rendered(
        self, options: tuple[tuple[LinkOption, CompiledTemplate], ...], alert: Alert
    ) -> tuple[PendingLink, ...]:
        context = template_context(alert)
        links = []
        for option, compiled in options:
            try:
                text = self._engine.render(compiled, context)
            except ConfigError as error:
                log.warning("link skipped", type=option.type, error=str(error))
                continue
            text = text.strip()
            if text:
                links.append(
                    PendingLink(option.type, text, None)
                    if option.issue is not None
                    else PendingLink(option.type, None, text)
                )
        return tuple(links)


def _target(option: LinkOption) -> str:
    return option.issue if option.issue is not None else option.fingerprint or ""


class EpicParents(DelegatingProvider):
    """A `Provider` that turns epic placeholders into issue keys before a create is sent."""

    def __init__(self, inner: Provider, links: LinkBook | None = None) -> None:
        super().__init__(inner)
        self._keys: dict[str, str] = {}  # epic fingerprint → issue key, once known
        self._links = links or LinkBook()

    async def create_issue(self, draft: IssueDraft) -> IssueRef:
        ref = await self._inner.create_issue(await self._resolved(draft))
        await self._created(draft, ref)
        return ref

    async def create_issues(self, drafts: Sequence[IssueDraft]) -> BulkResult:
        """Epics (and ungrouped issues) first, then the issues that wait for an epic."""
        created: dict[int, IssueRef] = {}
        failed: dict[int, Exception] = {}
        first = [i for i, d in enumerate(drafts) if not is_epic(d.parent)]
        await self._bulk(drafts, first, created, failed)
        ready: list[int] = []
        resolved: dict[int, IssueDraft] = {}
        for position in (i for i in range(len(drafts)) if i not in first):
            try:
                resolved[position] = await self._resolved(drafts[position])
                ready.append(position)
            except JiraError as error:
                failed[position] = error
        await self._bulk({**dict(enumerate(drafts)), **resolved}, ready, created, failed)
        return BulkResult(created, failed)

    async def _bulk(
        self,
        drafts: Sequence[IssueDraft] | Mapping[int, IssueDraft],
        positions: list[int],
        created: dict[int, IssueRef],
        failed: dict[int, Exception],
    ) -> None:
        if not positions:
            return
        batch = [self._epic_fields(drafts[i]) for i in positions]
        result = await self._inner.create_issues(batch)
        for index, position in enumerate(positions):
            if index in result.created:
                created[position] = result.created[index]
                await self._created(drafts[position], result.created[index])
            elif index in result.failed:
                failed[position] = result.failed[index]

    async def _resolved(self, draft: IssueDraft) -> IssueDraft:
        draft = self._epic_fields(draft)
        parent = draft.parent
        if parent is None or not is_epic(parent):
            return draft
        key = self._keys.get(parent)
        if key is None:
            found = await self._inner.find_by_marker(Marker(parent))
            if not found:
                raise EpicPending(f"the epic {parent} is not created yet")
            key = self._keys[parent] = found[0].key
        if self.capabilities.flavor == "cloud":
            return replace(draft, parent=key)
        return replace(draft, parent=None, fields={**draft.fields, EPIC_LINK_FIELD: key})

    def _epic_fields(self, draft: IssueDraft) -> IssueDraft:
        """Data Center wants an epic's Epic Name (Cloud has no such field)."""
        if draft.issue_type != EPIC_ISSUE_TYPE or self.capabilities.flavor == "cloud":
            return draft
        return replace(draft, fields={EPIC_NAME_FIELD: draft.summary, **draft.fields})

    async def _created(self, draft: IssueDraft, ref: IssueRef) -> None:
        if draft.marker is not None and is_epic(draft.marker.fingerprint):
            self._keys[draft.marker.fingerprint] = ref.key
        for link in self._links.take(draft.marker):
            await self._link(ref.key, link)

    async def _link(self, key: str, link: PendingLink) -> None:
        """Best effort: the issue exists now, a link failure must not fail its create."""
        target = link.issue
        try:
            if link.fingerprint is not None:
                found = await self._inner.find_by_marker(Marker(link.fingerprint))
                target = found[0].key if found else None
            if target is None:
                log.warning("link skipped: no issue for", fingerprint=link.fingerprint, issue=key)
                return
            await self._inner.link_issues(link.type, target, key)  # key is the "from" issue
        except JiraError as error:
            log.warning("link failed", issue=key, target=target, type=link.type, error=str(error))
