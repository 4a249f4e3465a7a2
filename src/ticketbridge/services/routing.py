"""Routing seams: `DefaultsRouter` (defaults only) and `RulesRouter` (the CEL rules engine).

Both satisfy `RouteSeam`; routing applies `min_severity` and `action: ignore` and says why.
"""

from __future__ import annotations

from ticketbridge.domain import Alert
from ticketbridge.rules import Router
from ticketbridge.services.ports import Route
from ticketbridge.services.settings import PipelineSettings

__all__ = ["DefaultsRouter", "RulesRouter"]


class DefaultsRouter:
    """Every alert to `defaults`: project, type, labels, priority by severity, due date from
    the SLA table counted from `occurred_at`; below `min_severity` → ignore."""

    def __init__(self, settings: PipelineSettings) -> None:
        self._settings = settings

    def route(self, alert: Alert) -> Route:
        settings = self._settings
        sla = settings.due.get(alert.severity)
        below = alert.severity < settings.min_severity
        reasons = (
            (
                f"severity {alert.severity.value} is below "
                f"min_severity {settings.min_severity.value}",
            )
            if below
            else ("no rules configured: defaults apply",)
        )
        return Route(
            name=None,
            project=settings.project,
            issue_type=settings.issue_type,
            action="ignore" if below else "ticket",
            priority=settings.priorities.get(alert.severity),
            labels=settings.labels,
            components=settings.components,
            assignee=settings.assignee,
            due=(alert.occurred_at + sla).date() if sla is not None else None,
            fields=settings.fields,
            reasons=reasons,
        )


class RulesRouter:
    """Adapts `ticketbridge.rules.Router` (CEL routes, assignments) to `RouteSeam`.

    `fields` values are still Jinja2 templates here; the `IssueComposer` renders them.
    """

    def __init__(self, router: Router) -> None:
        self._router = router

    def route(self, alert: Alert) -> Route:
        plan = self._router.route(alert)
        return Route(
            name=plan.route,
            project=plan.project,
            issue_type=plan.issue_type,
            action=plan.action,
            priority=plan.priority,
            labels=plan.labels,
            components=plan.components,
            assignee=plan.assignee,
            due=plan.due_date,
            template=plan.template,
            fields=dict(plan.fields),
            reasons=plan.reasons,
        )
