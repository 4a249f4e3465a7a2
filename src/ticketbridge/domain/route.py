"""Where and how an alert becomes an issue: the answer of routing, in one type.

The rules engine (`rules.Router`) decides it from the configuration; the services' routing seam
(`services.routing.RulesRouter`, `services.grouping.GroupingRouter`) hands it on, with the
route's epic group and links rendered for the alert; the composer drafts the issue from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from ticketbridge.domain.grouping import EpicGroup, IssueLink

DEFAULTS_ROUTE = "defaults"
"""The name of the route of an alert no configured route matched."""
RouteAction = Literal["ticket", "ignore"]
"""A route makes a ticket, or keeps the alert without one (`action: ignore`)."""


@dataclass(frozen=True)
class Route:
    """`action="ignore"` keeps the alert without a ticket (routing applies `min_severity`).
    Strings in `fields`, `labels`, `components` and `assignee` are still Jinja2 templates, and
    so is `due_template`; the composer renders them. `due_at` is the SLA counted from
    occurred_at, in `defaults.timezone`. `group` and `links` are the route's
    `group` and `link` options rendered for the alert (services/grouping.py), empty until then.
    """

    name: str
    project: str
    issue_type: str
    action: RouteAction = "ticket"
    connection: str = ""  # the Jira site's name (`jira.sites`); "": the default site
    priority: str | None = None
    assignee: str | None = None
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    fields: Mapping[str, Any] = field(default_factory=dict)
    template: str | None = None
    due_at: datetime | None = None
    due_template: str | None = None  # a templated `due`: the composer renders it per alert
    due_from: datetime | None = None  # occurred_at in the zone: what a rendered `+2d` counts from
    group: EpicGroup | None = None  # the epic the issue goes under
    links: tuple[IssueLink, ...] = ()  # the links the issue gets once created
    reasons: tuple[str, ...] = ()  # why this route (and why ignored, when it is)
    assignee_reason: str | None = None  # which user a team stood for (`teams:`), and why

    @property
    def due_date(self) -> date | None:
        """Jira's `duedate`: the calendar date of `due_at`."""
        return self.due_at.date() if self.due_at is not None else None

    @property
    def creates_ticket(self) -> bool:
        return self.action == "ticket"
