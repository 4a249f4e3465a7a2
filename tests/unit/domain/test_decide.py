"""The decision table of SPEC §4.2-4.3, as a pure function: ticket state + alert → decision."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ticketbridge.domain import (
    Alert,
    AlertState,
    AlertStatus,
    DecisionKind,
    Severity,
    Ticket,
    TicketPolicy,
    TicketStatus,
    decide,
    derive_fingerprint,
    fingerprint_fields_for,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ALERT = Alert(
    id="a1",
    source="generic",
    kind="hallucination",
    title="Model invented a citation",
    severity=Severity.HIGH,
    fingerprint="fp-1",
    occurred_at=NOW,
    received_at=NOW,
)
OPEN = Ticket(
    fingerprint="fp-1",
    generation=1,
    project="OPS",
    status=TicketStatus.LINKED,
    first_seen=NOW - timedelta(days=3),
    last_seen=NOW - timedelta(days=1),
    issue_key="OPS-1",
    status_category="new",
)
DONE_2D = replace(OPEN, status_category="done", done_at=NOW - timedelta(days=2))
DONE_20D = replace(DONE_2D, done_at=NOW - timedelta(days=20))
FALSE_POS_10D = replace(
    DONE_2D, done_at=NOW - timedelta(days=10), outcome=AlertState.FALSE_POSITIVE
)
FALSE_POS_40D = replace(FALSE_POS_10D, done_at=NOW - timedelta(days=40))
RESOLVED = replace(ALERT, status=AlertStatus.RESOLVED)
DEAD = replace(OPEN, status=TicketStatus.DEAD, issue_key=None, status_category=None)


def policy(**overrides: object) -> TicketPolicy:
    """A policy with the configuration's default values, `overrides` applied."""
    values: dict[str, object] = {
        "repeat": "digest",
        "recur_after_done": "reopen",
        "reopen_within": timedelta(days=7),
        "false_positive_suppress": timedelta(days=30),
        "digest_interval": timedelta(minutes=5),
        "resolve_transition": True,
        "resolutions": {"False Positive": AlertState.FALSE_POSITIVE},
        "status": {"new": AlertState.OPEN, "indeterminate": AlertState.IN_PROGRESS},
        "status_ids": {},
        "accepted_for": None,
        "accepted_reraise": "reopen",
        "recreate_on_delete": False,
    }
    return TicketPolicy(**{**values, **overrides})  # type: ignore[arg-type]


DEFAULT = policy()


@pytest.mark.parametrize(
    ("alert", "ticket", "policy", "expected", "reason_part"),
    [
        (ALERT, None, DEFAULT, DecisionKind.CREATE, "no ticket"),
        (ALERT, OPEN, DEFAULT, DecisionKind.REPEAT, "OPS-1 is still open"),
        (ALERT, DONE_2D, DEFAULT, DecisionKind.REOPEN, "within reopen_within"),
        (ALERT, DONE_20D, DEFAULT, DecisionKind.NEW_LINKED, "beyond reopen_within"),
        (
            ALERT,
            DONE_2D,
            policy(recur_after_done="new"),
            DecisionKind.NEW_LINKED,
            "recur_after_done is 'new'",
        ),
        (ALERT, FALSE_POS_10D, DEFAULT, DecisionKind.SUPPRESS, "false positive"),
        (ALERT, FALSE_POS_40D, DEFAULT, DecisionKind.NEW_LINKED, "relates to OPS-1"),
        (ALERT, DEAD, DEFAULT, DecisionKind.CREATE, "a fresh issue (generation 2)"),
        (RESOLVED, OPEN, DEFAULT, DecisionKind.RESOLVE, "source resolved"),
        (RESOLVED, None, DEFAULT, DecisionKind.IGNORE, "no ticket"),
        (RESOLVED, DONE_2D, DEFAULT, DecisionKind.IGNORE, "already done"),
        (RESOLVED, DEAD, DEFAULT, DecisionKind.IGNORE, "create is dead"),
    ],
)
def test_decision_table(
    alert: Alert,
    ticket: Ticket | None,
    policy: TicketPolicy,
    expected: DecisionKind,
    reason_part: str,
) -> None:
    decision = decide(alert, ticket, policy, NOW)
    assert decision.kind is expected
    assert any(reason_part in r for r in decision.reasons), decision.reasons


def test_route_ignore_wins_and_is_explained() -> None:
    why = ("action ignore from route 'muted-controls'",)
    decision = decide(ALERT, OPEN, DEFAULT, NOW, route_ignore=why)
    assert decision.kind is DecisionKind.IGNORE
    assert decision.reasons == why


def test_source_resolve_reaches_a_ticket_even_when_routing_ignores() -> None:
    why = ("severity info is below min_severity medium",)
    decision = decide(RESOLVED, OPEN, DEFAULT, NOW, route_ignore=why)
    assert decision.kind is DecisionKind.RESOLVE


def test_derived_fingerprints_are_stable_and_field_sensitive() -> None:
    fields = fingerprint_fields_for("compliance")
    fail = {"source": "compliance", "attributes": {"framework": "SOC2", "control_id": "CC6.1"}}
    again = {**fail, "title": "something else", "id": "run-2"}
    other = {"source": "compliance", "attributes": {"framework": "SOC2", "control_id": "CC7.2"}}
    assert derive_fingerprint(fail, fields) == derive_fingerprint(again, fields)
    assert derive_fingerprint(fail, fields) != derive_fingerprint(other, fields)
    # pinned: a release that changes derived fingerprints would duplicate every ticket
    assert derive_fingerprint(fail, fields) == "8ef6daec0fc759ead4c12a53cbf340b3"


def test_configured_fingerprint_fields_win() -> None:
    assert fingerprint_fields_for("generic", {"generic": ["title"]}) == ("title",)
    assert fingerprint_fields_for("nobody-knows") == ("source", "kind", "title")
