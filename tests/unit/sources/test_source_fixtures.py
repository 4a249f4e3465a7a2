"""Every fixture payload of every alert source → the alerts it must become, field by field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from source_fixtures import RECEIVED, assert_fields, fixture_bytes, links

from ticketbridge.domain import AlertStatus, Severity
from ticketbridge.sources import SOURCES

FIRING, RESOLVED = AlertStatus.FIRING, AlertStatus.RESOLVED


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


CASES: list[tuple[str, str, list[dict[str, Any]]]] = [
    (
        "generic",
        "single",
        [
            {
                "id": "alert_123",
                "source": "truthvouch",
                "kind": "hallucination",
                "title": "Hallucination Detected",
                "description": "Query: 'Is the Earth flat?'",
                "severity": Severity.CRITICAL,
                "confidence": 0.05,
                "status": FIRING,
                "occurred_at": at("2026-03-02T14:22:11+00:00"),
                "received_at": RECEIVED,
                "attributes_exact": {"model": "gpt-4o", "category": "science", "team": "ai-safety"},
                "links": links(
                    ("View in TruthVouch", "https://app.truthvouch.example/alerts/alert_123")
                ),
            }
        ],
    ),
    (
        "generic",
        "batch",
        [
            {
                "source": "generic",
                "kind": "policy_violation",
                "severity": Severity.HIGH,
                "fingerprint": "generic:pii-gw-eu-1",
                "occurred_at": at("2026-03-02T09:00:00+00:00"),
                "status": FIRING,
            },
            {
                "id": "chk_77",
                "kind": "alert",
                "severity": Severity.MEDIUM,
                "status": RESOLVED,
                "occurred_at": RECEIVED,
                "confidence": None,
            },
        ],
    ),
    (
        "generic",
        "wrapped",
        [{"id": "a-1", "kind": "verification_failure", "confidence": 0.42}],
    ),
    (
        "truthvouch",
        "hallucination-detected",
        [
            {
                "id": "tv_alert_8812",
                "source": "truthvouch",
                "kind": "hallucination",
                "title": "Hallucination Detected",
                "description": "Query: 'Is the Earth flat?'",
                "severity": Severity.CRITICAL,
                "confidence": 0.05,
                "status": FIRING,
                "occurred_at": at("2026-03-02T14:22:11.003+00:00"),
                "attributes": {
                    "query": "Is the Earth flat?",
                    "response": "Yes, the Earth is flat according to recent studies.",
                    "category": "science",
                    "dashboard_url": "https://app.truthvouch.example/alerts/tv_alert_8812",
                    "citations": ["https://en.wikipedia.org/wiki/Spherical_Earth"],
                    "affected_system": "support-chatbot",
                },
                "links": links(
                    ("View in TruthVouch", "https://app.truthvouch.example/alerts/tv_alert_8812")
                ),
            }
        ],
    ),
    (
        "truthvouch",
        "sync-alert",
        [
            {
                "id": "alert_123",
                "kind": "hallucination",
                "title": "High Hallucination Rate",
                "description": "5 occurrences in the last hour",
                "severity": Severity.HIGH,
                "confidence": None,
                "occurred_at": RECEIVED,
                "attributes_exact": {"count": 5, "in_last_hour": True},
                "links": (),
            }
        ],
    ),
    (
        "truthvouch",
        "policy-violation",
        [
            {
                "kind": "policy_violation",
                "severity": Severity.HIGH,
                "confidence": 0.91,
                "attributes": {
                    "policy_violation": True,
                    "category": "healthcare",
                    "patient_impact": "possible",
                    "regulatory_requirement": "HIPAA",
                },
            }
        ],
    ),
    (
        "keeptrusts",
        "escalation-created",
        [
            {
                "id": "esc_01HZX3K9Q7",
                "source": "keeptrusts",
                "kind": "policy_violation",
                "title": "AI Escalation: pii-detection — block (gpt-4o)",
                "severity": Severity.CRITICAL,
                "status": FIRING,
                "occurred_at": at("2026-03-02T14:22:11+00:00"),
                "attributes": {
                    "escalation_id": "esc_01HZX3K9Q7",
                    "policy_name": "pii-detection",
                    "action": "block",
                    "model": "gpt-4o",
                    "gateway_id": "gw-eu-west-1",
                    "user_id": "user_8841",
                    "policy_category": "Data protection",
                    "event": "escalation.created",
                },
                "links": links(
                    (
                        "View in Keeptrusts Console",
                        "https://console.keeptrusts.com/escalations/esc_01HZX3K9Q7",
                    )
                ),
            }
        ],
    ),
    (
        "keeptrusts",
        "escalation-envelope",
        [
            {
                "id": "esc_01HZX3KA00",
                "kind": "escalation",
                "severity": Severity.HIGH,
                "title": "AI Escalation: medical-advice — escalate (claude-3-5-sonnet)",
                "attributes": {"webhook_id": "wh_42", "model": "claude-3-5-sonnet"},
                "links": links(
                    (
                        "View in Keeptrusts Console",
                        "https://console.keeptrusts.com/escalations/esc_01HZX3KA00?tab=context",
                    )
                ),
            }
        ],
    ),
    (
        "keeptrusts",
        "escalation-resolved",
        [
            {
                "id": "esc_01HZX3K9Q7:resolved@2026-03-02T16:40:00+00:00",
                "status": RESOLVED,
                "attributes": {"resolution": "False Positive", "event": "escalation.resolved"},
            }
        ],
    ),
    (
        "compliance",
        "aws-iam-mfa-fail",
        [
            {
                "id": "run_2026_03_02_0600:AWS_IAM_MFA",
                "source": "compliance",
                "kind": "control_failure",
                "title": "[AWS_IAM_MFA] IAM MFA Enforcement - Compliance Failure",
                "description": "6 IAM users without MFA: alice, bob, carol, dave, erin, frank",
                "severity": Severity.HIGH,
                "status": FIRING,
                "occurred_at": at("2026-03-02T06:00:12+00:00"),
                "attributes": {
                    "control_id": "AWS_IAM_MFA",
                    "control_title": "IAM MFA Enforcement",
                    "framework": "SOC 2",
                    "result": "FAIL",
                    "evidence_id": "ev_7f3c21",
                    "tsc": "CC6.1",
                    "affectedSystems": ["aws-prod"],
                },
                "links": links(
                    ("View Evidence", "https://app.kushim.io/evidence/ev_7f3c21"),
                    ("Control Details", "https://app.kushim.io/controls/AWS_IAM_MFA"),
                ),
            }
        ],
    ),
    (
        "compliance",
        "aws-iam-mfa-pass",
        [
            {
                "kind": "control_pass",
                "status": RESOLVED,
                "title": "[AWS_IAM_MFA] IAM MFA Enforcement - Compliance Pass",
                "attributes": {"result": "PASS", "evidence_id": "ev_8a11d0"},
            }
        ],
    ),
    (
        "compliance",
        "check-run",
        [
            {
                "id": "run_2026_03_04_0600:GITHUB_BRANCH_PROTECTION",
                "kind": "control_failure",
                "severity": Severity.MEDIUM,
                "occurred_at": at("2026-03-04T06:00:00+00:00"),
                "attributes": {"framework": "ISO 27001", "evidence_id": "ev_b1"},
            },
            {
                "id": "run_2026_03_04_0600:OKTA_2FA",
                "kind": "control_pass",
                "status": RESOLVED,
                "severity": Severity.CRITICAL,
                "attributes": {"control_title": "Okta 2FA enforced", "evidence_id": "ev_b2"},
            },
        ],
    ),
    (
        "security",
        "aegis-powershell",
        [
            {
                "id": "aegis_alert_5521",
                "source": "security",
                "kind": "security_alert",
                "title": "Encoded PowerShell execution on FIN-WS-042",
                "severity": Severity.CRITICAL,
                "status": FIRING,
                "occurred_at": at("2026-03-02T09:14:03+00:00"),
                "attributes": {"host": "FIN-WS-042", "workspaceId": "ws_acme"},
                "links": links(
                    ("View alert", "https://sentineliq.example/aegis/alerts/aegis_alert_5521")
                ),
            }
        ],
    ),
    (
        "alertmanager",
        "docs-example",
        [
            {
                "id": "a1f2c3d4e5f60718@2026-03-02T14:10:00.123000+00:00",
                "source": "alertmanager",
                "kind": "alert",
                "fingerprint": "alertmanager:a1f2c3d4e5f60718",
                "title": "Instance node-1:9100 down",
                "description": "node-1:9100 of job node has been down for more than 5 minutes.",
                "severity": Severity.CRITICAL,
                "status": FIRING,
                "occurred_at": at("2026-03-02T14:10:00.123+00:00"),
                "attributes": {
                    "labels": {
                        "alertname": "InstanceDown",
                        "instance": "node-1:9100",
                        "job": "node",
                        "severity": "page",
                    },
                    "endsAt": "0001-01-01T00:00:00Z",
                    "receiver": "ticketbridge",
                    "notification_reason": "new_alerts",
                    "routeLabels": {"team": "infra"},
                    "truncatedAlerts": 0,
                },
                "links": links(
                    ("Generator", "http://prometheus.example.com:9090/graph?g0.expr=up+%3D%3D+0"),
                    ("Alertmanager", "http://alertmanager.example.com:9093"),
                ),
            },
            {
                "fingerprint": "alertmanager:0b1c2d3e4f506172",
                "status": RESOLVED,
                "description": "",
                "attributes": {
                    "endsAt": "2026-03-02T14:05:00Z",
                    "silenceURL": "http://alertmanager.example.com:9093/#/silences/new",
                },
            },
        ],
    ),
    (
        "alertmanager",
        "real-0.25.0-firing",
        [
            {
                "fingerprint": "alertmanager:178e895cfd3d2ccc",
                "status": FIRING,
                "title": "High error rate on api-1",
                "description": "5xx ratio above 5% for 10 minutes",
                "severity": Severity.CRITICAL,
                "occurred_at": at("2026-11-22T05:28:30+00:00"),
                "attributes": {"groupKey": '{}:{alertname="HighErrorRate"}'},
            }
        ],
    ),
]


@pytest.mark.parametrize(
    ("source", "fixture", "expected"), CASES, ids=[f"{s}/{f}" for s, f, _ in CASES]
)
def test_fixture_becomes_the_expected_alerts(
    source: str, fixture: str, expected: list[dict[str, Any]]
) -> None:
    parse = SOURCES[source].parse_alerts
    assert parse is not None
    alerts = parse(fixture_bytes(source, fixture), received_at=RECEIVED)
    assert len(alerts) == len(expected)
    for alert, fields in zip(alerts, expected, strict=True):
        assert alert.received_at == RECEIVED
        assert alert.fingerprint
        assert_fields(alert, fields)
