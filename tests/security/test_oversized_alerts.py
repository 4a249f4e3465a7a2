"""Whoever controls an alert's text cannot make its create fail through size (issue 11, item 3).

An alert whose description rendered past the 200,000-character template output limit was
accepted and its create dead-lettered. End to end into the Jira emulator, on Cloud and Data
Center: the SPEC's template and a built-in with a 400,000-character description, and a text
field fed from a 400,000-character attribute, each make an issue, cut to Jira's limits with
ticketbridge's visible marker.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from scenarios.seed_scenario import run_scenario, scenario_db
from ticketbridge.render import adf_to_text
from ticketbridge.storage import Database

__all__ = ["scenario_db"]

HUGE = "word " * 80_000
CONFIG = """\
jira:
  {flavor: cloud, url: https://acme.atlassian.net, auth: {type: token, email: a@b.c, api_token: t}}
defaults: {project: OPS, issue_type: Task, min_severity: info}
templates:
  spec:
    summary: "Hallucination: {{ alert.title }}"
    description: |
      ## Issue
      {{ alert.description }}
      | Field | Value |
      |---|---|
      | Confidence | {{ alert.confidence }} |
routes:
  - {name: spec, when: 'attributes.use == "spec"', template: spec}
  - {name: builtin, when: 'attributes.use == "builtin"', template: builtin/hallucination_bug}
  - name: field
    when: 'attributes.use == "field"'
    fields: {Escalation ID: "{{ alert.attributes.model }}"}
"""


def payload(use: str) -> str:
    return json.dumps(
        {
            "id": f"big-{use}",
            "fingerprint": f"fp-{use}",
            "title": HUGE,
            "severity": "critical",
            "description": HUGE,
            "attributes": {"use": use, "model": HUGE},
        }
    )


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
async def test_an_oversized_alert_still_makes_its_issue(flavor: Any, scenario_db: Database) -> None:
    uses = ("spec", "builtin", "field")
    scenario = await run_scenario(
        scenario_db, CONFIG, "generic", [payload(use) for use in uses], flavor=flavor
    )

    assert len(scenario.issues()) == len(uses)
    for use in uses:
        issue = scenario.issue_for(f"big-{use}")
        description = issue.fields["description"]
        text = adf_to_text(description) if flavor == "cloud" else description
        assert "word word" in text
        assert text.rstrip("_").endswith("characters omitted")  # the visible marker, at the end
        assert 200 < len(issue.fields["summary"]) <= 255
    field = scenario.field(scenario.issue_for("big-field"), "Escalation ID")
    assert field.startswith("word word")
    assert len(field) <= 255
