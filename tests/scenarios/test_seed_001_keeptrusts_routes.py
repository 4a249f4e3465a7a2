"""Seed 001 (Keeptrusts): examples/keeptrusts.yaml end to end against the emulator (Cloud).

The document's action tables (block → Highest Bug, escalate → High Task), its SLA per action
(due dates), its four custom fields by display name, and its AI escalation template with the
field table and investigation steps — the config's wiki template and `builtin/ai_escalation`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scenarios.seed_scenario import example, run_scenario, scenario_db
from ticketbridge.render import adf_to_text
from ticketbridge.storage import Database

__all__ = ["scenario_db"]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources" / "keeptrusts"
ENV = dict.fromkeys(
    ["JIRA_API_TOKEN", "KEEPTRUSTS_WEBHOOK_SECRET", "KEEPTRUSTS_CALLBACK_SECRET"], "s"
)
SEED = {
    "customFields": [  # the document's "Add custom fields" (Escalation ID is in the default seed)
        {"id": "customfield_10200", "name": "Policy Name", "type": "text"},
        {"id": "customfield_10201", "name": "Model", "type": "text"},
        {"id": "customfield_10202", "name": "Gateway ID", "type": "text"},
        {"id": "customfield_10203", "name": "Console URL", "type": "text"},  # URL: no such type
    ]
}
EXPECTED: dict[str, dict[str, Any]] = {
    "esc_01HZX3K9Q7": {  # action block, 2026-03-02T14:22:11Z
        "project": "AIGOV",
        "issuetype": "Bug",
        "priority": "Highest",
        "components": [],
        "assignee": None,
        "duedate": "2026-03-02",  # block: 1h
        "labels": ["ai-governance", "keeptrusts", "pii-detection"],
    },
    "esc_01HZX3KA00": {  # action escalate, 2026-03-02T15:00:00Z
        "project": "AIGOV",
        "issuetype": "Task",
        "priority": "High",
        "components": [],
        "assignee": None,
        "duedate": "2026-03-02",  # escalate: 4h
        "labels": ["ai-governance", "keeptrusts", "medical-advice"],
    },
}
CUSTOM = {
    "esc_01HZX3K9Q7": {
        "Escalation ID": "esc_01HZX3K9Q7",
        "Policy Name": "pii-detection",
        "Model": "gpt-4o",
        "Gateway ID": "gw-eu-west-1",
    },
    "esc_01HZX3KA00": {
        "Escalation ID": "esc_01HZX3KA00",
        "Policy Name": "medical-advice",
        "Model": "claude-3-5-sonnet",
        "Gateway ID": "gw-us-east-1",
    },
}
TABLE_ROWS = [
    ("Policy", "pii-detection"),
    ("Action", "block"),
    ("Model", "gpt-4o"),
    ("Gateway", "gw-eu-west-1"),
    ("User", "user_8841"),
    ("Escalation ID", "esc_01HZX3K9Q7"),
]
STEPS = [
    "Open the console link above",
    "Review the event context and conversation history",
    "Determine if the violation is genuine or a false positive",
    "Update this ticket with findings",
    "Resolve the escalation in Keeptrusts",
]


def payloads() -> list[Any]:
    names = ("escalation-created", "escalation-envelope")
    return [json.loads((FIXTURES / f"{name}.json").read_text()) for name in names]


def rows(adf: dict[str, Any]) -> list[tuple[str, ...]]:
    table = next(node for node in adf["content"] if node["type"] == "table")
    return [tuple(adf_to_text(cell).strip() for cell in row["content"]) for row in table["content"]]


def steps(adf: dict[str, Any]) -> list[str]:
    listed = next(node for node in adf["content"] if node["type"] == "orderedList")
    return [adf_to_text(item).strip() for item in listed["content"]]


@pytest.mark.parametrize("template", ["ai_escalation", "builtin/ai_escalation"])
async def test_keeptrusts_mappings_fields_and_template(
    template: str, scenario_db: Database
) -> None:
    config = example("keeptrusts.yaml").replace("template: ai_escalation", f"template: {template}")
    scenario = await run_scenario(
        scenario_db, config, "keeptrusts", payloads(), jira_seed=SEED, env=ENV
    )
    assert len(scenario.issues()) == 2
    for alert_id, expected in EXPECTED.items():
        issue = scenario.issue_for(alert_id)
        observed = scenario.observed(issue)
        assert {k: observed[k] for k in expected} == expected, alert_id
        for name, value in CUSTOM[alert_id].items():
            assert scenario.field(issue, name) == value, name
    block = scenario.issue_for("esc_01HZX3K9Q7")
    assert block.fields["summary"] == "AI Escalation: pii-detection — block (gpt-4o)"
    description = block.fields["description"]
    assert description["content"][0]["type"] == "heading"
    assert adf_to_text(description["content"][0]) == "AI Governance Escalation"
    table = rows(description)
    assert table[0] == ("Field", "Value")
    assert all(row in table for row in TABLE_ROWS), table
    assert steps(description) == STEPS
    links = [
        mark["attrs"]["href"]
        for block_node in description["content"]
        for inline in block_node.get("content", [])
        for mark in inline.get("marks", [])
        if mark["type"] == "link"
    ]
    assert any(
        href.startswith("https://console.keeptrusts.com/escalations/esc_01HZX3K9Q7")
        for href in links
    )
