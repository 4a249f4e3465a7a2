"""Python decisions (rules/decisions.py) never change a plan: what they decide false (true), CEL
finds false (true) without an error, and routing with them gives the same plans, reasons
included."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rules_alerts import alert

from ticketbridge.config import AssignmentRule, Config, RouteConfig
from ticketbridge.rules import ConditionCompiler, Router, alert_values
from ticketbridge.rules.decisions import judge_for

COMPILER = ConditionCompiler()
ALERT_VALUES: dict[str, Any] = {"attributes": {}, "confidence": None}
MISSING = object()

# Each a conjunct decisions.py reads; the literals come from the same small alphabet as the values.
CONJUNCTS = [
    'kind == "ab"',
    "kind != 'ab'",
    'title == ""',
    'severity == "high"',
    'attributes.a == "ab"',
    'attributes.a != "b"',
    'attributes.c == "a"',
    'attributes.a in ["a", "ab", \'b\']',
    'attributes.b in ["a"]',
    'attributes.a.startsWith("a")',
    'attributes.a.endsWith("b")',
    'attributes.b.contains("ba")',
    'title.contains("a")',
    'title.startsWith("b")',
    "confidence < 0.5",
    "confidence <= 0.5",
    "confidence > 0.25",
    "confidence >= 1.0",
    "confidence == null",
    "confidence != null",
    'sev(severity) >= sev("high")',
    "sev(severity) < sev('critical')",
    'sev(severity) == sev("warning")',
    "has(attributes.b)",
]
# Conjuncts it leaves to CEL (they may be errors or false for the values below).
OTHERS = [
    "attributes.a > 1",
    "attributes.c == 1",
    'sev(severity) >= sev("bogus")',
    'kind == "ab" || title == "a"',
    "(confidence < 0.5)",
    'attributes.a == "a\\u0062"',
]

TEXT = st.text(alphabet="ab", max_size=3)
VALUE = st.one_of(
    TEXT,
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.floats(allow_nan=True),
    st.lists(TEXT, max_size=2),
)
CONFIDENCE = st.one_of(st.sampled_from([None, 0.0, 0.25, 0.5, 1.0, math.nan]), st.floats(0, 1))
ALERTS = st.builds(
    lambda kind, title, severity, confidence, attributes: alert(
        kind=kind, title=title, severity=severity, confidence=confidence, attributes=attributes
    ),
    TEXT,
    TEXT,
    st.sampled_from(["low", "high", "critical"]),
    CONFIDENCE,
    st.dictionaries(st.sampled_from(["a", "b", "c"]), VALUE, max_size=3),
)


@pytest.mark.parametrize("conjunct", CONJUNCTS)
def test_each_shape_is_read(conjunct: str) -> None:
    assert judge_for(conjunct) is not None
    assert judge_for(f"{conjunct} || true") is None  # not a conjunction: nothing is read


@pytest.mark.parametrize("conjunct", OTHERS)
def test_other_shapes_are_left_to_cel(conjunct: str) -> None:
    assert judge_for(conjunct) is None


EDGE_CONFIDENCES = [None, 0.0, -0.0, 0.25, 0.5, 1.0, math.nan, math.inf, 1]
ATTRIBUTE_GRID = [
    {name: value for name, value in zip("abc", values, strict=True) if value is not MISSING}
    for values in itertools.product(
        [MISSING, "a", "ab", "b", "", 1, None, ["a"]], [MISSING, "ba", "a"], [MISSING, "a", "b"]
    )
]


def grid() -> list[dict[str, Any]]:
    """Every edge: text equal/unequal to the literals, each severity rank (and none), each
    type, each confidence edge."""
    out = []
    pairs = [("", "low"), ("a", "warning"), ("ab", "high"), ("ba", "critical"), ("ab", "bogus")]
    for (text, severity), confidence, attributes in itertools.product(
        pairs, EDGE_CONFIDENCES, ATTRIBUTE_GRID
    ):
        incoming = alert(
            kind=text, title=text, severity=severity, confidence=None, attributes=attributes
        )
        values = alert_values(incoming)
        values["confidence"] = confidence  # as an Alert may hold it (an int stays an int)
        out.append(values)
    return out


@pytest.mark.parametrize("conjunct", CONJUNCTS)
def test_decided_means_cel_says_the_same_without_error(conjunct: str) -> None:
    judge = judge_for(conjunct)
    condition = COMPILER.compile(conjunct)
    assert judge is not None
    decided = {True: 0, False: 0}
    for values in grid():
        verdict = judge(values)
        if verdict is not None:
            decided[verdict] += 1
            assert condition.evaluate(COMPILER.activation(values)) == (verdict, None), values
    assert all(decided.values()), decided  # each shape decides both ways on the grid


@pytest.mark.parametrize(
    ("expression", "values", "verdict"),
    [
        ('kind == "ab"', {"kind": "ab"}, True),
        ('kind == "ab" && sev(severity) >= sev("high")', {"kind": "ab"}, True),
        ('source == "s" && confidence < 0.5', {"confidence": 0.7}, False),
        ('source == "s" && confidence < 0.5', {"confidence": None}, None),
        ('status == "firing" && attributes.c > 1', {}, None),
    ],
)
def test_a_guarded_judge_takes_what_the_guard_enforces_as_true(
    expression: str, values: dict[str, Any], verdict: bool | None
) -> None:
    """The router judges only alerts the guard admitted: their kind/source/status equalities
    and severity ranks hold, so only the other conjuncts are checked."""
    judge = judge_for(expression, guarded=True)
    assert (judge(ALERT_VALUES | values) if judge is not None else None) is verdict


@pytest.mark.parametrize(
    ("expression", "values", "verdict"),
    [
        ('kind == "ab" && attributes.c > 1', {"kind": "a"}, False),
        ('kind == "ab" && attributes.c > 1', {"kind": "ab"}, None),  # the other one: CEL
        ('kind == "ab" && title == ""', {"kind": "ab", "title": ""}, True),
        ('kind == "ab" && title == ""', {"kind": "ab", "title": "x"}, False),
        ("confidence < 0.5 && kind == 'ab'", {"kind": "ab", "confidence": None}, None),
        ("confidence < 0.5 && kind == 'ab'", {"kind": "b", "confidence": None}, False),
    ],
)
def test_a_conjunction_is_decided_by_its_conjuncts(
    expression: str, values: dict[str, Any], verdict: bool | None
) -> None:
    judge = judge_for(expression)
    assert judge is not None
    assert judge({"attributes": {}, "confidence": None, **values}) is verdict


def _router(conditions: list[str], prove: bool) -> Router:
    routes = [RouteConfig(name=f"r{i}", when=when) for i, when in enumerate(conditions)]
    assignments = [AssignmentRule(when=conditions[0], assignee="someone")]
    return Router(Config(routes=routes, assignments=assignments), prove=prove)


CONDITIONS = st.lists(
    st.lists(st.sampled_from(CONJUNCTS + OTHERS), min_size=1, max_size=3).map(" && ".join),
    min_size=1,
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(CONDITIONS, st.lists(ALERTS, min_size=1, max_size=5))
def test_routing_with_python_decisions_gives_the_same_plans(
    conditions: list[str], incoming: list[dict[str, Any]]
) -> None:
    fast, reference = _router(conditions, True), _router(conditions, False)
    for one in incoming:
        assert fast.route(one) == reference.route(one), (conditions, one)


@pytest.mark.parametrize(
    ("title", "route", "reason"),
    [
        ("x", "defaults", None),  # the title is not "y": false whatever confidence is
        (
            "y",
            "defaults",
            "route 'r' did not match: no matching overload for _<_(null_type, double)",
        ),
    ],
)
def test_a_route_decided_false_is_skipped_without_a_reason(
    title: str, route: str, reason: str | None
) -> None:
    """With null confidence `confidence < 0.5` is an error, but `false && error` is false."""
    router = Router(Config(routes=[RouteConfig(name="r", when='title == "y" && confidence < 0.5')]))
    plan = router.route(alert(title=title, confidence=None))
    assert plan.name == route
    reasons = [r for r in plan.reasons if "route 'r'" in r]
    assert reasons == ([reason] if reason else [])
