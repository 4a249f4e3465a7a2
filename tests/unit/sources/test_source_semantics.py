"""What each alert source decides beyond copying fields: kinds, severities, resolution,
fingerprints that bring repeats and resolutions to the same ticket, and field-named errors."""

from __future__ import annotations

from typing import Any

import pytest
from source_fixtures import RECEIVED, alerts_of, fixture_bytes, fixture_json, parse_any

from ticketbridge.domain import AlertStatus, Severity
from ticketbridge.errors import InputError
from ticketbridge.sources import SOURCES, compliance, generic, keeptrusts, security, truthvouch


def _paths(error: InputError) -> list[str]:
    return [problem.path for problem in error.problems]


# --- fingerprints: repeats and resolutions meet, different things do not ---------------------


def test_compliance_fail_then_pass_resolve_the_same_fingerprint() -> None:
    (failed,) = compliance.parse(
        fixture_bytes("compliance", "aws-iam-mfa-fail"), received_at=RECEIVED
    )
    (passed,) = compliance.parse(
        fixture_bytes("compliance", "aws-iam-mfa-pass"), received_at=RECEIVED
    )
    assert failed.fingerprint == passed.fingerprint
    assert (failed.status, passed.status) == (AlertStatus.FIRING, AlertStatus.RESOLVED)


@pytest.mark.parametrize("change", [{"controlId": "AWS_S3_LOGGING"}, {"framework": "ISO 27001"}])
def test_another_control_or_framework_is_another_fingerprint(change: dict[str, str]) -> None:
    base = fixture_json("compliance", "aws-iam-mfa-fail")
    (one,) = compliance.parse(base, received_at=RECEIVED)
    (other,) = compliance.parse({**base, **change}, received_at=RECEIVED)
    assert one.fingerprint != other.fingerprint


@pytest.mark.parametrize(
    ("source", "firing", "resolved", "ids"),
    [
        (
            "keeptrusts",
            {"escalation_id": "esc_9", "timestamp": "2026-03-02T14:00:00Z"},
            {
                "event_type": "escalation.resolved",
                "escalation_id": "esc_9",
                "timestamp": "2026-03-02T15:00:00Z",
            },
            ("esc_9", "esc_9:resolved@2026-03-02T15:00:00+00:00"),
        ),
        (
            "security",
            {"id": "s1", "title": "t"},
            {"id": "s1", "title": "t", "status": "resolved"},
            ("s1", "s1:resolved"),
        ),
        (
            "truthvouch",
            {"id": "a1", "title": "t"},
            {"id": "a1", "title": "t", "status": "closed"},
            ("a1", "a1:resolved"),
        ),
    ],
)
def test_a_sources_resolution_is_its_own_event_on_the_same_fingerprint(
    source: str, firing: dict[str, Any], resolved: dict[str, Any], ids: tuple[str, str]
) -> None:
    (first,) = alerts_of(source, firing)
    (last,) = alerts_of(source, resolved)
    assert (first.id, last.id) == ids
    assert first.fingerprint == last.fingerprint
    assert (first.status, last.status) == (AlertStatus.FIRING, AlertStatus.RESOLVED)


def test_keeptrusts_created_and_resolved_share_the_escalations_fingerprint() -> None:
    (created,) = keeptrusts.parse(
        fixture_bytes("keeptrusts", "escalation-created"), received_at=RECEIVED
    )
    (resolved,) = keeptrusts.parse(
        fixture_bytes("keeptrusts", "escalation-resolved"), received_at=RECEIVED
    )
    (other,) = keeptrusts.parse(
        fixture_bytes("keeptrusts", "escalation-envelope"), received_at=RECEIVED
    )
    assert created.fingerprint == resolved.fingerprint != other.fingerprint


def test_given_fingerprint_is_kept_and_configured_fields_replace_the_default() -> None:
    payload = {"title": "t", "severity": "low", "fingerprint": "mine"}
    assert (
        generic.parse(payload, received_at=RECEIVED)[0].fingerprint == "generic:mine"
    )  # scoped by source
    one = {"title": "a", "severity": "low", "attributes": {"team": "x"}}
    two = {"title": "b", "severity": "low", "attributes": {"team": "x"}}
    default = [generic.parse(p, received_at=RECEIVED)[0].fingerprint for p in (one, two)]
    by_team = [
        generic.parse(p, received_at=RECEIVED, fingerprint_fields=["attributes.team"])[
            0
        ].fingerprint
        for p in (one, two)
    ]
    assert default[0] != default[1]
    assert by_team[0] == by_team[1]


def test_a_retried_delivery_without_id_keeps_its_derived_id() -> None:
    payload = fixture_bytes("truthvouch", "policy-violation")
    first = truthvouch.parse(payload, received_at=RECEIVED)[0]
    again = truthvouch.parse(payload, received_at=RECEIVED)[0]
    assert first.id == again.id
    assert first.id.startswith("truthvouch_")


# --- keeptrusts: the seed's priority table, kinds, event types --------------------------------


@pytest.mark.parametrize(
    ("action", "severity", "kind"),
    [
        ("block", Severity.CRITICAL, "policy_violation"),
        ("escalate", Severity.HIGH, "escalation"),
        ("redact", Severity.MEDIUM, "policy_violation"),
        ("log", Severity.LOW, "policy_violation"),
        ("quarantine", Severity.MEDIUM, "policy_violation"),
    ],
)
def test_keeptrusts_action_sets_severity_and_kind(
    action: str, severity: Severity, kind: str
) -> None:
    (alert,) = keeptrusts.parse({"escalation_id": "e1", "action": action}, received_at=RECEIVED)
    assert (alert.severity, alert.kind) == (severity, kind)


def test_keeptrusts_explicit_severity_wins_over_the_action() -> None:
    payload = {"escalation_id": "e1", "action": "block", "severity": "low"}
    assert keeptrusts.parse(payload, received_at=RECEIVED)[0].severity == Severity.LOW


@pytest.mark.parametrize(
    "payload",
    [
        {"event_type": "policy.updated", "data": {"policy": "p"}},
        {"type": "gateway.health", "gateway_id": "gw-1"},
    ],
)
def test_keeptrusts_other_event_families_are_ignored(payload: dict[str, Any]) -> None:
    assert keeptrusts.parse(payload, received_at=RECEIVED) == []


# --- truthvouch kinds -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"type": "Verification Failure"}, "verification_failure"),
        ({"policy_violation": True}, "policy_violation"),
        ({"category": "verification"}, "verification_failure"),
        ({"title": "Policy breach in prompt"}, "policy_violation"),
        ({}, "hallucination"),
    ],
)
def test_truthvouch_kind(fields: dict[str, Any], kind: str) -> None:
    payload = {"title": "Something odd", "severity": "high", **fields}
    assert truthvouch.parse(payload, received_at=RECEIVED)[0].kind == kind


def test_truthvouch_resolved_status() -> None:
    payload = {"id": "alert_123", "title": "t", "status": "Resolved"}
    assert truthvouch.parse(payload, received_at=RECEIVED)[0].status == AlertStatus.RESOLVED


# --- security: MITRE and custody normalized ----------------------------------------------------


def test_security_mitre_and_custody_are_normalized() -> None:
    (alert,) = security.parse(fixture_bytes("security", "aegis-powershell"), received_at=RECEIVED)
    assert alert.attributes["mitre"] == {
        "tactics": [{"id": "TA0002"}, {"id": "TA0011", "name": "Command and Control"}],
        "techniques": [
            {"name": "PowerShell"},
            {"id": "T1059.001", "name": "Command and Scripting Interpreter: PowerShell"},
        ],
    }
    custody = alert.attributes["custody"]
    (evidence,) = custody["evidence"]
    assert evidence["hashes"] == {
        "md5": "9e107d9d372bb6826bd81d3542a419d6",
        "sha1": "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
        "sha256": "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592",
    }
    assert evidence["storageLocation"] == "s3://evidence-locker/ws_acme/ev_mem_001"
    assert [e["action"] for e in evidence["custody_log"]] == ["collected", "transferred"]
    assert evidence["custody_log"][0]["actor"] == "analyst.jane@acme.com"
    assert custody["log"] == [
        {
            "action": "case_opened",
            "actor": "analyst.jane@acme.com",
            "timestamp": "2026-03-02T09:20:00Z",
        }
    ]


# --- errors name the field --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "payload", "paths"),
    [
        ("generic", {"title": "t"}, ["severity"]),
        (
            "generic",
            [{"title": "t", "severity": "high"}, {"severity": "bogus"}],
            ["[1].title", "[1].severity"],
        ),
        (
            "generic",
            {"alerts": [{"title": "t", "severity": "low", "confidence": 1.5}]},
            ["alerts[0].confidence"],
        ),
        ("generic", {"title": "t", "severity": "low", "links": [{"title": "x"}]}, ["links[0].url"]),
        ("truthvouch", {"title": " ", "severity": "high"}, ["title"]),
        ("truthvouch", {"title": "t", "count": -1}, ["count"]),
        ("keeptrusts", {"policy_name": "p"}, ["escalation_id"]),
        (
            "keeptrusts",
            {"event_type": "escalation.created", "data": {"escalation_id": "e", "timestamp": "x"}},
            ["data.timestamp"],
        ),
        ("compliance", {"controlId": "A", "result": "MAYBE"}, ["result"]),
        (
            "compliance",
            {"results": [{"controlId": "A", "result": "FAIL"}, {"result": "PASS"}]},
            ["results[1].controlId"],
        ),
        ("compliance", {"results": "all good"}, ["results"]),
        ("generic", [], ["$"]),
        ("truthvouch", {"alerts": []}, ["alerts"]),
        ("security", [{"title": "t"}] * 1001, ["$"]),
        (
            "security",
            {"title": "t", "evidence": [{"hashes": {"sha256": "abc"}}]},
            ["evidence[0].hashes.sha256"],
        ),
        (
            "security",
            {"title": "t", "mitre": {"tactics": [{"id": "T1059"}]}},
            ["mitre.tactics[0].id"],
        ),
        ("security", {"title": "t", "custodyLog": [{"actor": "a"}]}, ["custodyLog[0].action"]),
        ("security", {"title": "t", "priority": "apocalyptic"}, ["priority"]),
    ],
)
def test_bad_payloads_name_every_bad_field(source: str, payload: Any, paths: list[str]) -> None:
    parse = SOURCES[source].parse_alerts
    assert parse is not None
    with pytest.raises(InputError) as caught:
        parse(payload, received_at=RECEIVED)
    assert _paths(caught.value) == paths


@pytest.mark.parametrize(
    "body", [b"", b"{", b"\xff\xfe{}", b"[1, 2", b'{"title": NaN}', b"[" * 5000]
)
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_undecodable_bodies_are_refused_at_the_root(source: str, body: bytes) -> None:
    with pytest.raises(InputError) as caught:
        parse_any(source, body)
    assert _paths(caught.value) == ["$"]
