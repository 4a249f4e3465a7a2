"""The defaults-only router: every alert goes to `defaults` (used until the rules engine is
wired in through the `RouteSeam`)."""

from __future__ import annotations

from datetime import timedelta

from ticketbridge.domain import Alert
from ticketbridge.services.ports import Route
from ticketbridge.services.settings import PipelineSettings

__all__ = ["DefaultsRouter", "due_date_for"]


def due_date_for(alert: Alert, settings: PipelineSettings) -> timedelta | None:
    """The SLA for the alert's severity (SPEC §3 `defaults.due`), None when it has none."""
    return settings.due.get(alert.severity)


class DefaultsRouter:
    """Satisfies `RouteSeam` with `defaults` only: project, type, labels, priority by severity,
    due date from the SLA table counted from `occurred_at`."""

    def __init__(self, settings: PipelineSettings) -> None:
        self._settings = settings

    def route(self, alert: Alert) -> Route:
        sla = due_date_for(alert, self._settings)
        return Route(
            name=None,
            project=self._settings.project,
            issue_type=self._settings.issue_type,
            priority=self._settings.priorities.get(alert.severity),
            labels=self._settings.labels,
            components=self._settings.components,
            due=(alert.occurred_at + sla).date() if sla is not None else None,
        )
