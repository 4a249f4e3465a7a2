"""TemplateComposer: route template → IssueDraft (summary, description, fields), built-ins,
fallback to the default issue, and render failures as dead-letterable errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from ticketbridge.bootstrap import load_config
from ticketbridge.config.loader import parse_config
from ticketbridge.config.models import TemplateConfig
from ticketbridge.domain import Alert, Severity, Ticket, TicketStatus
from ticketbridge.domain.route import Route
from ticketbridge.errors import ConfigError, PermanentError
from ticketbridge.providers.base import Marker
from ticketbridge.render import SUMMARY_LIMIT, adf_to_text, to_adf, to_wiki
from ticketbridge.render.builtin import BUILTIN_TEMPLATES
from ticketbridge.rules import Router
from ticketbridge.services.templated import TemplateComposer

WHEN = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def make_alert(**attributes: Any) -> Alert:
    return Alert(
        id="a-1",
        source="truthvouch",
        kind="hallucination",
        title="Model invented a citation",
        severity=Severity.HIGH,
        fingerprint="fp-1",
        occurred_at=WHEN,
        received_at=WHEN,
        description="The answer cited a paper that does not exist.",
        confidence=0.2,
        attributes=attributes,
    )


TICKET = Ticket(
    fingerprint="fp-1",
    generation=1,
    project="OPS",
    status=TicketStatus.PENDING,
    first_seen=WHEN,
    last_seen=WHEN,
)


def route(**overrides: Any) -> Route:
    base: dict[str, Any] = {"name": "r", "project": "OPS", "issue_type": "Bug"}
    base.update(overrides)
    return Route(**base)


BUG = TemplateConfig(
    summary="Hallucination: {{ alert.title }} ({{ alert.attributes.model }})",
    description="## Issue\n{{ alert.description }}\n\n| Field | Value |\n|---|---|\n"
    "| Confidence | {{ alert.confidence }} |\n",
)
WIKI = TemplateConfig(
    summary="{{ alert.title }}",
    description="h2. Issue\n{{ alert.description }}\n* model: {{ alert.attributes.model }}",
    format="wiki",
)


def test_route_template_gives_summary_description_and_route_statics() -> None:
    composer = TemplateComposer({"bug": BUG})
    draft = composer.draft(
        make_alert(model="gpt-x"),
        route(
            template="bug",
            priority="Highest",
            labels=("ai", "ai", "hallucination"),
            components=("AI-Engine",),
            assignee="oncall@example.com",
            due_at=datetime(2026, 11, 22, 9, 30, tzinfo=UTC),
            fields={"Model": "{{ alert.attributes.model }}", "Story Points": 3, "Plain": "x"},
        ),
        TICKET,
    )
    assert draft.summary == "Hallucination: Model invented a citation (gpt-x)"
    assert draft.description is not None
    adf = to_adf(draft.description)
    assert [node["type"] for node in adf["content"]] == ["heading", "paragraph", "table"]
    assert "Confidence" in adf_to_text(adf)
    assert "0.2" in adf_to_text(adf)
    assert (draft.project, draft.issue_type, draft.priority) == ("OPS", "Bug", "Highest")
    assert draft.labels == ("ai", "hallucination")
    assert draft.components == ("AI-Engine",)
    assert draft.assignee == "oncall@example.com"
    assert draft.due_date == date(2026, 11, 22)
    assert draft.parent is None  # the outbox puts a grouped issue under its epic
    assert draft.fields == {"Model": "gpt-x", "Story Points": 3, "Plain": "x"}
    assert draft.marker == Marker(TICKET.marker_key)


def test_wiki_template_renders_to_wiki_for_data_center() -> None:
    draft = TemplateComposer({"w": WIKI}).draft(make_alert(model="m"), route(template="w"), TICKET)
    assert draft.description is not None
    assert to_wiki(draft.description).splitlines()[0] == "h2. Issue"
    assert "* model: m" in to_wiki(draft.description)


def test_no_template_falls_back_to_the_default_issue_with_fields_rendered() -> None:
    draft = TemplateComposer().draft(
        make_alert(model="m"), route(fields={"Model": "{{ alert.attributes.model }}"}), TICKET
    )
    assert draft.summary == "[high] Model invented a citation"
    assert draft.fields == {"Model": "m"}


def test_summary_is_one_line_and_clipped() -> None:
    long = TemplateConfig(summary="{{ alert.title }}\n{{ 'x' * 400 }}", description="d")
    draft = TemplateComposer({"long": long}).draft(make_alert(), route(template="long"), TICKET)
    assert "\n" not in draft.summary
    assert len(draft.summary) <= SUMMARY_LIMIT


@pytest.mark.parametrize(
    ("summary", "message"),
    [
        ("{{ alert.attributes.missing }}", "undefined"),
        ("{{ ''.__class__.__mro__ }}", "sandbox"),
        ("{{ alert.__class__ }}", "sandbox"),
    ],
)
def test_a_render_failing_for_an_alert_falls_back_to_the_default_with_a_note(
    summary: str, message: str
) -> None:
    composer = TemplateComposer({"bad": TemplateConfig(summary=summary, description="d")})
    draft = composer.draft(make_alert(), route(template="bad"), TICKET)
    assert draft.summary.startswith("[high] ")  # the default summary
    [warning] = draft.warnings
    assert "'bad'" in warning
    assert message in warning
    assert draft.description is not None
    assert warning in adf_to_text(to_adf(draft.description))  # visible in the issue


def test_an_undefined_template_is_still_an_error() -> None:
    with pytest.raises(PermanentError, match="not defined"):
        TemplateComposer({}).draft(make_alert(), route(template="nope"), TICKET)


def test_a_field_failing_for_an_alert_is_left_out_with_a_note() -> None:
    fields = {"Model": "{{ alert.attributes.missing }}", "Team": "ops"}
    draft = TemplateComposer().draft(make_alert(), route(fields=fields), TICKET)
    assert draft.fields == {"Team": "ops"}
    [warning] = draft.warnings
    assert "fields.Model" in warning


def test_template_syntax_error_is_refused_at_construction() -> None:
    with pytest.raises(ConfigError, match=r"templates\.broken"):
        TemplateComposer({"broken": TemplateConfig(summary="{{ alert.title ", description="")})


def test_from_config_compiles_field_templates_at_start() -> None:
    config = parse_config(  # the schema only: load_config would refuse the template already
        text="routes:\n  - name: r\n    when: 'true'\n    fields: {Model: '{{ alert.title '}\n"
    )
    with pytest.raises(ConfigError, match=r"fields\.Model"):
        TemplateComposer.from_config(config)


def test_builtin_names_are_known_to_routes_in_config() -> None:
    text = "routes:\n  - {name: r, template: builtin/security_alert}\n"
    assert load_config(text=text).routes[0].template
    with pytest.raises(ConfigError, match="unknown template 'builtin/nope'"):
        load_config(text="defaults: {template: builtin/nope}\n")


@pytest.mark.parametrize("name", sorted(BUILTIN_TEMPLATES))
def test_every_builtin_renders_an_alert_without_attributes(name: str) -> None:
    draft = TemplateComposer().draft(make_alert(), route(template=name), TICKET)
    assert draft.summary
    assert draft.description is not None
    assert to_adf(draft.description)["content"]


# Per-alert route values (issue 13 item 2): templated labels, components, assignee and due
# date; a value that renders empty is left out with a warning, never sent as `''`.


def draft_for(config_text: str, alert: Alert) -> Any:
    config = load_config(text=config_text)
    route: Route = Router(config).route(alert)
    return TemplateComposer.from_config(config).draft(alert, route, TICKET)


ROUTE = """
defaults:
  labels: [ticketbridge, "{{ alert.attributes.policy_name }}"]
routes:
  - name: r
    when: "true"
    template: builtin/security_alert
    labels: ["{{ alert.attributes.category | default('') }}"]
    components: ["{{ alert.attributes.system }}", Core]
    assignee: "{{ alert.attributes.assignedTo | default('') }}"
    fields:
      Risk: "{{ alert.attributes.risk | default('') }}"
      Team: ops
"""


def test_labels_components_and_assignee_are_rendered_per_alert() -> None:
    alert = make_alert(
        policy_name="PII Guard", category="data leak", system="Gateway", assignedTo="ann", risk="9"
    )
    draft = draft_for(ROUTE, alert)
    assert draft.labels == ("ticketbridge", "PII-Guard", "data-leak")  # no spaces in Jira
    assert draft.components == ("Gateway", "Core")
    assert draft.assignee == "ann"
    assert draft.warnings == ()


def test_values_that_render_empty_are_left_out_with_a_warning_not_sent_empty() -> None:
    draft = draft_for(ROUTE, make_alert(policy_name="pii", system="Gateway"))
    assert draft.labels == ("ticketbridge", "pii")
    assert draft.assignee is None
    assert draft.fields == {"Team": "ops"}  # not {"Risk": ""}
    assert len(draft.warnings) == 3
    assert any("fields.Risk" in w and "rendered empty" in w for w in draft.warnings)
    assert draft.description is not None  # a warning only: no panel in the issue
    assert "rendered empty" not in adf_to_text(to_adf(draft.description))


def test_a_value_failing_for_an_alert_is_left_out_with_a_note() -> None:
    draft = draft_for(ROUTE, make_alert(policy_name="pii"))  # no `system`: undefined
    assert draft.components == ("Core",)
    assert any("'components' failed" in w for w in draft.warnings)


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        ("2026-12-24", date(2026, 12, 24)),
        ("2026-12-24T23:30:00-05:00", date(2026, 12, 25)),  # its date in defaults.timezone
        ("+2d", date(2026, 11, 22)),  # a duration counts from occurred_at, as an SLA does
        ("", date(2026, 11, 27)),  # none given: the SLA by severity (high: 7d), issue 13
    ],
)
def test_a_templated_due_date_is_an_iso_date_or_a_duration(due: str, expected: date | None) -> None:
    text = 'routes:\n  - name: r\n    due: "{{ alert.attributes.dueDate }}"\n'
    assert draft_for(text, make_alert(dueDate=due)).due_date == expected


def test_a_due_date_that_is_neither_gives_the_sla_with_a_note() -> None:
    text = 'routes:\n  - name: r\n    due: "{{ alert.attributes.dueDate }}"\n'
    draft = draft_for(text, make_alert(dueDate="soon"))
    assert draft.due_date == date(2026, 11, 27)  # high: 7d from occurred_at
    assert any("neither an ISO date nor a duration" in w for w in draft.warnings)
    assert any("the SLA's due date is used" in w for w in draft.warnings)


@pytest.mark.parametrize(
    ("block", "key"),
    [
        ("defaults:\n  labels: ['{{ alert.title ']\n", "defaults.labels"),
        ("routes:\n  - {name: r, components: ['{% if %}']}\n", "routes[0].components"),
        ("routes:\n  - {name: r, assignee: '{{ alert. }}'}\n", "routes[0].assignee"),
        ("routes:\n  - {name: r, due: '{{ alert.attributes.x '}\n", "routes[0].due"),
    ],
)
def test_config_check_refuses_a_syntax_error_in_a_templated_value(block: str, key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(text=block)
    [problem] = raised.value.problems
    assert (problem.path, problem.message.split(":")[0]) == (key, "syntax error")
