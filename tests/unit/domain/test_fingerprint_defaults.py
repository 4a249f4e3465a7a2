"""Default fingerprints: one ticket per thing a human fixes once, not one per site."""

from __future__ import annotations

from datetime import UTC, datetime

from ticketbridge.sources import truthvouch

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def fingerprint_of(payload: dict[str, object]) -> str:
    [alert] = truthvouch.parse(payload, received_at=NOW)
    return alert.fingerprint


def test_different_truthvouch_hallucinations_get_different_tickets() -> None:
    # The two alerts of seed 000: neither carries a policy name or a model.
    flat_earth = {"id": "tv_alert_8812", "title": "Hallucination Detected", "severity": "critical"}
    rate = {"id": "alert_123", "title": "High Hallucination Rate", "severity": "high", "count": 5}
    assert fingerprint_of(flat_earth) != fingerprint_of(rate)


def test_the_same_truthvouch_hallucination_again_is_a_repeat() -> None:
    first = {"id": "a-1", "title": "Hallucination Detected", "severity": "high", "model": "gpt-4o"}
    again = first | {"id": "a-2", "confidence": 0.2}
    other_model = first | {"id": "a-3", "model": "claude"}
    assert fingerprint_of(first) == fingerprint_of(again)
    assert fingerprint_of(first) != fingerprint_of(other_model)
