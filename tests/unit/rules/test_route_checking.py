"""A condition with a type error or an unknown name is refused at load: route name + position."""

from __future__ import annotations

import pytest

from ticketbridge.bootstrap import load_config
from ticketbridge.config.loader import parse_config
from ticketbridge.errors import ConfigError, Problem
from ticketbridge.rules import Router

ROUTES = """\
defaults: {project: OPS}
routes:
  - name: ok
    when: 'kind == "hallucination"'
  - name: compares-to-text
    when: 'confidence < "high"'
  - name: typo
    when: 'kindd == "hallucination"'
assignments:
  - {name: aws, when: 'sev(1) > 2', assignee: cloud-team}
"""
EXPECTED = [
    Problem(
        "routes[1].when",
        "route 'compares-to-text': found no matching overload for '_<_' applied to "
        "'(double?, string)' (at column 12 of the expression)",
        6,
    ),
    Problem(
        "routes[2].when",
        "route 'typo': undeclared reference to 'kindd' (at column 1 of the expression)",
        8,
    ),
    Problem(
        "assignments[0].when",
        "assignment 'aws': found no matching overload for 'sev' applied to '(int)' "
        "(at column 4 of the expression)",
        10,
    ),
]


def test_router_refuses_bad_conditions_with_name_position_and_line() -> None:
    config = parse_config(text=ROUTES, env={})  # the schema only: the Router judges the rest
    with pytest.raises(ConfigError) as caught:
        Router(config)
    assert list(caught.value.problems) == EXPECTED


def test_load_config_lists_condition_and_schema_problems_together() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(text=ROUTES + "sync: {statuss: {}}\n", env={})
    assert list(caught.value.problems) == [
        *EXPECTED,
        Problem("sync.statuss", "unknown key 'statuss' (did you mean 'status'?)", 11),
    ]


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ('kind == "a" &&', "Syntax error: mismatched input '<EOF>' expecting"),
        ("kind", "a condition must be a boolean, this one is string"),
        ("severity >= 3", "found no matching overload for '_>=_' applied to '(string, int)'"),
        ("attributes.control_id.startsWith(1)", "found no matching overload for 'startsWith'"),
        ("unknown_fn(kind)", "undeclared reference to 'unknown_fn'"),
    ],
)
def test_each_kind_of_bad_condition(when: str, message: str) -> None:
    text = f"routes:\n  - name: r\n    when: '{when}'\n"
    with pytest.raises(ConfigError) as caught:
        load_config(text=text, env={})
    (problem,) = caught.value.problems
    assert problem.path == "routes[0].when"
    assert problem.line == 3
    assert problem.message.startswith("route 'r': ")
    assert message in problem.message


def test_valid_conditions_load() -> None:
    config = load_config(
        text="routes:\n"
        "  - {name: a, when: 'sev(severity) >= sev(\"high\") && confidence != null'}\n"
        "  - {name: b, when: 'attributes.control_id in [\"X\"] || has(attributes.y)'}\n",
        env={},
    )
    assert [r.name for r in Router(config).config.routes] == ["a", "b"]
