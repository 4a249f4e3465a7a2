"""Router: the first route whose CEL condition holds decides; else `defaults` (SPEC §3, §4.2).

Built once from a Config (every condition compiled and type-checked, or ConfigError naming the
route and the position), then `route(alert)` for each alert: fast, and it never raises on an
evaluation error — a route whose condition fails to evaluate (a missing key, CEL's iteration
budget over a long list, a value CEL cannot take) does not match, says why in the plan's
reasons, and the next route is tried: no alert content can make routing fail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ticketbridge.config import AssignmentRule, Config, Defaults, RouteConfig, format_path
from ticketbridge.config.teams import teams_of
from ticketbridge.domain.alert import Alert
from ticketbridge.domain.route import DEFAULTS_ROUTE, Route, RouteAction
from ticketbridge.domain.severity import Severity
from ticketbridge.domain.teams import resolve_assignee
from ticketbridge.errors import ConfigError, Problem
from ticketbridge.rules.activation import UNKNOWN_TIME, alert_values, parse_severity
from ticketbridge.rules.expressions import (
    EVALUATION_ERRORS,
    Condition,
    ConditionCompiler,
    Outcome,
    raised_reason,
    referenced_variables,
)
from ticketbridge.rules.guards import Guard, guard_for
from ticketbridge.rules.mapping import (
    due_for,
    due_from,
    issue_type_for,
    merged_labels,
    priority_for,
)

Location = tuple[str | int, ...]
_MAX_CACHED_COMBINATIONS = 4096
_MAX_PRESENCE_PATTERNS = 256  # per combination: attribute-presence patterns cached


@dataclass(frozen=True)
class _Rule:
    """A compiled condition with its guard (guards.py: what skips CEL where it cannot match)."""

    label: str
    condition: Condition
    guard: Guard


@dataclass(frozen=True)
class _Statics:
    """What a route (or the defaults) contributes regardless of the alert, merged once."""

    name: str
    route: RouteConfig | None
    project: str
    labels: tuple[str, ...]
    components: tuple[str, ...]
    fields: Mapping[str, Any]
    template: str | None
    connection: str  # the Jira site's name (`jira.sites`); "": the default site

    @classmethod
    def of(cls, defaults: Defaults, route: RouteConfig | None) -> _Statics:
        components = route.components if route and route.components is not None else None
        return cls(
            name=route.name if route else DEFAULTS_ROUTE,
            route=route,
            project=(route.project if route else None) or defaults.project,
            labels=merged_labels(defaults, route),
            components=tuple(components if components is not None else defaults.components),
            fields={**defaults.fields, **(route.fields if route else {})},
            template=(route.template if route else None) or defaults.template,
            connection=(route.site if route else None) or defaults.site or "",
        )


Step = tuple[_Rule, _Statics, str | None]


class _Candidates:
    """The routes one kind/source/status/rank admits, and what their attribute guards decide
    per presence of the attributes they name (cached: a guard only looks at presence)."""

    def __init__(self, entries: list[tuple[_Rule, _Statics]]) -> None:
        self._entries = entries
        names = {n for rule, _ in entries for n in (*rule.guard.attributes, *rule.guard.selected)}
        self._names = frozenset(names)
        self._steps: dict[frozenset[str], list[Step]] = {}

    def steps(self, values: Mapping[str, Any], rank: int) -> list[Step]:
        """In order: each route to try (reason None) or the guard's reason it cannot match;
        the routes a guard rules out without a reason are left out."""
        attributes = values["attributes"]
        present = self._names.intersection(attributes)
        steps = self._steps.get(present)
        if steps is None:
            steps = []
            for rule, statics in self._entries:
                excluded = rule.guard.excludes(attributes, rank)
                if excluded != "":
                    reason = f"{rule.label} did not match: {excluded}" if excluded else None
                    steps.append((rule, statics, reason))
            if len(self._steps) < _MAX_PRESENCE_PATTERNS:
                self._steps[present] = steps
        return steps


class _Activation:
    """An alert's CEL variables, converted on first use (the guards spare many alerts all CEL)."""

    __slots__ = ("_activation", "_compiler", "_used", "_values")

    def __init__(
        self, compiler: ConditionCompiler, values: Mapping[str, Any], used: tuple[str, ...]
    ) -> None:
        self._compiler, self._values, self._used = compiler, values, used
        self._activation: Any = None

    def evaluate(self, condition: Condition) -> Outcome:
        """The condition's outcome; a value CEL cannot take is a reason too, never a raise."""
        if self._activation is None:
            values = self._values
            try:
                self._activation = self._compiler.activation({n: values[n] for n in self._used})
            except EVALUATION_ERRORS as error:
                return (False, raised_reason(error))
        return condition.evaluate(self._activation)


class Router:
    """Routes alerts for one Config; safe to share between threads (its caches, of routes per
    kind/source/status/rank and of guard verdicts per attribute presence, are filled
    idempotently)."""

    def __init__(self, config: Config, *, compiler: ConditionCompiler | None = None) -> None:
        self._config = config
        self._compiler = compiler or ConditionCompiler()
        problems: list[Problem] = []
        self._routes: list[tuple[_Rule, _Statics]] = []
        for index, route in enumerate(config.routes):
            rule = self._compile(("routes", index), f"route '{route.name}'", route.when, problems)
            if rule is not None:
                self._routes.append((rule, _Statics.of(config.defaults, route)))
        self._assignments: list[tuple[_Rule, AssignmentRule]] = []
        for index, assignment in enumerate(config.assignments):
            label = f"assignment '{assignment.name or f'assignments[{index}]'}'"
            rule = self._compile(("assignments", index), label, assignment.when, problems)
            if rule is not None:
                self._assignments.append((rule, assignment))
        if problems:
            raise ConfigError(f"{len(problems)} routing conditions are invalid", problems)
        self._defaults = _Statics.of(config.defaults, None)
        self._teams = teams_of(config.teams)
        # Only the variables some condition names go into the activation (fewer conversions).
        texts = [r.when for r in config.routes] + [a.when for a in config.assignments]
        self._used = referenced_variables(texts)
        self._unused = frozenset({"links", "received_at"}.difference(self._used))
        self._candidates: dict[tuple[str, str, str, int], _Candidates] = {}

    @property
    def config(self) -> Config:
        return self._config

    def route(self, alert: Alert | Mapping[str, Any]) -> Route:
        """The plan for one alert: the first matching route, else the defaults."""
        values = alert_values(alert, skip=self._unused)
        severity = parse_severity(values["severity"])
        rank = severity.rank if severity is not None else -1
        activation = _Activation(self._compiler, values, self._used)
        reasons: list[str] = []
        statics = self._first_match(values, rank, activation, reasons)
        if severity is None:
            reasons.append(f"unknown severity '{values['severity']}': treated as info")
            severity = Severity.INFO
        return self._plan(statics, severity, rank, values, activation, reasons)

    def _first_match(
        self, values: Mapping[str, Any], rank: int, activation: _Activation, reasons: list[str]
    ) -> _Statics:
        for rule, statics, excluded in self._candidates_for(values, rank).steps(values, rank):
            if excluded is not None:  # the guard's reason: it would be an evaluation error
                reasons.append(excluded)
                continue
            matched, error = activation.evaluate(rule.condition)
            if matched:
                reasons.append(f"matched {rule.label}: {rule.condition.source}")
                return statics
            if error is not None:
                reasons.append(f"{rule.label} did not match: {error}")
        reasons.append("no route matched: defaults apply")
        return self._defaults

    def _candidates_for(self, values: Mapping[str, Any], rank: int) -> _Candidates:
        """The routes whose equality and severity guards admit this kind/source/status and
        severity rank, in order (a route the rank rules out is skipped without a reason, as
        `excludes` would); cached, since alerts come in few such combinations (bounded, for the
        odd flood of new kinds)."""
        key = (values["kind"], values["source"], values["status"], rank)
        candidates = self._candidates.get(key)
        if candidates is None:
            candidates = _Candidates(
                [
                    entry
                    for entry in self._routes
                    if entry[0].guard.admits_fields(*key[:3]) and entry[0].guard.admits_rank(rank)
                ]
            )
            if len(self._candidates) < _MAX_CACHED_COMBINATIONS:
                self._candidates[key] = candidates
        return candidates

    def _plan(
        self,
        statics: _Statics,
        severity: Severity,
        rank: int,
        values: Mapping[str, Any],
        activation: _Activation,
        reasons: list[str],
    ) -> Route:
        defaults, route = self._config.defaults, statics.route
        action = self._action(route, severity, reasons)
        priority, why_priority = priority_for(route, defaults, severity, values)
        issue_type, why_type = issue_type_for(route, defaults, values)
        occurred_at: datetime = values["occurred_at"]
        known = occurred_at != UNKNOWN_TIME
        due_at, why_due = (
            due_for(route, defaults, severity, occurred_at)
            if known
            else (None, "no due date: occurred_at unknown")
        )
        assignee = self._assignee(route, values, rank, activation, reasons)
        assignee, on_duty = self._on_duty(assignee, values)
        reasons.extend(r for r in (on_duty,) if r is not None)
        reasons.extend(r for r in (why_priority, why_type, why_due) if r is not None)
        return Route(
            name=statics.name,
            action=action,
            project=statics.project,
            connection=statics.connection,
            issue_type=issue_type,
            priority=priority,
            assignee=assignee,
            labels=statics.labels,
            components=statics.components,
            fields=statics.fields,
            template=statics.template,
            due_at=due_at,
            due_template=route.due if route and isinstance(route.due, str) else None,
            due_from=due_from(route, defaults, occurred_at) if known else None,
            reasons=tuple(reasons),
            assignee_reason=on_duty,
        )

    def _action(
        self, route: RouteConfig | None, severity: Severity, reasons: list[str]
    ) -> RouteAction:
        if route is not None and route.action == "ignore":
            reasons.append(f"action ignore from route '{route.name}'")
            return "ignore"
        minimum = (route.min_severity if route else None) or self._config.defaults.min_severity
        if severity < minimum:
            reasons.append(f"severity {severity.value} is below min_severity {minimum.value}")
            return "ignore"
        return "ticket"

    def _assignee(
        self,
        route: RouteConfig | None,
        values: Mapping[str, Any],
        rank: int,
        activation: _Activation,
        reasons: list[str],
    ) -> str | None:
        if route is not None and route.assignee is not None:
            return route.assignee
        for rule, assignment in self._assignments:
            if not rule.guard.admits_fields(values["kind"], values["source"], values["status"]):
                continue
            if rule.guard.excludes(values["attributes"], rank) is not None:
                continue
            verdict, error = activation.evaluate(rule.condition)
            if error is not None:
                reasons.append(f"{rule.label} did not match: {error}")
            if verdict:
                reasons.append(f"assignee {assignment.assignee} from {rule.label}")
                return assignment.assignee
        return self._config.defaults.assignee

    def _on_duty(
        self, assignee: str | None, values: Mapping[str, Any]
    ) -> tuple[str | None, str | None]:
        """A team's user for the moment the alert arrived, and why (a templated assignee is
        rendered, and its team resolved, by the composer)."""
        at: datetime = values["received_at"]
        return resolve_assignee(
            assignee, self._teams, at if at != UNKNOWN_TIME else values["occurred_at"]
        )

    def _compile(
        self, location: Location, label: str, expression: str, problems: list[Problem]
    ) -> _Rule | None:
        errors = self._compiler.check(expression)
        if errors:
            where = (*location, "when")
            line = self._config.line_of(*where)
            problems.extend(
                Problem(format_path(where), f"{label}: {e.describe()}", line) for e in errors
            )
            return None
        return _Rule(label, self._compiler.compile(expression), guard_for(expression))
