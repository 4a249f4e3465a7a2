"""`config check`'s warning when a due date and an SLA contradict each other (issue 15 item 4):
a route's (or the defaults') due date later than the resolution budget of the same route and
severity promises the assignee more time than the SLA gives. Due dates stay as they are
(counted from `occurred_at`, like the SLA clocks); the warning only says so."""

from __future__ import annotations

from datetime import timedelta

from ticketbridge.config.durations import format_duration
from ticketbridge.config.models import Defaults, RouteConfig
from ticketbridge.config.schema import Config
from ticketbridge.domain import Severity
from ticketbridge.errors import Problem


def due_after_resolution(config: Config) -> list[Problem]:
    """A warning per (route or defaults, severity) whose due date is later than its resolution
    budget."""
    found = _block(config, "defaults", config.defaults, dict(config.defaults.due))
    for index, route in enumerate(config.routes):
        found.extend(_block(config, f"routes[{index}]", route, _route_due(config.defaults, route)))
    return found


def on_breach_without_settings(config: Config) -> list[Problem]:
    """A warning per `sla.on_breach` that asks for what is not configured: `escalate` writes
    `sync.escalate`'s priority and labels (without it, nothing), `notify` posts to
    `sync.notify.slack_webhook` (without it, the job is dead-lettered)."""
    blocks = [("defaults", config.defaults.sla)]
    blocks += [(f"routes[{i}]", route.sla) for i, route in enumerate(config.routes)]
    missing = {
        "escalate": "sync.escalate" if config.sync.escalate is None else None,
        "notify": "sync.notify.slack_webhook" if config.sync.notify.slack_webhook is None else None,
    }
    found = []
    for where, sla in blocks:
        for action, setting in missing.items():
            if sla is not None and setting is not None and getattr(sla.on_breach, action):
                message = f"{where}.sla.on_breach.{action} is on but {setting} is not configured"
                found.append(Problem(f"{where}.sla.on_breach.{action}", message))
    return found


def _route_due(defaults: Defaults, route: RouteConfig) -> dict[Severity, timedelta]:
    if route.due is None:
        return dict(defaults.due)
    if isinstance(route.due, timedelta):
        return dict.fromkeys(Severity, route.due)
    if isinstance(route.due, dict):
        return dict(route.due)
    return {}  # a templated due date: known per alert only


def _block(
    config: Config, where: str, block: Defaults | RouteConfig, due: dict[Severity, timedelta]
) -> list[Problem]:
    sla = block.sla if block.sla is not None else config.defaults.sla
    if sla is None:
        return []
    found = []
    for severity, budget in sla.resolution.items():
        after = due.get(severity)
        if after is not None and after > budget:
            message = (
                f"{where} ({severity.value}): the due date ({format_duration(after)} after "
                f"the alert) is later than the SLA's resolution budget "
                f"({format_duration(budget)}): the issue is due after its SLA is breached"
            )
            found.append(Problem(f"{where}.due", message, _line(config, where)))
    return found


def _line(config: Config, where: str) -> int | None:
    if where == "defaults":
        return config.line_of("defaults", "due")
    index = int(where.removeprefix("routes[").rstrip("]"))
    return config.line_of("routes", index, "due") or config.line_of("routes", index)
