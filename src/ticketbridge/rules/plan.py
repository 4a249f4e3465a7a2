"""RoutePlan: what routing decided for one alert, with the reasons, before anything is rendered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from ticketbridge.config import FieldValue, GroupConfig, LinkOption

__all__ = ["DEFAULTS_ROUTE", "RoutePlan"]

DEFAULTS_ROUTE = "defaults"
"""The route name of a plan no route matched."""


@dataclass(frozen=True)
class RoutePlan:
    """Where and how an alert becomes an issue. Strings in `fields`, `group` and `link` are
    still Jinja2 templates; the render layer fills them in. `due_at` counts from occurred_at."""

    route: str
    action: Literal["ticket", "ignore"]
    project: str
    issue_type: str
    priority: str | None = None
    assignee: str | None = None
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    fields: Mapping[str, FieldValue] = field(default_factory=dict)
    template: str | None = None
    due_at: datetime | None = None
    group: GroupConfig | None = None
    link: tuple[LinkOption, ...] = ()
    reasons: tuple[str, ...] = ()

    @property
    def due_date(self) -> date | None:
        """Jira's `duedate`: the calendar date of `due_at` in `defaults.timezone`."""
        return self.due_at.date() if self.due_at is not None else None

    @property
    def creates_ticket(self) -> bool:
        return self.action == "ticket"
