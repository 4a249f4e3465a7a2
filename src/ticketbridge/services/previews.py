"""What the admin UI's Routes and Templates pages show: an alert (pasted or stored) through
routing, the decision and the templates, exactly as `ticketbridge plan --offline` does (the
same `Planner`), with the description in both of Jira's shapes and Jira's length budgets; CEL
conditions checked as they are typed; the configured routes with the shadowed ones marked.
Nothing is written."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ticketbridge.clock import Clock
from ticketbridge.config.models import RouteConfig, TemplateConfig
from ticketbridge.domain import Alert
from ticketbridge.errors import ConfigError, InputError, Problem
from ticketbridge.render import TemplateEngine, to_adf, to_wiki
from ticketbridge.render.limits import (
    DESCRIPTION_LIMIT,
    SUMMARY_LIMIT,
    adf_measure,
    jira_length,
    truncate,
    wiki_measure,
)
from ticketbridge.rules import ConditionCompiler
from ticketbridge.services.intake import parse_alerts
from ticketbridge.services.planning import PlannedIssue, Planner
from ticketbridge.services.ports import UnitOfWorkFactory
from ticketbridge.services.templated import template_context

_MAX_PASTE = 256 * 1024


@dataclass(frozen=True)
class Budget:
    used: int
    limit: int

    @property
    def over(self) -> bool:
        return self.used > self.limit


@dataclass(frozen=True)
class Preview:
    planned: PlannedIssue
    adf: dict[str, Any] | None
    wiki: str | None
    summary: Budget | None
    description: Budget | None


@dataclass(frozen=True)
class Edited:
    """A template being edited, rendered for one alert: what Jira would get, or the
    sandbox's errors (with the line) instead."""

    summary: str = ""
    adf: dict[str, Any] | None = None
    wiki: str | None = None
    summary_budget: Budget | None = None
    description_budget: Budget | None = None
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class RouteRow:
    position: int
    route: RouteConfig
    shadowed_by: str | None  # an earlier route that always matches first


def _normal(expression: str) -> str:
    return re.sub(r"\s+", "", expression)


class Previews:
    def __init__(
        self,
        planner: Planner,
        routes: Sequence[RouteConfig],
        templates: Mapping[str, TemplateConfig],
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        fingerprint_fields: Any,
        flavor: Callable[[], str],
    ) -> None:
        self._planner = planner
        self._routes = list(routes)
        self._templates = dict(templates)
        self._uow_factory = uow_factory
        self._clock = clock
        self._fields = fingerprint_fields
        self._flavor = flavor
        self._compiler = ConditionCompiler()

    def check_condition(self, expression: str) -> list[str]:
        """Every syntax and type error of a route condition (empty: valid)."""
        if not expression.strip():
            return ["a condition is required (true matches every alert)"]
        return [error.describe() for error in self._compiler.check(expression[:10_000])]

    def routes(self) -> list[RouteRow]:
        """The routes in order; a route after one with the same or an always-true condition
        can never match (the first match wins)."""
        rows: list[RouteRow] = []
        seen: dict[str, str] = {}
        for position, route in enumerate(self._routes, start=1):
            when = _normal(route.when)
            shadow = seen.get(when) or seen.get("true")
            rows.append(RouteRow(position, route, shadow))
            seen.setdefault(when, route.name)
        return rows

    def templates(self) -> list[tuple[str, list[str]]]:
        """The configured templates, each with the routes that use it."""
        return [
            (name, [r.name for r in self._routes if r.template == name]) for name in self._templates
        ]

    def template(self, name: str) -> TemplateConfig:
        """A configured template's text to start editing from (unknown: the default one)."""
        return self._templates.get(name) or TemplateConfig()

    def render_edited(self, alert: Alert, edited: TemplateConfig) -> Edited:
        """`edited` rendered for `alert` in the sandbox, as the pipeline renders a template;
        a fresh engine each time, so nothing of an edit outlives its preview."""
        engine = TemplateEngine()
        context = template_context(alert)
        try:
            summary_template = engine.compile("summary", edited.summary)
            description_template = engine.compile("description", edited.description, edited.format)
            summary = " ".join(engine.render(summary_template, context).split())
            doc = truncate(engine.render_document(description_template, context))
        except ConfigError as error:
            return Edited(problems=tuple(error.problems))
        measured = wiki_measure(doc) if self._flavor() == "datacenter" else adf_measure(doc)
        return Edited(
            summary,
            to_adf(doc),
            to_wiki(doc),
            Budget(jira_length(summary), SUMMARY_LIMIT),
            Budget(measured, DESCRIPTION_LIMIT),
        )

    async def alert(self, pasted: str, stored: str) -> Alert:
        """The alert to preview: a stored one by `source/id` (or id), else the pasted JSON."""
        if stored.strip():
            source, _, alert_id = stored.strip().rpartition("/")
            async with self._uow_factory() as uow:
                found = await uow.alerts.get(source or None, alert_id)
            if found is None:
                raise InputError("no such alert", [Problem("stored", f"no alert {stored!r}")])
            return found.alert
        if len(pasted) > _MAX_PASTE or not pasted.strip():
            problem = f"paste one alert as JSON (at most {_MAX_PASTE // 1024} KiB)"
            raise InputError("no alert", [Problem("alert", problem)])
        alerts = parse_alerts(pasted, now=self._clock(), fingerprint_fields=self._fields)
        if len(alerts) != 1:
            raise InputError("one alert", [Problem("alert", "paste exactly one alert")])
        return alerts[0]

    async def preview(self, alert: Alert) -> Preview:
        planned = await self._planner.plan(alert)
        draft = planned.draft
        if draft is None:
            return Preview(planned, None, None, None, None)
        summary = Budget(jira_length(draft.summary), SUMMARY_LIMIT)
        doc = draft.description
        if doc is None:
            return Preview(planned, None, None, summary, None)
        adf, wiki = to_adf(doc), to_wiki(doc)
        measured = wiki_measure(doc) if self._flavor() == "datacenter" else adf_measure(doc)
        return Preview(planned, adf, wiki, summary, Budget(measured, DESCRIPTION_LIMIT))
