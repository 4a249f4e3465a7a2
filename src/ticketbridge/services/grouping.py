"""Grouping (SPEC §7, issue 5): an epic per group key, created exactly once like any ticket, and
every grouped issue attached to it (`parent` on Cloud, the Epic Link field on Data Center);
links from a new issue to an issue key or to a fingerprint's issue.

Everything is data committed with the decision, and every Jira write is an outbox job:

- `GroupingRouter` renders a route's `group` (the key, the epic's summary) and `link` options
  for the alert into `Route.group` (an `EpicGroup`) and `Route.links`.
- The decider gives the group's epic a ticket and a create job the first time it sees the
  group (or when the epic's create is dead), under the epic's fingerprint lock, in the same
  transaction as the grouped ticket, whose row names the epic's (`Ticket.parent_id`), and
  keeps the links on the ticket (`Ticket.links`) with a `link_issues` job after its create.
- The outbox claims a grouped ticket's jobs only once its epic's create has settled (storage's
  claim condition), drafts the epic's create as an Epic (`GroupingComposer`), and places a
  grouped issue under the epic's issue as the store has it (`placed`). A crash, a lost answer
  or another worker changes nothing: the epic's create is settled by its marker like any
  create, and the grouped creates wait in the store, not in a process.
- The `link_issues` job links the issue (the "from"/outward side: it *blocks*, it *relates
  to*) to each target; a fingerprint's issue is read from the store. Jira keeps one link per
  (type, from, to), so a repeated job makes no second link.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import structlog

from ticketbridge.config import Config, GroupConfig, LinkOption
from ticketbridge.domain import Alert, EpicGroup, IssueLink, Ticket, scoped_fingerprint
from ticketbridge.domain.route import Route
from ticketbridge.domain.states import Flavor
from ticketbridge.errors import ConfigError
from ticketbridge.providers.base import IssueDraft, Marker
from ticketbridge.render import CompiledTemplate, Document, TemplateEngine, clip_summary
from ticketbridge.rules import Router
from ticketbridge.services.ports import IssueComposer
from ticketbridge.services.routing import RulesRouter
from ticketbridge.services.templated import template_context

log = structlog.get_logger(__name__)

EPIC_ISSUE_TYPE = "Epic"
EPIC_LINK_FIELD = "Epic Link"  # Data Center (Jira Software) links an issue to its epic here
EPIC_NAME_FIELD = "Epic Name"  # Data Center requires it on an epic's create screen


def uses_grouping(config: Config) -> bool:
    """Some route groups its issues under epics or links them."""
    return any(route.group is not None or route.link for route in config.routes)


class _Compiled:
    """A route's group and link templates, compiled once."""

    def __init__(self, engine: TemplateEngine, name: str, group: GroupConfig | None) -> None:
        self.group = group
        self.key = engine.compile(f"routes.{name}.group.epic", group.epic) if group else None
        summary = group.summary if group else None
        self.summary = engine.compile(f"routes.{name}.group.summary", summary) if summary else None
        self.links: list[tuple[LinkOption, CompiledTemplate]] = []


class GroupingRouter(RulesRouter):
    """`RulesRouter` plus the route's epic group and links, rendered for the alert."""

    def __init__(self, router: Router, engine: TemplateEngine | None = None) -> None:
        super().__init__(router)
        self._engine = engine or TemplateEngine()
        self._routes: dict[str, _Compiled] = {}
        for route in router.config.routes:
            if route.group is None and not route.link:
                continue
            compiled = _Compiled(self._engine, route.name, route.group)
            compiled.links = [
                (option, self._engine.compile(f"routes.{route.name}.link", _target(option)))
                for option in route.link
            ]
            self._routes[route.name] = compiled

    def route(self, alert: Alert) -> Route:
        route = super().route(alert)
        compiled = self._routes.get(route.name or "") if route.action == "ticket" else None
        if compiled is None:
            return route
        context = template_context(alert)
        reasons = list(route.reasons)
        group = self._group(compiled, route.project, context, reasons)
        links = self._links(compiled, context, reasons, alert.source)
        return replace(route, group=group, links=links, reasons=tuple(reasons))

    def _group(
        self, compiled: _Compiled, project: str, context: dict[str, Any], reasons: list[str]
    ) -> EpicGroup | None:
        if compiled.group is None or compiled.key is None:
            return None
        try:
            key = " ".join(self._engine.render(compiled.key, context).split())
        except ConfigError as error:  # this alert lacks what the key names: not grouped
            reasons.append(f"not grouped: {error}")
            return None
        if not key:
            reasons.append("not grouped: empty group key")
            return None
        summary = key
        if compiled.summary is not None:
            try:
                summary = self._engine.render(compiled.summary, context).strip() or key
            except ConfigError:
                summary = key  # the key is always there; the summary is a nicety
        group = EpicGroup(compiled.group.project or project, key, summary)
        reasons.append(f"grouped under the epic '{key}' in {group.project}")
        return group

    def _links(
        self, compiled: _Compiled, context: dict[str, Any], reasons: list[str], source: str
    ) -> tuple[IssueLink, ...]:
        """A fingerprint target names a fingerprint of the alert's own source (fingerprints
        are stored scoped by source: `domain.fingerprint.scoped_fingerprint`)."""
        links = []
        for option, template in compiled.links:
            try:
                target = self._engine.render(template, context).strip()
            except ConfigError as error:
                reasons.append(f"link {option.type} skipped: {error}")
                continue
            if not target:
                reasons.append(f"link {option.type} skipped: empty target")
            elif option.issue is not None:
                links.append(IssueLink(option.type, issue=target))
            else:
                scoped = scoped_fingerprint(source, target)
                links.append(IssueLink(option.type, fingerprint=scoped))
        return tuple(links)


def _target(option: LinkOption) -> str:
    return option.issue if option.issue is not None else option.fingerprint or ""


class GroupingComposer:
    """Drafts an epic ticket's create as an Epic; every other ticket through `inner`."""

    def __init__(self, inner: IssueComposer, config: Config) -> None:
        self._inner = inner
        self._labels = tuple(config.defaults.labels)

    def draft(self, alert: Alert, route: Route, ticket: Ticket) -> IssueDraft:
        if ticket.group_key is None:
            return self._inner.draft(alert, route, ticket)
        key = ticket.group_key
        # The epic's summary as the alert that asked for it renders it (its route's group).
        group = route.group if route.group is not None and route.group.key == key else None
        return IssueDraft(
            project=ticket.project,
            issue_type=EPIC_ISSUE_TYPE,
            summary=clip_summary(group.summary if group is not None else key),
            description=Document.plain(f"Alerts grouped by ticketbridge under the key: {key}"),
            labels=self._labels,
            marker=Marker(ticket.marker_key),
        )


def placed(draft: IssueDraft, epic: Ticket | None, flavor: Flavor) -> IssueDraft:
    """The draft as it is sent: under its epic's issue (`parent` on Cloud, Epic Link on Data
    Center), and an epic's own create with the Epic Name Data Center requires."""
    if flavor != "cloud" and draft.issue_type == EPIC_ISSUE_TYPE:
        draft = replace(draft, fields={EPIC_NAME_FIELD: draft.summary, **draft.fields})
    if epic is None or epic.issue_key is None:  # no group, or its create is dead: on its own
        return draft
    if flavor == "cloud":
        return replace(draft, parent=epic.issue_key)
    return replace(draft, fields={**draft.fields, EPIC_LINK_FIELD: epic.issue_key})
