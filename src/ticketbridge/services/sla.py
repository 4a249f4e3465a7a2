"""Which SLA applies to a ticket (issue 15 item 3): its route's `sla`, else the defaults', with
the budgets of the alert's severity (`domain.sla.SlaPolicy`); the clocks themselves are
`domain.sla.sla_status`, computed from the issue's events."""

from __future__ import annotations

from ticketbridge.config import Config
from ticketbridge.config.models import SlaConfig
from ticketbridge.domain import Severity
from ticketbridge.domain.sla import BreachActions, SlaPolicy


class SlaPolicies:
    """The configuration's SLAs, by route name (None: the defaults)."""

    def __init__(self, config: Config) -> None:
        self._defaults = config.defaults.sla
        self._routes = {route.name: route.sla for route in config.routes if route.sla}

    def policy(self, route: str | None, severity: Severity) -> SlaPolicy | None:
        """The clocks of an alert of `severity` on `route`; None when no SLA applies."""
        sla = self._routes.get(route or "", self._defaults)
        return _policy(sla, severity) if sla is not None else None


def _policy(sla: SlaConfig, severity: Severity) -> SlaPolicy | None:
    first, resolution = sla.first_response.get(severity), sla.resolution.get(severity)
    if first is None and resolution is None:
        return None
    on_breach = BreachActions(sla.on_breach.escalate, sla.on_breach.notify)
    return SlaPolicy(first, resolution, frozenset(sla.pause), sla.at_risk, on_breach)
