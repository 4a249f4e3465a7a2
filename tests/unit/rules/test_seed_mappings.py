"""The seeds' rule and mapping tables, reproduced by the defaults and by examples/*.yaml."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ticketbridge.bootstrap import load_config
from ticketbridge.config import Config
from ticketbridge.rules import Router

EXAMPLES = Path(__file__).parents[3] / "examples"
OCCURRED = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@functools.cache
def example_router(name: str) -> Router:
    path = EXAMPLES / name
    variables = set(re.findall(r"\$\{(\w+)\}", path.read_text()))
    return Router(load_config(path, env=dict.fromkeys(variables, "secret")))


def alert(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "a-1",
        "source": "generic",
        "kind": "generic",
        "title": "t",
        "severity": "high",
        "confidence": None,
        "attributes": {},
        "occurred_at": OCCURRED,
    }
    return base | overrides


# Seed 001: block → Highest/Bug, escalate → High/Task, redact → Medium/Task, log → Low/Task.
@pytest.mark.parametrize(
    ("action", "priority", "issue_type"),
    [
        ("block", "Highest", "Bug"),
        ("escalate", "High", "Task"),
        ("redact", "Medium", "Task"),
        ("log", "Low", "Task"),
    ],
)
def test_seed_001_action_table_by_default(action: str, priority: str, issue_type: str) -> None:
    plan = Router(Config()).route(
        alert(source="keeptrusts", kind="escalation", attributes={"action": action})
    )
    assert (plan.priority, plan.issue_type) == (priority, issue_type)


# Seed 001's SLA per action, and its custom fields, in examples/keeptrusts.yaml.
@pytest.mark.parametrize(
    ("action", "route", "due", "priority", "issue_type"),
    [
        ("block", "block", timedelta(hours=1), "Highest", "Bug"),
        ("escalate", "escalate", timedelta(hours=4), "High", "Task"),
        ("redact", "redact", timedelta(hours=24), "Medium", "Task"),
        ("log", "log", timedelta(days=7), "Low", "Task"),
    ],
)
def test_seed_001_keeptrusts_example(
    action: str, route: str, due: timedelta, priority: str, issue_type: str
) -> None:
    plan = example_router("keeptrusts.yaml").route(
        alert(
            source="keeptrusts",
            kind="escalation",
            severity="info",
            attributes={"action": action, "policy_name": "pii"},
        )
    )
    assert (plan.name, plan.action, plan.project) == (route, "ticket", "AIGOV")
    assert (plan.priority, plan.issue_type) == (priority, issue_type)
    assert plan.due_at == OCCURRED + due
    assert plan.template == "ai_escalation"
    assert set(plan.fields) == {
        "Escalation ID",
        "Policy Name",
        "Model",
        "Gateway ID",
        "Console URL",
    }
    assert plan.labels == (
        "ai-governance",
        "keeptrusts",
        "{{ alert.attributes.policy_name | default('') }}",  # rendered by the composer
    )


# Seeds 003 and 004: severity → priority (SentinelIQ's table; Kushim's mapping screen).
@pytest.mark.parametrize(
    ("severity", "priority"),
    [("low", "Low"), ("medium", "Medium"), ("high", "High"), ("critical", "Highest")],
)
@pytest.mark.parametrize("example", ["security.yaml", "compliance.yaml"])
def test_seed_003_004_priority_by_severity(example: str, severity: str, priority: str) -> None:
    plan = example_router(example).route(alert(severity=severity, kind="other"))
    assert plan.priority == priority


# Seed 004: SLA due dates, severity threshold, project routing and auto-assignment.
@pytest.mark.parametrize(
    ("control_id", "severity", "expected"),
    [
        ("AWS_IAM_MFA", "critical", ("aws-controls", "ticket", "INFRA", "cloud-team", 1)),
        ("AWS_IAM_MFA", "high", ("aws-controls", "ticket", "INFRA", "cloud-team", 7)),
        ("GITHUB_BRANCH", "medium", ("defaults", "ticket", "COMPLIANCE", "dev-team", 30)),
        ("OKTA_2FA", "high", ("defaults", "ticket", "COMPLIANCE", "security-team", 7)),
        ("GCP_KMS", "high", ("defaults", "ticket", "COMPLIANCE", "compliance-lead", 7)),
        ("GCP_KMS", "low", ("defaults", "ignore", "COMPLIANCE", "compliance-lead", 90)),
        ("AWS_S3_LOGGING", "critical", ("muted-controls", "ignore", "COMPLIANCE", "cloud-team", 1)),
    ],
)
def test_seed_004_compliance_example(
    control_id: str, severity: str, expected: tuple[str, str, str, str, int]
) -> None:
    plan = example_router("compliance.yaml").route(
        alert(
            source="compliance",
            kind="control_failure",
            severity=severity,
            attributes={"control_id": control_id, "framework": "SOC 2"},
        )
    )
    route, action, project, team, days = expected
    assignee = f"{team}@acme-corp.com"
    assert (plan.name, plan.action, plan.project, plan.assignee) == (
        route,
        action,
        project,
        assignee,
    )
    assert plan.due_at == OCCURRED + timedelta(days=days)
    assert plan.template == "compliance_control_failure"


# Seed 000: trigger rules ("confidence < 0.5" → OPS Bug Highest; policy violation → COMPLIANCE
# High due +2d).
@pytest.mark.parametrize(
    ("incoming", "expected"),
    [
        (
            alert(kind="hallucination", severity="critical", confidence=0.05),
            ("critical-hallucinations", "OPS", "Bug", "Highest", timedelta(days=1)),
        ),
        (
            alert(kind="hallucination", severity="high", confidence=0.7),
            ("defaults", "OPS", "Task", "High", timedelta(days=7)),
        ),
        (
            alert(kind="hallucination", severity="high", confidence=None),
            ("defaults", "OPS", "Task", "High", timedelta(days=7)),
        ),
        (
            alert(kind="policy_violation", severity="medium"),
            ("policy-violations", "COMPLIANCE", "Task", "High", timedelta(days=2)),
        ),
    ],
)
def test_seed_000_truthvouch_example(
    incoming: dict[str, Any], expected: tuple[str, str, str, str, timedelta]
) -> None:
    plan = example_router("truthvouch.yaml").route(incoming)
    route, project, issue_type, priority, due = expected
    assert (plan.name, plan.project, plan.issue_type, plan.priority) == (
        route,
        project,
        issue_type,
        priority,
    )
    assert plan.due_at == OCCURRED + due


def test_seed_000_hallucinations_grouped_under_an_epic() -> None:
    router = example_router("truthvouch.yaml")
    plan = router.route(alert(kind="hallucination", severity="critical", confidence=0.1))
    [route] = [r for r in router.config.routes if r.name == plan.name]
    assert route.group is not None
    assert route.group.epic.startswith("Hallucinations: ")
    assert plan.labels[:3] == ("ai-governance", "hallucination", "ai-safety")
    assert plan.assignee == "oncall@company.com"  # on-call-rotation, week 38: its first member
    assert any("'on-call-rotation' is a rotation: oncall@company.com" in r for r in plan.reasons)


def test_seed_003_critical_security_alert_is_an_incident() -> None:
    router = example_router("security.yaml")
    critical = router.route(alert(kind="security_alert", severity="critical"))
    evidence = router.route(
        alert(kind="security_alert", severity="high", attributes={"custody": {"log": []}})
    )
    assert (critical.name, critical.issue_type, critical.project) == (
        "critical-incidents",
        "Incident",
        "SEC",
    )
    assert (evidence.name, evidence.components) == ("with-evidence", ("Forensics",))
