"""The library's seams into the real pipeline: where an alert goes, and how its issue reads.

`LibraryRouter` routes with the rules engine: the rules added by `configure_rule` (CEL, first
match wins), else the defaults (priority by action or severity, issue type by action, due
dates). An alert no rule matches goes where the call said (`sync_alert(alert, project_key,
issue_type)`), carried in the alert's attributes so that a job left in the outbox by one
process is routed the same way by the next; a call that names its target is not held back by
`min_severity` (a matching rule may still say `ignore`).

`LibraryComposer` renders a route's `template`: the configuration's and the built-ins as `serve`
does, or a `JiraTemplate` by name or slug; the target attributes never show in the issue.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ticketbridge.config import Config, RouteConfig
from ticketbridge.domain import DEFAULTS_ROUTE, Alert, Ticket
from ticketbridge.domain.route import Route
from ticketbridge.errors import ConfigError, PermanentError
from ticketbridge.library.fieldmap import draft_from_fields
from ticketbridge.library.templates import find_template, template_context
from ticketbridge.providers.base import IssueDraft, Marker
from ticketbridge.rules import Router
from ticketbridge.services import RulesRouter
from ticketbridge.services.route_values import failure_note
from ticketbridge.services.templated import TemplateComposer, with_failure_note

TARGET_PROJECT = "jira_project_key"
TARGET_ISSUE_TYPE = "jira_issue_type"
_TARGET_KEYS = (TARGET_PROJECT, TARGET_ISSUE_TYPE)


def targeted(alert: Alert, project_key: str | None, issue_type: str | None) -> Alert:
    """`alert` with the call's target in its attributes (absent parts left out)."""
    extra = {TARGET_PROJECT: project_key, TARGET_ISSUE_TYPE: issue_type}
    attributes = {**alert.attributes, **{k: v for k, v in extra.items() if v}}
    return replace(alert, attributes=attributes)


def without_target(alert: Alert) -> Alert:
    attributes = {k: v for k, v in alert.attributes.items() if k not in _TARGET_KEYS}
    return replace(alert, attributes=attributes)


class LibraryRouter:
    """Satisfies `services.RouteSeam`: configured rules first, then the call's target. The
    bridge's services hold this one router, so a rule added later routes the next alert."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._rules = RulesRouter(Router(config))

    def add_rule(self, rule: RouteConfig) -> None:
        """`rule` added (replacing a rule of the same name); the conditions are compiled now,
        so a bad trigger is a ConfigError here, not at the next alert."""
        routes = [r for r in self._config.routes if r.name != rule.name] + [rule]
        config = self._config.model_copy(update={"routes": routes})
        self._rules = RulesRouter(Router(config))  # compiled before anything changes
        self._config = config

    def route(self, alert: Alert) -> Route:
        routed = self._rules.route(alert)
        project = alert.attributes.get(TARGET_PROJECT)
        if routed.name != DEFAULTS_ROUTE or not isinstance(project, str) or not project:
            return routed
        issue_type = alert.attributes.get(TARGET_ISSUE_TYPE)
        return replace(
            routed,
            project=project,
            issue_type=issue_type
            if isinstance(issue_type, str) and issue_type
            else routed.issue_type,
            action="ticket",
            reasons=(*routed.reasons, f"the call's target: {project}"),
        )


class LibraryComposer:
    """Satisfies `services.IssueComposer`. A route's template is the configuration's (or a
    `builtin/…` one), rendered by `services.TemplateComposer` as `serve` renders it, else a
    `JiraTemplate` by name or slug; no template: the default issue. A template that is missing
    is a `PermanentError` naming it (the create's job dead-letters, the library call raises);
    one that fails for an alert's data gives the default issue with a note naming it."""

    def __init__(self, config: Config) -> None:
        self._templated = TemplateComposer.from_config(config)
        self._names = frozenset(self._templated.template_names)

    def missing_template(self, route: Route) -> str | None:
        """The route's template when nothing defines it (neither the configuration, a built-in
        nor a `JiraTemplate`): checked before an alert is sent, because a rule may name a
        template the script defines later (seed 000 does), and not after it was queued."""
        name = route.template
        if route.action != "ticket" or name is None or name in self._names:
            return None
        try:
            find_template(name)
        except ConfigError:
            return name
        return None

    def draft(self, alert: Alert, route: Route, ticket: Ticket) -> IssueDraft:
        alert = without_target(alert)
        if route.template is None or route.template in self._names:
            return self._templated.draft(alert, route, ticket)
        context = template_context(_template_data(alert))
        try:
            template = find_template(route.template)
        except ConfigError as error:  # the script's mistake, not the alert's
            raise PermanentError(f"template {route.template!r}: {error}") from None
        # The route's own values (labels, assignee, fields…: templates too) rendered as `serve`
        # renders them; the default issue when the library template fails for this alert.
        plain = self._templated.draft(alert, replace(route, template=None), ticket)
        try:
            rendered = template.render_fields(context)
        except ConfigError as error:
            # The alert's data made it fail: whoever controls that data must not be able to
            # cost the ticket (issue 11, item 3). The default issue, with a note saying so.
            note = failure_note(route.template, error, "the default issue is used")
            return with_failure_note(plain, [note], plain.warnings)
        marker = Marker(ticket.marker_key)
        draft = draft_from_fields(route.project, route.issue_type, rendered, marker=marker)
        return replace(
            draft,
            priority=route.priority or draft.priority,
            labels=tuple(dict.fromkeys([*plain.labels, *draft.labels])),
            components=draft.components or plain.components,
            assignee=plain.assignee or draft.assignee,
            due_date=plain.due_date or draft.due_date,
            parent=draft.parent,
            fields={**plain.fields, **draft.fields},
            warnings=plain.warnings,
        )


def _template_data(alert: Alert) -> dict[str, Any]:
    """The alert as a template reads it: its attributes at the top level too, so a seed
    template's `{{alert.query}}` finds TruthVouch's query."""
    data = alert.as_mapping()
    return {**data["attributes"], **data}
