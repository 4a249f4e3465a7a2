"""Seed 000 (TruthVouch): examples/truthvouch.yaml end to end, on Cloud and Data Center.

The document's trigger rules (critical hallucinations: confidence < 0.5 → OPS Bug, Highest,
on-call, AI-Engine; policy violations → COMPLIANCE Task, High, compliance team, due in 2 days)
and its "Hallucination Bug" wiki template; the resulting Jira issues read field by field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scenarios.seed_scenario import ADMIN, example, run_scenario, scenario_db
from ticketbridge.render import adf_to_text
from ticketbridge.storage import Database

__all__ = ["scenario_db"]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources" / "truthvouch"
ENV = {"JIRA_API_TOKEN": "t", "TRUTHVOUCH_WEBHOOK_SECRET": "s"}
SEED = {
    "users": [
        ADMIN,
        {"name": "oncall", "email": "oncall@company.com", "displayName": "On Call"},
        {"name": "compliance", "email": "compliance-team@company.com", "displayName": "CT"},
    ],
    "projects": [
        {"key": "OPS", "name": "Operations", "components": ["AI-Engine", "support-chatbot"]},
        {"key": "COMPLIANCE", "name": "Compliance"},
    ],
}
EXPECTED: dict[str, dict[str, Any]] = {
    "tv_alert_8812": {  # critical, confidence 0.05, detected 2026-03-02T14:22Z
        "project": "OPS",
        "issuetype": "Bug",
        "priority": "Highest",
        "labels": ["ai-governance", "ai-safety", "hallucination", "science"],  # + category
        "components": ["AI-Engine", "support-chatbot"],  # + affected_system
        "assignee": "oncall@company.com",  # on-call-rotation's first week (from 2026-02-23)
        "duedate": "2026-03-03",  # defaults.due critical: 1d from occurred_at
        "summary": "Hallucination: Hallucination Detected",
    },
    "policy": {  # no timestamp: occurred_at is when it was received (2026-03-01 12:00Z)
        "project": "COMPLIANCE",
        "issuetype": "Task",
        "priority": "High",
        "labels": ["ai-governance"],
        "components": [],
        "assignee": "compliance-team@company.com",  # the team compliance-team
        "duedate": "2026-03-03",  # due: +2d
        "summary": "[high] Medical advice given without disclaimer",  # no template: default
    },
}
BUG_TEXT = [
    "Issue",
    "Query: 'Is the Earth flat?'",
    "Details",
    "Confidence: 0.05",
    "Query: Is the Earth flat?",
    "Response: Yes, the Earth is flat according to recent studies.",
    "Category: science",
    "Action Items",
    "Review output",
]


def payloads() -> list[Any]:
    names = ("hallucination-detected", "policy-violation")
    first, policy = (json.loads((FIXTURES / f"{name}.json").read_text()) for name in names)
    other = {**first, "id": "tv_alert_8813", "fingerprint": "tv-citations", "confidence": 0.2}
    return [first, policy, other]  # two hallucinations: one epic (group: model, unknown here)


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
async def test_truthvouch_rules_and_template(flavor: Any, scenario_db: Database) -> None:
    scenario = await run_scenario(
        scenario_db,
        example("truthvouch.yaml"),
        "truthvouch",
        payloads(),
        flavor=flavor,
        jira_seed=SEED,
        env=ENV,
    )
    assert [r.decision.value for r in scenario.results] == ["create", "create", "create"]
    assert len(scenario.issues()) == 4  # two bugs, the policy task, and their one epic
    bug = scenario.issue_for("tv_alert_8812")
    (epic,) = [i for i in scenario.issues() if scenario.observed(i)["issuetype"] == "Epic"]
    assert scenario.observed(epic)["summary"] == "Hallucinations: unknown model"
    assert epic.project == "OPS"
    for alert_id in ("tv_alert_8812", "tv_alert_8813"):
        assert scenario.parent(scenario.issue_for(alert_id)) == epic.key
    assert scenario.observed(bug) == EXPECTED["tv_alert_8812"]
    policy = scenario.issue_for(scenario.results[1].alert_id)
    assert scenario.observed(policy) == EXPECTED["policy"]
    description = bug.fields["description"]
    if flavor == "cloud":  # ADF, rendered from the wiki template
        kinds = [node["type"] for node in description["content"]]
        assert kinds == ["heading", "paragraph", "heading", "bulletList", "heading", "bulletList"]
        text = adf_to_text(description)
    else:  # wiki markup on Data Center
        assert description.startswith("h2. Issue\n")
        assert "\n* Confidence: 0.05\n" in description
        text = description
    position = 0
    for line in BUG_TEXT:  # in this order
        found = text.find(line, position)
        assert found >= 0, (line, text)
        position = found
