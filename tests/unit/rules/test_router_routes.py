"""Table: (config routes, alert) → (route, action, project, issue type, priority, due, reasons)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ticketbridge.config import load_config
from ticketbridge.domain.alert import Alert, AlertLink
from ticketbridge.domain.severity import Severity
from ticketbridge.errors import ConfigError
from ticketbridge.rules import RoutePlan, Router, alert_values

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
OCCURRED = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def spec_router() -> Router:
    return Router(load_config(EXAMPLE, env=ENV))


def alert(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "a-1",
        "source": "truthvouch",
        "kind": "hallucination",
        "title": "Earth is flat",
        "description": "",
        "severity": "high",
        "confidence": 0.9,
        "status": "firing",
        "fingerprint": "fp-1",
        "attributes": {},
        "occurred_at": OCCURRED.isoformat(),
        "received_at": OCCURRED.isoformat(),
        "links": [],
    }
    return base | overrides


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

    assert (plan.route, plan.action, plan.project, plan.issue_type, plan.priority) == (
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
        "customfield_10100": "{{ alert.attributes.model }}",
    }
    assert plan.group is not None
    assert plan.group.epic == "{{ alert.attributes.policy_name }}"
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
    assert from_alert.route == "keeptrusts-block"


ROUTE_TABLE = """\
defaults: {{project: OPS, labels: [base], min_severity: low}}
routes:
{routes}
"""


def router_for(routes: str, extra: str = "") -> Router:
    return Router(load_config(text=ROUTE_TABLE.format(routes=routes) + extra, env={}))


@pytest.mark.parametrize(
    ("routes", "incoming", "expected"),
    [
        pytest.param(
            "  - {name: first, when: 'sev(severity) >= sev(\"high\")', project: SEC}\n"
            "  - {name: second, when: 'true', project: INFRA}",
            alert(severity="critical"),
            ("first", "SEC"),
            id="first-match-wins",
        ),
        pytest.param(
            "  - {name: first, when: 'sev(severity) >= sev(\"high\")', project: SEC}\n"
            "  - {name: second, when: 'true', project: INFRA}",
            alert(severity="medium"),
            ("second", "INFRA"),
            id="sev-rank-not-string-order",
        ),
        pytest.param(
            "  - {name: warn, when: 'sev(severity) == sev(\"medium\")', project: SEC}",
            alert(severity="warning"),
            ("warn", "SEC"),
            id="severity-synonym",
        ),
        pytest.param(
            "  - {name: has-team, when: 'has(attributes.team) && attributes.team == \"ml\"', "
            "project: SEC}",
            alert(attributes={"team": "ml"}),
            ("has-team", "SEC"),
            id="has-and-map-access",
        ),
        pytest.param(
            "  - {name: nested, when: 'attributes.mitre.tactic == \"TA0001\"', project: SEC}",
            alert(attributes={"mitre": {"tactic": "TA0001"}}),
            ("nested", "SEC"),
            id="nested-attribute",
        ),
        pytest.param(
            "  - {name: unsure, when: 'confidence == null || confidence < 0.2', project: SEC}",
            alert(confidence=None),
            ("unsure", "SEC"),
            id="null-confidence-tested-explicitly",
        ),
        pytest.param(
            "  - {name: linky, when: 'links.exists(l, l.url.startsWith(\"https://c\"))', "
            "project: SEC}",
            alert(links=[{"title": "c", "url": "https://c.example"}]),
            ("linky", "SEC"),
            id="links",
        ),
        pytest.param(
            "  - {name: old, when: 'occurred_at < timestamp(\"2027-01-01T00:00:00Z\")', "
            "project: SEC}",
            alert(),
            ("old", "SEC"),
            id="timestamps",
        ),
        pytest.param(
            "  - {name: late, when: 'received_at - occurred_at > duration(\"1h\")', project: SEC}",
            alert(received_at="2026-11-20T12:00:00+00:00"),
            ("late", "SEC"),
            id="received-at",
        ),
        pytest.param(
            "  - {name: dyn, when: 'attributes.flag', project: SEC}",
            alert(attributes={"flag": "yes"}),
            ("defaults", "OPS"),
            id="non-boolean-is-no-match",
        ),
    ],
)
def test_condition_features(
    routes: str, incoming: dict[str, Any], expected: tuple[str, str]
) -> None:
    plan = router_for(routes).route(incoming)
    assert (plan.route, plan.project) == expected


def test_non_boolean_result_is_explained() -> None:
    plan = router_for("  - {name: dyn, when: 'attributes.flag'}").route(
        alert(attributes={"flag": "yes"})
    )
    assert plan.reasons[0] == "route 'dyn' did not match: evaluated to string, not a boolean"


def test_route_overrides_and_inheritance() -> None:
    router = router_for(
        "  - name: r\n"
        "    when: 'true'\n"
        "    labels: [extra, base]\n"
        "    components: [Own]\n"
        "    fields: {a: '{{ alert.id }}'}\n"
        "    due: {critical: 4h}\n"
        "    min_severity: critical\n",
        extra="  # defaults below are merged\n",
    )
    plan = router.route(alert(severity="critical"))
    assert plan.labels == ("base", "extra")
    assert plan.components == ("Own",)
    assert plan.due_at == OCCURRED + timedelta(hours=4)

    below = router.route(alert(severity="high"))
    assert below.action == "ignore"
    assert "severity high is below min_severity critical" in below.reasons
    assert below.due_at == OCCURRED + timedelta(days=7)  # no route SLA for high: the default


def test_missing_occurred_at_means_no_due_date() -> None:
    plan = router_for("  - {name: r, when: 'true'}").route(alert(occurred_at=None))
    assert plan.due_at is None
    assert "no due date: occurred_at unknown" in plan.reasons


def test_unknown_severity_is_treated_as_info_and_explained() -> None:
    plan = router_for("  - {name: r, when: 'sev(severity) >= 0'}").route(alert(severity="meh"))
    assert plan.route == "defaults"
    assert plan.action == "ignore"
    assert "unknown severity 'meh': treated as info" in plan.reasons


def test_route_plan_is_a_value(spec_router: Router) -> None:
    plan = spec_router.route(alert())
    assert isinstance(plan, RoutePlan)
    with pytest.raises(AttributeError):
        plan.project = "X"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "seen_as"),
    [
        (datetime(2026, 1, 2, tzinfo=UTC), "2026-01-02T00:00:00+00:00"),
        ((1, 2), [1, 2]),
        ({"b", "a"}, ["a", "b"]),
        (2**70, float(2**70)),
        (Severity.HIGH, "high"),
        (object, str(object)),
    ],
)
def test_attribute_values_cel_cannot_take_do_not_poison_the_others(
    value: object, seen_as: object
) -> None:
    router = router_for(
        "  - {name: other, when: 'has(attributes.y) && attributes.y == 1', project: SEC}"
    )
    plan = router.route(alert(attributes={"x": value, "y": 1}))
    assert (plan.route, plan.project) == ("other", "SEC")
    assert alert_values(alert(attributes={"x": value}))["attributes"]["x"] == seen_as


@pytest.mark.parametrize(
    ("timezone", "due_date"),
    [("UTC", "2026-11-21"), ("Asia/Tokyo", "2026-11-22"), ("America/Los_Angeles", "2026-11-21")],
)
def test_due_date_is_a_calendar_date_in_the_configured_zone(timezone: str, due_date: str) -> None:
    config = load_config(text=f"defaults: {{timezone: {timezone}}}\n", env={})
    plan = Router(config).route(alert(severity="critical", occurred_at="2026-11-20T23:30:00Z"))
    assert plan.due_at == datetime(2026, 11, 21, 23, 30, tzinfo=UTC)
    assert plan.due_date is not None
    assert plan.due_date.isoformat() == due_date


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Olympus'"):
        load_config(text="defaults: {timezone: Mars/Olympus}\n", env={})
