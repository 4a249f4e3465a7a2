"""Guards only spare evaluations whose result would be "no match"; they never change a result."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from ticketbridge.rules import ConditionCompiler, alert_values
from ticketbridge.rules.guards import Guard, guard_for


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('kind == "x" && confidence < 0.5', Guard(equals=(("kind", "x"),))),
        ("source == 'k' && kind == \"e\"", Guard(equals=(("source", "k"), ("kind", "e")))),
        ('sev(severity) >= sev("high")', Guard(min_rank=3)),
        ('sev(severity) > sev("medium")', Guard(min_rank=3)),
        ('sev(severity) == sev("low")', Guard(exact_rank=1)),
        ("has(attributes.team)", Guard(attributes=("team",))),
        ('attributes.control_id.startsWith("AWS_")', Guard(selected=("control_id",))),
        ('kind == "x" || source == "y"', Guard()),
        ('kind == "x" ? true : false', Guard()),
        ('(kind == "x" || true) && attributes.a == "b"', Guard(selected=("a",))),
        ('kind == "x" && (attributes.a == "b" || true)', Guard(equals=(("kind", "x"),))),
        ('attributes.?a.orValue("") == ""', Guard()),
        ('kind == "x" && attributes.?a.orValue("") == ""', Guard(equals=(("kind", "x"),))),
        ('kind == "x" // || a comment', Guard()),
        ('title == "a && b" && kind == "k"', Guard(equals=(("kind", "k"),))),
        ("attributes.size() > 0", Guard()),
    ],
)
def test_guard_for(expression: str, expected: Guard) -> None:
    assert guard_for(expression) == expected


EXPRESSIONS = [
    'kind == "x" && confidence < 0.5',
    'source == "k" && attributes.action == "block"',
    'sev(severity) >= sev("high") && has(attributes.team)',
    'sev(severity) == sev("medium") || kind == "x"',
    'attributes.control_id in ["A", "B"]',
    '!(attributes.control_id == "A") && kind == "y"',
    'kind == "x" && (attributes.a == "b" || true)',
    'has(attributes.a) && attributes.a.startsWith("b")',
    'kind == "x" && attributes.?a.orValue("b") == "b"',
    'kind == "y" ? attributes.a == "b" : true',
]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def alerts() -> list[dict[str, Any]]:
    result = []
    for kind, source, severity, confidence, attributes in itertools.product(
        ["x", "y"],
        ["k", "other"],
        ["low", "medium", "high", "critical", "bogus"],
        [None, 0.1, 0.9],
        [{}, {"action": "block"}, {"team": "t", "control_id": "A"}, {"a": "b"}, {"a": 1}],
    ):
        result.append(
            {
                "kind": kind,
                "source": source,
                "severity": severity,
                "confidence": confidence,
                "attributes": attributes,
                "occurred_at": NOW,
                "received_at": NOW,
            }
        )
    return result


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_guard_never_excludes_a_match(expression: str) -> None:
    compiler = ConditionCompiler()
    assert compiler.check(expression) == []
    condition = compiler.compile(expression)
    guard = guard_for(expression)
    for alert in alerts():
        values = alert_values(alert)
        matched, _ = condition.evaluate(compiler.activation(values))
        ranks = {"low": 1, "medium": 2, "high": 3, "critical": 4}
        rank = ranks.get(values["severity"], -1)
        admitted = guard.admits_fields(values["kind"], values["source"], values["status"]) and (
            guard.excludes(values["attributes"], rank) is None
        )
        assert admitted or not matched, (expression, alert)
