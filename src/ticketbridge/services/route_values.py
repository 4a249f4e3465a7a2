"""A route's per-alert values rendered: fields, labels, components, assignee and due date.

Each string may be a Jinja2 template (compiled at start by `TemplateComposer.from_config`, so
`config check` refuses a syntax error). A template that fails for this alert leaves its value
out with a note (the issue is still created); one that renders empty leaves it out with a
warning only: Jira would refuse `''` for a select field, a label or a user, and an alert that
lacks an optional value is no failure. Labels cannot hold spaces in Jira: they become `-`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

from ticketbridge.config import Config, Defaults, RouteConfig
from ticketbridge.config.durations import parse_duration
from ticketbridge.domain.route import Route
from ticketbridge.domain.teams import Team, resolve_assignee
from ticketbridge.errors import PermanentError

Render = Callable[[str, str, Mapping[str, Any]], str]
"""(where, source, context) → the rendered text; PermanentError when it fails for the alert."""
_MARKS = ("{{", "{%", "{#")
_MAX_ERROR = 300  # a render error can quote the alert's data: the note keeps the start


def templated_values(config: Config) -> Iterator[tuple[str, Any]]:
    """Every value of the configuration the composer renders per alert, with where it goes."""
    blocks: list[Defaults | RouteConfig] = [config.defaults, *config.routes]
    for block in blocks:
        for name, value in block.fields.items():
            for item in value if isinstance(value, list) else [value]:
                yield f"fields.{name}", item
        yield from (("labels", label) for label in block.labels)
        yield from (("components", component) for component in block.components or ())
        yield "assignee", block.assignee
    yield from (("due", route.due) for route in config.routes if isinstance(route.due, str))
    yield from (("assignee", rule.assignee) for rule in config.assignments)


class RouteValues:
    """Renders one alert's route values; `failed` collects notes of templates that failed,
    `omitted` the warnings of values left out because they rendered empty, `resolved` which
    user a templated assignee's team stands for (`teams:`, at `at`: the alert's arrival)."""

    def __init__(
        self,
        render: Render,
        context: Mapping[str, Any],
        failed: list[str],
        *,
        teams: Mapping[str, Team] | None = None,
        at: datetime | None = None,
    ) -> None:
        self._render, self._context, self._failed = render, context, failed
        self._teams, self._at = teams or {}, at
        self.omitted: list[str] = []
        self.resolved: list[str] = []

    def fields(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        rendered: dict[str, Any] = {}
        for name, value in fields.items():
            where = f"fields.{name}"
            if isinstance(value, list | tuple):
                items = [
                    self._text(where, item) if isinstance(item, str) else item for item in value
                ]
                kept = [item for item in items if item is not None]
                if kept or not value:
                    rendered[name] = kept
            elif isinstance(value, str):
                text = self._text(where, value)
                if text is not None:
                    rendered[name] = text
            else:
                rendered[name] = value
        return rendered

    def labels(self, labels: tuple[str, ...]) -> tuple[str, ...]:
        rendered = (name for label in labels for name in self._names("labels", label))
        return tuple(dict.fromkeys("-".join(name.split()) for name in rendered))

    def components(self, components: tuple[str, ...]) -> tuple[str, ...]:
        rendered = (name for c in components for name in self._names("components", c))
        return tuple(dict.fromkeys(rendered))

    def _names(self, where: str, source: str) -> list[str]:
        """The names one label or component gives: a template rendering a comma-separated
        list gives one per item (`{{ alert.attributes.labels | join(',') }}`: the alert's
        own list); a literal is one name as written."""
        text = self._text(where, source)
        if not text:
            return []
        if not any(mark in source for mark in _MARKS):
            return [text]
        return [name.strip() for name in text.split(",") if name.strip()]

    def assignee(self, assignee: str | None) -> str | None:
        """The rendered assignee; a team's name (`{{ alert.attributes.assignee }}` rendering
        `compliance-team`) becomes its user. A literal team was resolved by routing."""
        text = None if assignee is None else self._text("assignee", assignee)
        if text is None or text not in self._teams or self._at is None:
            return text
        user, why = resolve_assignee(text, self._teams, self._at)
        self.resolved.append(f"assignee: {why}")
        return user

    def due_date(self, route: Route) -> date | None:
        """The route's due date; a templated one renders an ISO date (or date-time: its
        calendar date) or a duration such as `+2d`, counted from occurred_at like an SLA.
        One that renders none (SentinelIQ's alert without a `dueDate`) or fails gives the SLA
        by severity (`defaults.due`), which routing put in `route.due_at`."""
        if route.due_template is None:
            return route.due_date
        sla = "the SLA's due date is used" if route.due_at else "no due date is set"
        text = self._text("due", route.due_template, sla)
        if text is None:
            return route.due_date
        try:
            return _due(text, route.due_from)
        except ValueError as error:
            self._failed.append(_note("due", f"{error}", sla))
            return route.due_date

    def _text(self, where: str, source: str, instead: str = "left out") -> str | None:
        """`source` rendered; None (with a note or a warning saying what is done `instead`)
        when it fails or is empty."""
        try:
            text = self._render(where, source, self._context)
        except PermanentError as error:
            failed = "the field is left out" if where.startswith("fields.") else instead
            self._failed.append(_note(where, str(error), failed))
            return None
        if text or not any(mark in source for mark in _MARKS):
            return text
        self.omitted.append(f"{where}: the template {source!r} rendered empty; {instead}")
        return None


def _due(text: str, counted_from: datetime | None) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is not None:
        zone = counted_from.tzinfo if counted_from is not None else None
        return moment.astimezone(zone).date() if moment.tzinfo and zone else moment.date()
    try:
        offset = parse_duration(text)
    except ValueError:
        raise ValueError(f"{text[:80]!r} is neither an ISO date nor a duration") from None
    if counted_from is None:
        raise ValueError("a duration needs the alert's occurred_at, which is unknown")
    return (counted_from + offset).astimezone(counted_from.tzinfo).date()


def _note(where: str, message: str, instead: str) -> str:
    return failure_note(where, PermanentError(message), instead)


def failure_note(template: str, error: Exception, instead: str) -> str:
    """The note of a template that failed for this alert: which, why, what was used instead."""
    message = " ".join(str(error).split())
    if len(message) > _MAX_ERROR:
        message = message[:_MAX_ERROR] + "…"
    return f"ticketbridge: the template {template!r} failed for this alert ({message}); {instead}."
