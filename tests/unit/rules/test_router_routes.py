"""Table: (config routes, alert) → (route, action, project, issue type, priority, due, reasons)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rules_alerts import OCCURRED, alert

from ticketbridge.bootstrap import load_config
from ticketbridge.domain import Route
from ticketbridge.domain.alert import Alert, AlertLink
from ticketbridge.domain.severity import Severity
from ticketbridge.rules import Router

EXAMPLE = Path(__file__).parents[3] / "examples" / "ticketbridge.yaml"
ENV = dict.fromkeys(
    (
        "JIRA_API_TOKEN",
        "SLACK_WEBHOOK_URL",
        "KEEPTRUSTS_CALLBACK_SECRET",
        "KEEPTRUSTS_WEBHOOK_SECRET",
        "ALERTMANAGER_TOKEN",
    ),
    "x",
)


@pytest.fixture(scope="module")
def spec_router() -> Router:
    return Router(load_config(EXAMPLE, env=ENV))


@dataclass
class Expect:
    route: str
    action: str
    project: str
    issue_type: str
    priority: str | None
    due: timedelta | None
    reasons: list[str] = field(default_factory=list)
    assignee: str | None = None


MUTED_MISSING = "route 'muted-controls' did not match: no key \"control_id\""
CASES = [
    pytest.param(
        alert(severity="critical", confidence=0.05),
        Expect(
            "critical-hallucinations",
            "ticket",
            "OPS",
            "Bug",
            "Highest",
            timedelta(days=2),
            [
                "matched route 'critical-hallucinations': "
                'kind == "hallucination" && confidence < 0.5',
                "priority Highest from route 'critical-hallucinations'",
                "due 2026-11-22 (route 'critical-hallucinations', from occurred_at)",
            ],
            assignee="oncall@acme.com",
        ),
        id="critical-hallucination",
    ),
    pytest.param(
        alert(confidence=None),
        Expect(
            "defaults",
            "ticket",
            "OPS",
            "Task",
            "High",
            timedelta(days=7),
            [
                "route 'critical-hallucinations' did not match: "
                "no matching overload for _<_(null_type, double)",
                MUTED_MISSING,
                "no route matched: defaults apply",
                "priority High from severity high",
                "due 2026-11-27 (SLA for high, from occurred_at)",
            ],
        ),
        id="null-confidence-is-no-match-with-reason",
    ),
    pytest.param(
        alert(source="keeptrusts", kind="escalation", attributes={"action": "block"}),
        Expect(
            "keeptrusts-block",
            "ticket",
            "OPS",
            "Bug",
            "Highest",
            timedelta(days=7),
            [
                "matched route 'keeptrusts-block': "
                'source == "keeptrusts" && attributes.action == "block"',
                "priority Highest from route 'keeptrusts-block'",
                "due 2026-11-27 (SLA for high, from occurred_at)",
            ],
        ),
        id="keeptrusts-block",
    ),
    pytest.param(
        alert(
            source="keeptrusts",
            kind="escalation",
            severity="medium",
            attributes={"action": "redact"},
        ),
        Expect(
            "defaults",
            "ticket",
            "OPS",
            "Task",
            "Medium",
            timedelta(days=30),
            [
                MUTED_MISSING,
                "no route matched: defaults apply",
                "priority Medium from action 'redact'",
                "due 2026-12-20 (SLA for medium, from occurred_at)",
            ],
        ),
        id="priority-by-action",
    ),
    pytest.param(
        alert(kind="control_failure", source="compliance", attributes={"control_id": "AWS_IAM"}),
        Expect(
            "aws-controls",
            "ticket",
            "INFRA",
            "Task",
            "High",
            timedelta(days=7),
            [
                "matched route 'aws-controls': "
                'kind == "control_failure" && attributes.control_id.startsWith("AWS_")',
                "priority High from severity high",
                "due 2026-11-27 (SLA for high, from occurred_at)",
            ],
            assignee="cloud-team@acme.com",
        ),
        id="aws-control-to-infra",
    ),
    pytest.param(
        alert(kind="security_alert", attributes={"control_id": "AWS_S3_LOGGING"}),
        Expect(
            "muted-controls",
            "ignore",
            "OPS",
            "Task",
            "High",
            timedelta(days=7),
            [
                "matched route 'muted-controls': attributes.control_id in [\"AWS_S3_LOGGING\"]",
                "action ignore from route 'muted-controls'",
                "priority High from severity high",
                "due 2026-11-27 (SLA for high, from occurred_at)",
            ],
        ),
        id="action-ignore",
    ),
    pytest.param(
        alert(kind="policy_violation", severity="low"),
        Expect(
            "defaults",
            "ignore",
            "OPS",
            "Task",
            "Low",
            timedelta(days=90),
            [
                MUTED_MISSING,
                "no route matched: defaults apply",
                "severity low is below min_severity medium",
                "priority Low from severity low",
                "due 2027-02-18 (SLA for low, from occurred_at)",
            ],
        ),
        id="below-min-severity",
    ),
    pytest.param(
        alert(kind="policy_violation", severity="info", attributes={"control_id": "X"}),
        Expect(
            "defaults",
            "ignore",
            "OPS",
            "Task",
            "Lowest",
            None,
            [
                "no route matched: defaults apply",
                "severity info is below min_severity medium",
                "priority Lowest from severity info",
            ],
        ),
        id="info-has-no-sla",
    ),
]


@pytest.mark.parametrize(("incoming", "expected"), CASES)
def test_spec_routes(spec_router: Router, incoming: dict[str, Any], expected: Expect) -> None:
    plan = spec_router.route(incoming)

    assert (plan.name, plan.action, plan.project, plan.issue_type, plan.priority) == (
        expected.route,
        expected.action,
        expected.project,
        expected.issue_type,
        expected.priority,
    )
    assert plan.due_at == (OCCURRED + expected.due if expected.due is not None else None)
    assert plan.assignee == expected.assignee
    assert list(plan.reasons) == expected.reasons
    assert plan.labels == ("ai-governance",)


def test_route_carries_unrendered_fields_group_template(spec_router: Router) -> None:
    plan = spec_router.route(alert(severity="critical", confidence=0.1))

    assert plan.template == "hallucination_bug"
    assert plan.components == ("AI-Engine",)
    assert dict(plan.fields) == {
        "Escalation ID": "{{ alert.id }}",
        "customfield_10100": "{{ alert.attributes.model | default('unknown') }}",
    }
    assert plan.group is None  # rendered by the grouping seam (services.grouping), not here
    assert plan.due_date == (OCCURRED + timedelta(days=2)).date()


def test_domain_alert_routes_like_its_mapping(spec_router: Router) -> None:
    domain_alert = Alert(
        id="a-1",
        source="keeptrusts",
        kind="escalation",
        title="t",
        severity=Severity.HIGH,
        fingerprint="fp",
        occurred_at=OCCURRED,
        received_at=OCCURRED,
        attributes={"action": "block"},
        links=(AlertLink("console", "https://c.example"),),
    )
    from_alert = spec_router.route(domain_alert)
    from_mapping = spec_router.route(domain_alert.as_mapping())

    assert from_alert == from_mapping
    assert from_alert.name == "keeptrusts-block"


def test_route_is_a_value(spec_router: Router) -> None:
    plan = spec_router.route(alert())
    assert isinstance(plan, Route)
    with pytest.raises(AttributeError):
        plan.project = "X"  # type: ignore[misc]
