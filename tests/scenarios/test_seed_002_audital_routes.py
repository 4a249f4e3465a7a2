"""Seed 002 (Audital): a change-management ticket whose Change Risk (LOW/MEDIUM/HIGH select)
and other custom fields are filled from the alert, end to end against the emulator.

Audital reads Change Risk back from Jira; here ticketbridge writes it: field values rendered
from templates, shaped from each field's schema (option, multi-option, number) and keyed by
display name.
"""

from __future__ import annotations

from typing import Any

import pytest

from scenarios.seed_scenario import run_scenario, scenario_db
from ticketbridge.render import adf_to_text
from ticketbridge.storage import Database

__all__ = ["scenario_db"]

CONFIG = """
defaults: {project: AIGOV, labels: [audit], min_severity: low}
routes:
  - name: model-deployments
    when: 'kind == "model_deployment"'
    issue_type: Task
    template: builtin/ai_escalation
    fields:
      Change Risk: "{{ alert.attributes.change_risk | upper }}"
      Affected Systems: ["api", "{{ alert.attributes.system }}"]
      Risk Score: 7.5
      Remediation Notes: "Rollback plan: {{ alert.attributes.rollback }}"
"""
ALERT = {
    "id": "deploy-142",
    "source": "generic",
    "kind": "model_deployment",
    "title": "credit-scoring v2.3 to production",
    "severity": "medium",
    "occurred_at": "2026-03-02T10:00:00Z",
    "attributes": {"change_risk": "high", "system": "database", "rollback": "pin v2.2"},
}
EXPECTED: dict[str, Any] = {
    "Change Risk": "HIGH",
    "Affected Systems": ["api", "database"],
    "Risk Score": 7.5,
    "Remediation Notes": "Rollback plan: pin v2.2",
}


def plain(value: Any) -> Any:
    """A stored value as its text: an option's value, a textarea's ADF (Cloud) as text."""
    if isinstance(value, dict) and value.get("type") == "doc":
        return adf_to_text(value).strip()
    if isinstance(value, dict):
        return value.get("value")
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
async def test_change_risk_fields_shaped_from_schema(flavor: Any, scenario_db: Database) -> None:
    scenario = await run_scenario(scenario_db, CONFIG, "generic", [ALERT], flavor=flavor)
    issue = scenario.issue_for("deploy-142")
    observed = scenario.observed(issue)
    assert (observed["project"], observed["issuetype"], observed["priority"]) == (
        "AIGOV",
        "Task",
        "Medium",
    )
    assert observed["labels"] == ["audit"]
    assert {name: plain(scenario.field(issue, name)) for name in EXPECTED} == EXPECTED
