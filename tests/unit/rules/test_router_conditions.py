"""Conditions and how a matched route, the defaults and the mappings make the plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rules_alerts import OCCURRED, alert

from ticketbridge.bootstrap import load_config
from ticketbridge.domain.severity import Severity
from ticketbridge.errors import ConfigError
from ticketbridge.rules import Router, alert_values

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
            "  - {name: ci, when: 'title.lowerAscii().contains(\"earth\")', project: SEC}",
            alert(title="Is the EARTH flat?"),
            ("ci", "SEC"),
            id="strings-extension",
        ),
        pytest.param(
            '  - {name: noteam, when: \'attributes.?team.orValue("none") == "none"\', '
            "project: SEC}",
            alert(attributes={}),
            ("noteam", "SEC"),
            id="optional-attribute-without-error",
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
    assert (plan.name, plan.project) == expected


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
    assert plan.name == "defaults"
    assert plan.action == "ignore"
    assert "unknown severity 'meh': treated as info" in plan.reasons


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
    assert (plan.name, plan.project) == ("other", "SEC")
    assert alert_values(alert(attributes={"x": value}))["attributes"]["x"] == seen_as


def test_deeply_nested_attributes_are_routed_not_crashed() -> None:
    # Sources keep attributes whole and accept ~950 levels of nesting; converting them for CEL
    # recursively used to raise RecursionError for every such alert.
    deep: object = "bottom"
    for _ in range(900):
        deep = {"a": deep}
    router = router_for(
        "  - {name: other, when: 'has(attributes.y) && attributes.y == 1', project: SEC}"
    )
    plan = router.route(alert(attributes={"deep": deep, "y": 1}))
    assert (plan.name, plan.project) == ("other", "SEC")


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
