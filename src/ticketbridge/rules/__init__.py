"""ticketbridge.rules: CEL routes, severity ranks, priority/issue-type mappings, SLA due dates.

    router = Router(config)              # compiles and type-checks every condition, once
    plan = router.route(alert)           # an Alert, or a mapping of one → domain Route

`check_conditions` type-checks the conditions of a YAML document while it is loaded
(`ticketbridge.bootstrap.load_config`), so every problem is listed at once.
"""

from ticketbridge.rules.activation import alert_values
from ticketbridge.rules.checks import check_conditions
from ticketbridge.rules.expressions import CelError, ConditionCompiler, severity_rank
from ticketbridge.rules.legacy import route_from_rule, trigger_to_cel
from ticketbridge.rules.router import Router

__all__ = [
    "CelError",
    "ConditionCompiler",
    "Router",
    "alert_values",
    "check_conditions",
    "route_from_rule",
    "severity_rank",
    "trigger_to_cel",
]
