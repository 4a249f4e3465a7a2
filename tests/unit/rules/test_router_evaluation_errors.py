"""A route whose condition cannot be evaluated for an alert falls through to the next one, with
the reason in the plan: whatever the alert holds, routing never raises (issue 11, item 3)."""

from __future__ import annotations

import pytest
from rules_alerts import alert

from ticketbridge.bootstrap import load_config
from ticketbridge.config import Config, RouteConfig
from ticketbridge.rules import Router

ROUTES = """\
defaults: {project: OPS, min_severity: low}
routes:
  - name: tagged
    when: 'attributes.tags.exists(t, t == "x")'
    project: TAGS
  - name: critical
    when: 'sev(severity) >= sev("critical")'
    project: PAGE
    priority: Highest
assignments:
  - {name: taggers, when: 'attributes.tags.all(t, t != "y")', assignee: tagger@acme.com}
  - {when: 'true', assignee: oncall@acme.com}
"""


@pytest.fixture
def router() -> Router:
    return Router(load_config(text=ROUTES, env={}))


def test_a_list_past_cels_iteration_budget_falls_through_to_the_next_route(router: Router) -> None:
    # 10,000 tags made CEL raise "Iteration budget exceeded": the critical alert went dead.
    plan = router.route(alert(severity="critical", attributes={"tags": ["a"] * 10_000}))
    assert (plan.name, plan.project, plan.priority) == ("critical", "PAGE", "Highest")
    assert plan.reasons[0] == (
        "route 'tagged' did not match: could not be evaluated: CEL's budget of 10,000 iterations"
        " per condition was exceeded (a list in the alert is too long for this condition)"
    )
    assert plan.reasons[1].startswith("matched route 'critical'")


def test_an_assignment_that_cannot_be_evaluated_gives_way_to_the_next(router: Router) -> None:
    plan = router.route(alert(severity="critical", attributes={"tags": ["a"] * 20_000}))
    assert plan.assignee == "oncall@acme.com"
    assert any(
        r.startswith("assignment 'taggers' did not match: could not be evaluated")
        for r in plan.reasons
    )


def test_a_string_cel_cannot_take_is_a_reason_not_a_raise(router: Router) -> None:
    # A lone surrogate (valid in JSON as "\ud800") made cel-cpp throw from the evaluation.
    plan = router.route(alert(severity="critical", attributes={"tags": ["\ud800"]}))
    assert plan.name == "critical"
    assert plan.reasons[0].startswith("route 'tagged' did not match: could not be evaluated")


def test_the_reason_quotes_a_bounded_part_of_the_alert() -> None:
    # CEL's message quotes the missing key whole; reasons are stored with the decision.
    routes = ROUTES.replace('attributes.tags.exists(t, t == "x")', "attributes[title] == 1")
    router = Router(load_config(text=routes, env={}))
    plan = router.route(alert(severity="critical", title="t" * 100_000))
    assert plan.name == "critical"
    assert plan.reasons[0].startswith("route 'tagged' did not match: no key \"ttt")
    assert len(plan.reasons[0]) <= len("route 'tagged' did not match: ") + 300


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
def test_a_false_conjunct_skips_a_route_without_a_reason(
    title: str, route: str, reason: str | None
) -> None:
    """With null confidence `confidence < 0.5` is an error, but `false && error` is false."""
    router = Router(Config(routes=[RouteConfig(name="r", when='title == "y" && confidence < 0.5')]))
    plan = router.route(alert(title=title, confidence=None))
    assert plan.name == route
    reasons = [r for r in plan.reasons if "route 'r'" in r]
    assert reasons == ([reason] if reason else [])
