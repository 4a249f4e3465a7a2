"""Per-alert labels, components and custom fields end to end (issue 13 item 2): a Keeptrusts
escalation gets its policy name as a label and its gateway as the component, and a templated
select field the alert has no value for is left out — before, `''` was sent and Jira refused the
create, so the escalation never got its issue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scenarios.seed_scenario import run_scenario, scenario_db
from ticketbridge.storage import Database

__all__ = ["scenario_db"]

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sources" / "keeptrusts"
SEED = {
    "customFields": [
        {"id": "customfield_10300", "name": "Risk", "type": "select", "options": ["Low", "High"]}
    ],
    "addProjects": [
        {"key": "GUARD", "issueTypes": ["Task", "Bug"], "components": ["gw-eu-west-1", "core"]}
    ],
}
CONFIG = """
defaults:
  project: GUARD
  min_severity: info
  labels: [keeptrusts, "{{ alert.attributes.policy_name }}"]
  components: ["{{ alert.attributes.gateway_id }}"]
  fields:
    Risk: "{{ alert.attributes.risk_level | default('') }}"
routes:
  - name: category
    when: 'source == "keeptrusts"'
    labels: ["{{ alert.attributes.policy_category | default('') }}"]
"""


def escalation() -> Any:
    return json.loads((FIXTURE / "escalation-created.json").read_text())


async def test_keeptrusts_escalation_gets_policy_label_component_and_no_empty_field(
    scenario_db: Database,
) -> None:
    scenario = await run_scenario(scenario_db, CONFIG, "keeptrusts", [escalation()], jira_seed=SEED)

    issue = scenario.issue_for("esc_01HZX3K9Q7")
    observed = scenario.observed(issue)
    assert observed["labels"] == ["Data-protection", "keeptrusts", "pii-detection"]
    assert observed["components"] == ["gw-eu-west-1"]
    assert "customfield_10300" not in issue.fields or issue.fields["customfield_10300"] is None
