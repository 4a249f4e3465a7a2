"""See before go-live (SPEC §7): what ticketbridge would do with alerts, with NO writes.

`Planner.plan` routes one alert, decides as for a fingerprint never seen, renders the draft and,
given a provider, checks it against Jira's live metadata (project, issue type, priority, the
create screen, users, option values): the warnings say what Jira would drop or refuse.
`Planner.replay` runs a history of alerts through routing, the decision and the ticket's life
(`domain.life.advance`, the very transition the decider applies) with an in-memory ticket
table: how many issues they would have made, the dedup ratio, counts per route. Only read
requests reach Jira (metadata, user search); nothing is stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ticketbridge.domain import Alert, DecisionKind, EpicGroup, Ticket, TicketPolicy, decide
from ticketbridge.domain.decision import Decision
from ticketbridge.domain.life import Opening, Written, advance, after_write, epic_for
from ticketbridge.domain.route import Route
from ticketbridge.errors import JiraError, NotFound
from ticketbridge.providers.base import CreateMetaField, FieldDef, IssueDraft, Provider
from ticketbridge.services.grouping import EPIC_ISSUE_TYPE, EPIC_LINK_FIELD
from ticketbridge.services.ports import IssueComposer, RouteSeam
from ticketbridge.services.settings import PipelineSettings

_TICKETING = (DecisionKind.CREATE, DecisionKind.NEW_LINKED)
# Set by the create itself (or by Jira): never "required but missing" in a plan.
_SET_BY_CREATE = {"summary", "issuetype", "project", "reporter"}


@dataclass(frozen=True)
class PlannedIssue:
    """One alert's plan: its route, the decision, the rendered draft (None when ignored or
    when rendering failed, then `error` says why) and the metadata warnings."""

    alert: Alert
    route: Route
    decision: DecisionKind
    reasons: tuple[str, ...]
    draft: IssueDraft | None
    warnings: tuple[str, ...] = ()
    error: str | None = None


@dataclass
class ReplayStats:
    alerts: int = 0
    predicted_issues: int = 0
    epics: set[str] = field(default_factory=set)  # group epics the issues would go under
    decisions: Counter[str] = field(default_factory=Counter)
    alerts_per_route: Counter[str] = field(default_factory=Counter)
    issues_per_route: Counter[str] = field(default_factory=Counter)
    issues_per_project: Counter[str] = field(default_factory=Counter)

    @property
    def ticketable(self) -> int:
        """Alerts that reach a ticket (everything but ignored ones)."""
        return self.alerts - self.decisions[DecisionKind.IGNORE.value]

    @property
    def dedup_ratio(self) -> float:
        """Share of ticketable alerts folded into an issue made for an earlier one."""
        if not self.ticketable:
            return 0.0
        return 1 - self.predicted_issues / self.ticketable

    def as_dict(self) -> dict[str, Any]:
        return {
            "alerts": self.alerts,
            "predicted_issues": self.predicted_issues,
            "predicted_epics": len(self.epics),
            "ticketable_alerts": self.ticketable,
            "dedup_ratio": round(self.dedup_ratio, 4),
            "decisions": dict(sorted(self.decisions.items())),
            "routes": {
                name: {"alerts": count, "issues": self.issues_per_route[name]}
                for name, count in sorted(self.alerts_per_route.items())
            },
            "projects": dict(sorted(self.issues_per_project.items())),
        }


class Planner:
    def __init__(
        self,
        router: RouteSeam,
        composer: IssueComposer,
        settings: PipelineSettings,
        provider: Provider | None = None,
    ) -> None:
        self._router = router
        self._composer = composer
        self._settings = settings
        self._provider = provider

    async def plan(self, alert: Alert) -> PlannedIssue:
        """Route, decide (as for a new fingerprint), render and validate; writes nothing."""
        route = self._router.route(alert)
        ignore = route.reasons if route.action == "ignore" else None
        policy = self._settings.policy
        decision = decide(alert, None, policy, alert.received_at, route_ignore=ignore)
        reasons = (*route.reasons, *decision.reasons)
        step = advance(None, decision, alert, alert.received_at, policy, Opening.of(route))
        if step.ticket is None:  # no ticket: nothing to draft
            return PlannedIssue(alert, route, decision.kind, reasons, None)
        try:
            draft = self._composer.draft(alert, route, step.ticket)
        except JiraError as error:  # a template that fails for this alert
            return PlannedIssue(alert, route, decision.kind, reasons, None, error=str(error))
        warnings = draft.warnings  # a template that failed for this alert: the default used
        if self._provider is not None:
            warnings += tuple(await draft_warnings(self._provider, draft, route.group))
        return PlannedIssue(alert, route, decision.kind, reasons, draft, warnings)

    def replay(self, alerts: Iterable[Alert]) -> ReplayStats:
        """What a history of alerts would have made, in order, from an empty database."""
        replay = Replay(self._router, self._settings.policy)
        for alert in alerts:
            replay.alert(alert)
        return replay.stats


class Replay:
    """A history replayed in memory: each alert routed, decided on its fingerprint's ticket as
    the replay holds it, and the ticket advanced exactly as the decider advances it; every
    predicted issue counts as created. `learn` applies what Jira did with an issue (a person
    closed it, a create was refused), exactly as the outbox and two-way sync apply it."""

    def __init__(self, router: RouteSeam, policy: TicketPolicy) -> None:
        self._router = router
        self._policy = policy
        self.tickets: dict[str, Ticket] = {}
        self.stats = ReplayStats()
        self._answered: dict[tuple[str, str], Decision] = {}

    def alert(self, alert: Alert) -> Decision:
        """The decision on `alert`; an alert seen before (same source and id: a redelivery) is
        answered as before and changes nothing, as ingest stores an alert once."""
        answered = self._answered.get((alert.source, alert.id))
        if answered is not None:
            return answered
        route = self._router.route(alert)
        ignore = route.reasons if route.action == "ignore" else None
        now = alert.occurred_at
        current = self.tickets.get(alert.fingerprint)
        decision = decide(alert, current, self._policy, now, route_ignore=ignore)
        opening = Opening.of(route)
        if decision.kind in _TICKETING and route.group is not None:
            current_epic = self.tickets.get(route.group.fingerprint)
            epic = epic_for(current_epic, route.group, alert, route.connection).ticket
            if epic is not None:
                self.tickets[epic.fingerprint] = epic
            opening = Opening.of(route, epic)
        ticket = advance(current, decision, alert, now, self._policy, opening).ticket
        if ticket is not None:
            self.tickets[alert.fingerprint] = ticket
        self._count(route, decision.kind)
        self._answered[(alert.source, alert.id)] = decision
        return decision

    def learn(self, fingerprint: str, written: Written) -> None:
        ticket = self.tickets.get(fingerprint)
        if ticket is not None:
            after = after_write(ticket, written, self._policy).ticket
            if after is not None:
                self.tickets[fingerprint] = after

    def _count(self, route: Route, kind: DecisionKind) -> None:
        stats, name = self.stats, route.name
        stats.alerts += 1
        stats.decisions[kind.value] += 1
        stats.alerts_per_route[name] += 1
        if kind in _TICKETING:
            stats.predicted_issues += 1
            stats.issues_per_route[name] += 1
            stats.issues_per_project[route.project] += 1
            if route.group is not None:
                stats.epics.add(route.group.fingerprint)


async def draft_warnings(
    provider: Provider, draft: IssueDraft, group: EpicGroup | None = None
) -> list[str]:
    """What Jira would drop or refuse in `draft` (under `group`'s epic), read from its
    metadata (no writes)."""
    where = f"{draft.project}/{draft.issue_type}"
    projects = {p.key for p in await provider.projects()}
    if draft.project not in projects:
        return [f"project '{draft.project}' does not exist or is not visible to this user"]
    types = {t.name.lower() for t in await provider.issue_types(draft.project)}
    if draft.issue_type.lower() not in types:
        return [f"issue type '{draft.issue_type}' is not available in project {draft.project}"]
    try:
        meta = await provider.create_meta(draft.project, draft.issue_type)
    except NotFound:
        return [f"no create screen for {where}"]
    screen = {m.field.id: m for m in meta}
    warnings = _system_warnings(draft, screen, where)
    if draft.priority:
        names = {p.name.lower() for p in await provider.priorities()}
        if draft.priority.lower() not in names:
            warnings.append(f"priority '{draft.priority}' does not exist in Jira")
    if draft.assignee and await provider.find_user(draft.assignee) is None:
        warnings.append(f"user '{draft.assignee}' is unknown to Jira: the issue stays unassigned")
    defs = await provider.fields()
    given: set[str] = set()
    for name, value in draft.fields.items():
        fdef = _field(defs, name)
        if fdef is None:
            warnings.append(f"field '{name}': Jira has no such field (dropped)")
            continue
        given.add(fdef.id)
        warnings.extend(_custom_warnings(name, fdef, value, screen.get(fdef.id), where))
    if group is not None:
        warnings.extend(await _epic_warnings(provider, group.project, screen, defs, where))
    filled = _SET_BY_CREATE | given | _system_ids(draft)
    for entry in meta:
        if entry.required and entry.field.id not in filled:
            warnings.append(
                f"required field '{entry.field.name}' ({entry.field.id}) is not set: "
                f"Jira will refuse the create in {where}"
            )
    return warnings


def _system_ids(draft: IssueDraft) -> set[str]:
    present = {
        "description": draft.description is not None,
        "priority": bool(draft.priority),
        "labels": bool(draft.labels) or draft.marker is not None,
        "components": bool(draft.components),
        "assignee": bool(draft.assignee),
        "duedate": draft.due_date is not None,
        "parent": bool(draft.parent),  # an epic's: see _epic_warnings
    }
    return {name for name, here in present.items() if here}


async def _epic_warnings(
    provider: Provider,
    project: str,
    screen: Mapping[str, CreateMetaField],
    defs: Sequence[FieldDef],
    where: str,
) -> list[str]:
    """The epic (in `project`) must be creatable, and the issue attachable to it (parent on
    Cloud, Epic Link on Data Center)."""
    warnings = []
    types = {t.name.lower() for t in await provider.issue_types(project)}
    if EPIC_ISSUE_TYPE.lower() not in types:
        warnings.append(f"group: issue type '{EPIC_ISSUE_TYPE}' is not available in {project}")
    if provider.capabilities.flavor == "cloud":
        if "parent" not in screen:
            warnings.append(f"group: 'parent' is not on the create screen of {where}")
    else:
        link = _field(defs, EPIC_LINK_FIELD)
        if link is None or link.id not in screen:
            warnings.append(f"group: '{EPIC_LINK_FIELD}' is not on the create screen of {where}")
    return warnings


def _system_warnings(
    draft: IssueDraft, screen: Mapping[str, CreateMetaField], where: str
) -> list[str]:
    warnings = []
    if "labels" not in screen:
        warnings.append(
            f"Labels is not on the create screen of {where}: ticketbridge refuses to create "
            "without its exactly-once marker label"
        )
    for name in sorted(_system_ids(draft) - {"labels"}):
        if name not in screen:
            warnings.append(f"field '{name}' is not on the create screen of {where} (dropped)")
    # A project's components are all listed, so none listed means there are none.
    components = screen.get("components")
    allowed = (_allowed(components) or set()) if components is not None else None
    for component in draft.components:
        if allowed is not None and component.lower() not in allowed:
            warnings.append(f"component '{component}' does not exist in {draft.project}")
    return warnings


def _custom_warnings(
    name: str, fdef: FieldDef, value: Any, meta: CreateMetaField | None, where: str
) -> list[str]:
    if meta is None:
        return [f"field '{name}' ({fdef.id}) is not on the create screen of {where} (dropped)"]
    allowed = _allowed(meta)
    if allowed is None:
        return []
    values = value if isinstance(value, list | tuple) else [value]
    return [
        f"field '{name}': '{item}' is not one of its allowed values"
        for item in values
        if str(item) and str(item).lower() not in allowed  # empty: left unset, not refused
    ]


def _allowed(meta: CreateMetaField | None) -> set[str] | None:
    """The allowed values' names/values, lower-cased; None when the field does not list any."""
    if meta is None or not meta.allowed_values:
        return None
    names: set[str] = set()
    for entry in meta.allowed_values:
        names.update(str(entry[key]).lower() for key in ("value", "name") if key in entry)
    return names


def _field(defs: Sequence[FieldDef], ref: str) -> FieldDef | None:
    for fdef in defs:
        if fdef.id == ref:
            return fdef
    folded = ref.casefold()
    return next((f for f in defs if f.name.casefold() == folded), None)
