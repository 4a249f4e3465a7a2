"""Rules as the seed products' scripts write them (seed 000's `configure_rule`), as routes.

    route_from_rule(
        name="Critical Hallucinations → Jira",
        trigger="confidence < 0.5",
        action={"type": "create_jira_issue", "project_key": "OPS", "issue_type": "Bug",
                "priority": "Highest", "template": "hallucination_bug"},
    )

Triggers are CEL, with two forms of those scripts understood: `x = y` means `x == y`, and
`policy_violation = true` (a flag named after an alert kind) means `kind == "policy_violation"`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ticketbridge.config import RouteConfig
from ticketbridge.errors import ConfigError, Problem, validated
from ticketbridge.rules.expressions import ALERT_VARIABLES

_KIND_FLAG = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*==?\s*true\s*$")
_SINGLE_EQUALS = re.compile(r"(?<![=!<>])=(?!=)")
_STRING = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'""")
# The action keys of seed 000 and what they are called in a route.
_ACTION_KEYS = {
    "project_key": "project",
    "project": "project",
    "issue_type": "issue_type",
    "priority": "priority",
    "assignee": "assignee",
    "template": "template",
    "due_date": "due",
    "due": "due",
    "labels": "labels",
    "components": "components",
    "fields": "fields",
}
_ACTION_TYPES = {"create_jira_issue": "ticket", "ignore": "ignore"}


def trigger_to_cel(trigger: str) -> str:
    """`policy_violation = true` → `kind == "policy_violation"`; `a = b` → `a == b`."""
    flag = _KIND_FLAG.match(trigger)
    if flag is not None and flag.group(1) not in ALERT_VARIABLES:
        return f'kind == "{flag.group(1)}"'
    pieces = _STRING.split(trigger)
    strings = _STRING.findall(trigger)
    code = [_SINGLE_EQUALS.sub("==", piece) for piece in pieces]
    return "".join(part for pair in zip(code, [*strings, ""], strict=True) for part in pair)


def route_from_rule(name: str, trigger: str, action: Mapping[str, Any]) -> RouteConfig:
    """A route from a seed-style rule; ConfigError naming the offending action key."""
    problems: list[Problem] = []
    values: dict[str, Any] = {"name": name, "when": trigger_to_cel(trigger)}
    for key, value in action.items():
        if key == "type":
            if value not in _ACTION_TYPES:
                expected = ", ".join(sorted(_ACTION_TYPES))
                problems.append(Problem("action.type", f"unknown type {value!r}; use {expected}"))
            else:
                values["action"] = _ACTION_TYPES[value]
        elif key in _ACTION_KEYS:
            values[_ACTION_KEYS[key]] = value
        else:
            problems.append(Problem(f"action.{key}", f"unknown key '{key}'"))
    if problems:
        raise ConfigError(f"rule '{name}' is invalid", problems)
    return validated(RouteConfig, values, f"rule '{name}' is invalid")
