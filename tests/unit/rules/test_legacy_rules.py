"""Seed 000's `configure_rule(name, trigger, action)` as a route."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ticketbridge.config import Config
from ticketbridge.errors import ConfigError, Problem
from ticketbridge.rules import Router, route_from_rule, trigger_to_cel

NOW = datetime(2026, 11, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("trigger", "cel"),
    [
        ("confidence < 0.5", "confidence < 0.5"),
        ("policy_violation = true", 'kind == "policy_violation"'),
        ("hallucination == true", 'kind == "hallucination"'),
        ('source = "keeptrusts"', 'source == "keeptrusts"'),
        ('title = "a=b" && confidence <= 0.2', 'title == "a=b" && confidence <= 0.2'),
        ('severity != "low"', 'severity != "low"'),
    ],
)
def test_trigger_to_cel(trigger: str, cel: str) -> None:
    assert trigger_to_cel(trigger) == cel


def test_seed_000_rules_route_like_the_seed_says() -> None:
    critical = route_from_rule(
        "Critical Hallucinations → Jira",
        "confidence < 0.5",
        {
            "type": "create_jira_issue",
            "project_key": "OPS",
            "issue_type": "Bug",
            "priority": "Highest",
            "assignee": "on-call-rotation",
            "template": "hallucination_bug",
        },
    )
    policy = route_from_rule(
        "Policy Violation → Jira",
        "policy_violation = true",
        {
            "type": "create_jira_issue",
            "project_key": "COMPLIANCE",
            "issue_type": "Task",
            "priority": "High",
            "assignee": "compliance-team",
            "due_date": "+2d",
        },
    )
    router = Router(Config(routes=[critical, policy]))
    base = {"severity": "high", "occurred_at": NOW, "attributes": {}}

    hallucination = router.route({**base, "kind": "hallucination", "confidence": 0.05})
    violation = router.route({**base, "kind": "policy_violation"})

    assert (hallucination.name, hallucination.project, hallucination.priority) == (
        "Critical Hallucinations → Jira",
        "OPS",
        "Highest",
    )
    assert (hallucination.issue_type, hallucination.template) == ("Bug", "hallucination_bug")
    assert (violation.name, violation.project, violation.assignee) == (
        "Policy Violation → Jira",
        "COMPLIANCE",
        "compliance-team",
    )
    assert violation.due_at == NOW + timedelta(days=2)


def test_bad_rule_names_the_action_key() -> None:
    with pytest.raises(ConfigError) as caught:
        route_from_rule("r", "true", {"type": "send_email", "projekt": "OPS", "due_date": "soon"})
    assert list(caught.value.problems) == [
        Problem("action.type", "unknown type 'send_email'; use create_jira_issue, ignore"),
        Problem("action.projekt", "unknown key 'projekt'"),
    ]


def test_bad_trigger_is_refused_by_the_router() -> None:
    rule = route_from_rule("r", "confidence < 'high'", {"type": "create_jira_issue"})
    with pytest.raises(ConfigError, match="route 'r': found no matching overload"):
        Router(Config(routes=[rule]))
