"""No alert can make a render fail through its size (issue 11, item 3): every budget truncates.

An alert whose description rendered past the 200,000-character output limit was refused (the
create dead-lettered); a long list in an alert ran a template into its iteration budget. Now the
render stops where a budget is reached, keeps what it wrote and says so, and the built-in
templates show a bounded part of every list, so data size alone never reaches a budget.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ticketbridge.config.models import TemplateConfig
from ticketbridge.domain import Alert
from ticketbridge.render import DESCRIPTION_LIMIT, TemplateEngine, Text, jira_length, to_text
from ticketbridge.render.builtin import BUILTIN_TEMPLATES
from ticketbridge.services import parse_alerts
from ticketbridge.services.templated import TemplateComposer, template_context

NOW = datetime(2026, 11, 20, tzinfo=UTC)
SPEC_LIKE = TemplateConfig(
    summary="Hallucination: {{ alert.title }}",
    description="## Issue\n{{ alert.description }}\n| Field | Value |\n|---|---|\n| A | b |\n",
)
HUGE = "word " * 80_000  # 400,000 characters: twice the template output limit


def alert(**fields: Any) -> Alert:
    [parsed] = parse_alerts({"title": "t", "severity": "critical", **fields}, now=NOW)
    return parsed


def last_text(document: Any) -> str:
    [inline] = document.blocks[-1].content
    assert isinstance(inline, Text)
    return inline.text


@pytest.mark.parametrize("name", ["spec-like", *sorted(BUILTIN_TEMPLATES)])
def test_a_description_past_the_output_limit_is_truncated_for_the_create(name: str) -> None:
    composer = TemplateComposer({"spec-like": SPEC_LIKE})
    context = template_context(alert(description=HUGE, attributes={"failure_reason": HUGE}))

    summary, description = composer.render_template(name, context)

    assert summary
    assert jira_length(to_text(description)) <= DESCRIPTION_LIMIT
    assert "word word word" in to_text(description)
    assert last_text(description).startswith("… truncated by ticketbridge: ")


def test_a_field_value_past_the_output_limit_is_cut_not_refused() -> None:
    composer = TemplateComposer()
    context = template_context(alert(attributes={"model": HUGE}))

    fields = composer.render_fields({"Model": "{{ alert.attributes.model }}"}, context)

    assert fields["Model"].startswith("word word")
    assert fields["Model"].endswith(
        "\n… truncated by ticketbridge: the template's output reached 200,000 characters"
    )


def test_a_user_template_looping_over_a_long_list_ends_with_a_marker() -> None:
    engine = TemplateEngine(max_iterations=1_000)
    template = engine.compile("tags", "Tags:\n{% for t in alert.tags %}- {{ t }}\n{% endfor %}")

    document = engine.render_document(template, {"alert": {"tags": ["x"] * 5_000}})

    assert len(document.blocks[1].items) == 1_000  # type: ignore[union-attr]
    assert last_text(document) == (
        "… truncated by ticketbridge: too many loop iterations (limit per render reached)"
    )


LONG_LISTS = {
    "mitre": {
        "tactics": [{"id": f"TA{n:04}", "name": "tactic"} for n in range(100_000)],
        "techniques": [{"id": f"T{n}.001", "name": "technique"} for n in range(100_000)],
    },
    "custody": {
        "log": [{"timestamp": "t", "actor": "a", "action": "x"}] * 100_000,
        "evidence": [
            {"name": f"e{n}", "hashes": {"md5": "abc"}, "custody_log": [{"action": "y"}] * 10}
            for n in range(100_000)
        ],
    },
}


@pytest.mark.parametrize("name", sorted(BUILTIN_TEMPLATES))
def test_the_builtins_never_reach_a_budget_through_an_alerts_lists(name: str) -> None:
    # A budget far below the 100,000 iterations of a render: the built-ins' loops are bounded
    # by the entries they show, not by the alert's lists.
    composer = TemplateComposer(engine=TemplateEngine(max_iterations=2_000))
    links = [{"title": f"l{n}", "url": f"https://c.example/{n}"} for n in range(1_000)]
    context = template_context(alert(links=links, attributes=LONG_LISTS))

    _, description = composer.render_template(name, context)

    text = to_text(description)
    assert "truncated by ticketbridge" not in text
    assert "… and 950 more links" in text
    if name == "builtin/security_alert":
        assert "… and 199900 more MITRE entries" in text
        assert "… and 99950 more evidence items" in text
        assert "… more custody entries are not shown" in text
