"""Priority, issue type, assignee and due date: route overrides, then mappings, then defaults.

Precedence (first that applies wins):
- priority:   route.priority → defaults.priority_by_action[attributes.action] (seed 001)
              → defaults.priority[severity] (seeds 003, 004)
- issue type: route.issue_type → defaults.issue_type_by_action[attributes.action] → defaults
- due:        route.due (an offset, or per severity) → defaults.due[severity]; from occurred_at
              (a templated route.due is rendered by the composer: `due_from`)
Labels, components and the assignee may be Jinja2 templates too; the composer renders them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ticketbridge.config import Defaults, RouteConfig
from ticketbridge.domain.severity import Severity

Choice = tuple[Any, str | None]
"""A value and the reason it was chosen (None: nothing to say)."""


def _action(values: Mapping[str, Any]) -> str | None:
    action = values["attributes"].get("action")
    return action.lower() if isinstance(action, str) else None


def priority_for(
    route: RouteConfig | None,
    defaults: Defaults,
    severity: Severity | None,
    values: Mapping[str, Any],
) -> Choice:
    if route is not None and route.priority is not None:
        return route.priority, f"priority {route.priority} from route '{route.name}'"
    action = _action(values)
    if action is not None and action in defaults.priority_by_action:
        priority = defaults.priority_by_action[action]
        return priority, f"priority {priority} from action '{action}'"
    if severity is not None and severity in defaults.priority:
        priority = defaults.priority[severity]
        return priority, f"priority {priority} from severity {severity.value}"
    return None, "no priority mapped: Jira's default applies"


def issue_type_for(
    route: RouteConfig | None, defaults: Defaults, values: Mapping[str, Any]
) -> Choice:
    if route is not None and route.issue_type is not None:
        return route.issue_type, None
    action = _action(values)
    if action is not None and action in defaults.issue_type_by_action:
        issue_type = defaults.issue_type_by_action[action]
        return issue_type, f"issue type {issue_type} from action '{action}'"
    return defaults.issue_type, None


def due_for(
    route: RouteConfig | None,
    defaults: Defaults,
    severity: Severity | None,
    occurred_at: datetime,
) -> Choice:
    offset: timedelta | None = None
    why = ""
    templated = route is not None and isinstance(route.due, str)
    if route is not None and isinstance(route.due, timedelta):
        offset, why = route.due, f"route '{route.name}'"
    elif route is not None and isinstance(route.due, dict) and severity in route.due:
        offset, why = route.due[severity], f"route '{route.name}' SLA for {severity}"
    elif severity is not None and severity in defaults.due:
        offset, why = defaults.due[severity], f"SLA for {severity.value}"
    if templated:  # the template's date; the SLA when it renders none (services/route_values)
        assert route is not None
        sla = f", else the SLA for {severity.value}" if offset and severity else ""
        due = (occurred_at + offset).astimezone(_zone(defaults.timezone)) if offset else None
        return due, f"due date from the template of route '{route.name}'{sla}"
    if offset is None:
        return None, None
    due = (occurred_at + offset).astimezone(_zone(defaults.timezone))
    return due, f"due {due.date().isoformat()} ({why}, from occurred_at)"


def due_from(
    route: RouteConfig | None, defaults: Defaults, occurred_at: datetime
) -> datetime | None:
    """What a templated due date's duration counts from: occurred_at in the calendar's zone."""
    if route is None or not isinstance(route.due, str):
        return None
    return occurred_at.astimezone(_zone(defaults.timezone))


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def merged_labels(defaults: Defaults, route: RouteConfig | None) -> tuple[str, ...]:
    """Default labels then the route's, each once, in order."""
    extra = route.labels if route is not None else []
    return tuple(dict.fromkeys([*defaults.labels, *extra]))
