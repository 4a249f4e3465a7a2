"""Our Alert JSON has one parser (`sources.generic`); `POST /v1/alerts` (`services.parse_alerts`)
and the `generic` native source (`generic.parse`) must give the same answer to the same payload.

Each row: a payload, and the answer both entry points must give — the alerts' fields, or the
problems (path, message) of the 422. The rows are the places where the two parsers, aligned by
hand, used to differ (see the comment on each); the last tests pin what stays different by design.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ticketbridge.domain import (
    Alert,
    AlertLink,
    AlertStatus,
    Severity,
    derive_fingerprint,
    fingerprint_fields_for,
)
from ticketbridge.errors import InputError
from ticketbridge.services import parse_alert, parse_alerts
from ticketbridge.sources import generic

NOW = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
BASE: dict[str, Any] = {"title": "t", "severity": "high"}
WORDS = "info, low, medium, high, critical"
NUL = "must not contain NUL characters (U+0000)"

Answer = dict[str, Any] | list[tuple[str, str]]

# (case, payload, the answer of both: expected fields of the one alert, or the problems)
CASES: list[tuple[str, Any, Answer]] = [
    # was: intake refused a number where text is expected; generic took it as text
    ("numeric id", {**BASE, "id": 123}, {"id": "123"}),
    ("numeric title", {"title": 5, "severity": "low"}, {"title": "5"}),
    # severity: the five names and Severity.parse's synonyms, any case (generic took the
    # on-call words `urgent`, `P1` too; POST /v1/alerts never did)
    ("severity synonym", {**BASE, "severity": "Warning"}, {"severity": Severity.MEDIUM}),
    ("severity padded", {**BASE, "severity": " HIGH "}, {"severity": Severity.HIGH}),
    (
        "severity word of other sources",
        {**BASE, "severity": "urgent"},
        [("severity", f"unknown severity 'urgent'; use one of {WORDS}")],
    ),
    (
        "severity not text",
        {**BASE, "severity": 3},
        [("severity", f"expected a severity string ({WORDS})")],
    ),
    # was: intake refused `RESOLVED`; the generic batch fixture sends it
    ("status any case", {**BASE, "status": " RESOLVED "}, {"status": AlertStatus.RESOLVED}),
    # was: intake let the unknown key win over `attributes`
    (
        "explicit attributes win",
        {**BASE, "team": "x", "owner": "o", "attributes": {"team": "y"}},
        {"attributes": {"team": "y", "owner": "o"}},
    ),
    # was: intake stripped the description (markdown indentation is content)
    ("description kept", {**BASE, "description": "    code\n"}, {"description": "    code\n"}),
    ("title stripped", {"title": "  t  ", "severity": "low"}, {"title": "t"}),
    # was: intake refused `source: null`
    ("source null is the default", {**BASE, "source": None}, {"source": "generic"}),
    # was: intake kept an empty link title, generic refused it
    (
        "link titles",
        {**BASE, "links": [{"url": "https://a"}, {"title": " ", "url": "https://b"}]},
        {"links": (AlertLink("Link", "https://a"), AlertLink("Link", "https://b"))},
    ),
    ("link without url", {**BASE, "links": [{"title": "x"}]}, [("links[0].url", "Field required")]),
    (
        "naive time is UTC",
        {**BASE, "occurred_at": "2026-03-02T10:00:00"},
        {"occurred_at": datetime(2026, 3, 2, 10, tzinfo=UTC)},
    ),
    (
        "offset converted to UTC",
        {**BASE, "occurred_at": "2026-03-02T10:00:00+02:00"},
        {"occurred_at": datetime(2026, 3, 2, 8, tzinfo=UTC)},
    ),
    (
        "sender's received_at ignored",
        {**BASE, "received_at": "2020-01-01T00:00:00Z"},
        {"received_at": NOW, "occurred_at": NOW, "attributes": {}},
    ),
    ("fingerprint given is kept", {**BASE, "fingerprint": " fp "}, {"fingerprint": "fp"}),
    # was: generic reported a NUL only once every other field of the entry was valid
    ("NUL in title", {"title": "a\x00b", "severity": "low"}, [("title", NUL)]),
    (
        "NUL and a missing field, together",
        {"title": "t", "id": "a\x00", "description": "\x00"},
        [("id", NUL), ("description", NUL), ("severity", "Field required")],
    ),
    (
        "too long for the store",
        {**BASE, "id": "i" * 256, "kind": "k" * 65, "fingerprint": "f" * 256},
        [
            ("id", "String should have at most 255 characters"),
            ("kind", "String should have at most 64 characters"),
            ("fingerprint", "String should have at most 255 characters"),
        ],
    ),
    (
        "confidence out of range",
        {**BASE, "confidence": 1.5},
        [("confidence", "Input should be less than or equal to 1")],
    ),
    (
        "confidence NaN",
        {**BASE, "confidence": "NaN"},
        [("confidence", "Input should be a finite number")],
    ),
    ("not an object", 42, [("$", "expected a JSON object")]),
    (
        "blank title",
        {"title": " ", "severity": "low"},
        [("title", "String should have at least 1 character")],
    ),
    (
        "every problem of every entry",
        [{**BASE, "title": "\x00"}, BASE, "nope", {"title": "t"}],
        [("[0].title", NUL), ("[2]", "expected a JSON object"), ("[3].severity", "Field required")],
    ),
    ("empty list", [], [("$", "expected 1 to 1000 alerts, got 0")]),
    ("too many", [BASE] * 1001, [("$", "expected 1 to 1000 alerts, got 1001")]),
]


def _answer(parse: Any, payload: Any) -> list[Alert] | list[tuple[str, str]]:
    try:
        alerts: list[Alert] = parse(payload)
    except InputError as error:
        return [(p.path, p.message) for p in error.problems]
    return alerts


ENTRY_POINTS = {
    "POST /v1/alerts": lambda payload: parse_alerts(payload, now=NOW),
    "sources/generic": lambda payload: generic.parse(payload, received_at=NOW),
}


@pytest.mark.parametrize("entry_point", sorted(ENTRY_POINTS))
@pytest.mark.parametrize(("case", "payload", "expected"), CASES, ids=[c[0] for c in CASES])
def test_both_entry_points_give_the_same_answer(
    entry_point: str, case: str, payload: Any, expected: Answer
) -> None:
    answer = _answer(ENTRY_POINTS[entry_point], payload)
    if isinstance(expected, list):
        assert answer == expected, case
        return
    [alert] = answer
    assert isinstance(alert, Alert)
    for name, value in expected.items():
        assert getattr(alert, name) == value, name


def test_the_full_alert_is_the_same_from_both() -> None:
    payload = {
        "title": "PII sent",
        "severity": "critical",
        "kind": "policy_violation",
        "confidence": "0.5",
        "model": "m",
        "links": [{"title": "console", "url": "https://c"}],
    }
    [one] = parse_alerts(payload, now=NOW)
    [other] = generic.parse(payload, received_at=NOW)
    assert one == other
    fields = fingerprint_fields_for("generic")
    assert one.fingerprint == derive_fingerprint(one.as_mapping(), fields)
    assert (one.kind, one.confidence, dict(one.attributes)) == (
        "policy_violation",
        0.5,
        {"model": "m"},
    )


def test_an_alert_without_id_keeps_its_id_when_delivered_again() -> None:
    # was: POST /v1/alerts made a uuid, so a retried delivery was stored twice
    ids = {parse(dict(BASE))[0].id for parse in ENTRY_POINTS.values() for _ in range(2)}
    assert len(ids) == 1
    [derived] = ids
    assert derived.startswith("generic_")
    other = parse_alerts({**BASE, "occurred_at": "2026-03-02T10:00:00Z"}, now=NOW)[0].id
    assert other != derived  # a different entry, a different id


# --- what differs by entry point, by design ---------------------------------------------------


def test_only_the_native_source_takes_the_alerts_envelope() -> None:
    # POST /v1/alerts documents one alert or a list (its OpenAPI schema); native senders wrap
    wrapped = {"alerts": [BASE, {**BASE, "title": "u"}]}
    assert [a.title for a in generic.parse(wrapped, received_at=NOW)] == ["t", "u"]
    assert _answer(ENTRY_POINTS["POST /v1/alerts"], wrapped) == [
        ("title", "Field required"),
        ("severity", "Field required"),
    ]
    assert _answer(ENTRY_POINTS["sources/generic"], {"alerts": []}) == [
        ("alerts", "expected 1 to 1000 alerts, got 0")
    ]


def test_configured_fields_are_the_alerts_source_at_intake_and_the_endpoints_natively() -> None:
    one = {**BASE, "source": "truthvouch", "team": "x", "title": "a"}
    two = {**BASE, "source": "truthvouch", "team": "x", "title": "b", "fingerprint": "given"}
    plain = {**BASE, "team": "x", "title": "c"}
    by_source = {"truthvouch": ["attributes.team"]}
    intake = parse_alerts([one, two, plain], now=NOW, fingerprint_fields=by_source)
    native = generic.parse(
        [one, two, plain], received_at=NOW, fingerprint_fields=["attributes.team"]
    )
    # configured fields win over a given fingerprint, at both entry points
    assert intake[0].fingerprint == intake[1].fingerprint == native[0].fingerprint
    assert native[0].fingerprint == native[1].fingerprint == native[2].fingerprint
    # at intake, fields configured for truthvouch leave a generic alert's default alone
    assert intake[2].fingerprint == derive_fingerprint(
        intake[2].as_mapping(), fingerprint_fields_for("generic")
    )


def test_the_batch_limit_is_the_callers_at_intake() -> None:
    assert len(parse_alerts([BASE] * 3, now=NOW, max_batch=3)) == 3
    with pytest.raises(InputError) as caught:
        parse_alerts([BASE] * 3, now=NOW, max_batch=2)
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("$", "expected 1 to 2 alerts, got 3")
    ]


def test_parse_alert_names_fields_under_its_path() -> None:
    with pytest.raises(InputError) as caught:
        parse_alert({"title": "t", "severity": "nope"}, now=NOW, path="[3]")
    assert [p.path for p in caught.value.problems] == ["[3].severity"]
    assert parse_alert(BASE, now=NOW).severity is Severity.HIGH
