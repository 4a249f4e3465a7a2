"""The routing seam of production: `RulesRouter`, the CEL rules engine behind `RouteSeam`.

With no routes the rules engine still applies every default; routing applies `min_severity` and
`action: ignore` and says why.
"""

from __future__ import annotations

from ticketbridge.domain import Alert
from ticketbridge.domain.route import Route
from ticketbridge.rules import Router


class RulesRouter:
    """Adapts `ticketbridge.rules.Router` (CEL routes, assignments) to `RouteSeam`.

    `fields` values are still Jinja2 templates here; the `IssueComposer` renders them.
    """

    def __init__(self, router: Router) -> None:
        self._router = router

    def route(self, alert: Alert) -> Route:
        return self._router.route(alert)
