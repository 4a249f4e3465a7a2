"""Seed 003 (SentinelIQ): examples/security.yaml with `builtin/security_alert`, end to end.

The document's priority translation (urgent → critical → Highest), critical alerts as SEC
Incidents, evidence-bearing alerts to Forensics, and the description's MITRE ATT&CK table and
chain of custody (evidence hashes, custody log in order) — read back from the emulator's ADF.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scenarios.seed_scenario import example, run_scenario, scenario_db
from ticketbridge.render import adf_to_text
from ticketbridge.storage import Database

__all__ = ["scenario_db"]

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sources" / "security"
ENV = {"JIRA_API_TOKEN": "t", "SECURITY_WEBHOOK_TOKEN": "s"}
SEED = {"projects": [{"key": "SEC", "name": "Security", "components": ["Forensics"]}]}
EXPECTED: dict[str, dict[str, Any]] = {
    "aegis_alert_5521": {  # priority "urgent", 2026-03-02T09:14:03Z
        "project": "SEC",
        "issuetype": "Incident",
        "priority": "Highest",
        "labels": ["incident", "security"],
        "components": [],
        "assignee": None,
        "duedate": "2026-03-03",  # critical: 1d
        "summary": "[CRITICAL] Encoded PowerShell execution on FIN-WS-042",
    },
    "aegis_alert_5522": {  # a like alert at "high": the evidence route
        "project": "SEC",
        "issuetype": "Task",
        "priority": "High",
        "labels": ["evidence", "security"],
        "components": ["Forensics"],
        "assignee": None,
        "duedate": "2026-03-09",  # high: 7d
        "summary": "[HIGH] Encoded PowerShell execution on FIN-WS-043",
    },
}
MITRE_ROWS = [
    ("Type", "ID", "Name"),
    ("Tactic", "TA0002", ""),
    ("Tactic", "TA0011", "Command and Control"),
]
HASH_ROW = (
    "FIN-WS-042-memory.dmp",
    "9e107d9d372bb6826bd81d3542a419d6",
    "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
    "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592",
)
CUSTODY = [
    "2026-03-02T09:20:00Z — analyst.jane@acme.com: case_opened",
    "2026-03-02T09:30:00Z — analyst.jane@acme.com: collected",
    "2026-03-02T09:41:12Z — forensics.bot: transferred",
]


def payloads() -> list[Any]:
    critical = json.loads((FIXTURE / "aegis-powershell.json").read_text())
    title = "Encoded PowerShell execution on FIN-WS-043"  # another host: another fingerprint
    high = {**critical, "id": "aegis_alert_5522", "priority": "high", "title": title}
    return [critical, high]


def tables(adf: dict[str, Any]) -> list[list[tuple[str, ...]]]:
    return [
        [tuple(adf_to_text(cell).strip() for cell in row["content"]) for row in node["content"]]
        for node in adf["content"]
        if node["type"] == "table"
    ]


async def test_security_routes_and_builtin_template(scenario_db: Database) -> None:
    config = example("security.yaml").replace(
        "template: security_alert", "template: builtin/security_alert"
    )
    scenario = await run_scenario(
        scenario_db, config, "security", payloads(), jira_seed=SEED, env=ENV
    )
    assert len(scenario.issues()) == 2
    for alert_id, expected in EXPECTED.items():
        assert scenario.observed(scenario.issue_for(alert_id)) == expected, alert_id
    adf = scenario.issue_for("aegis_alert_5521").fields["description"]
    headings = [adf_to_text(n).strip() for n in adf["content"] if n["type"] == "heading"]
    assert headings == ["Security alert", "MITRE ATT&CK", "Chain of custody", "Custody log"]
    facts, mitre, custody = tables(adf)
    assert ("Severity", "critical") in facts
    assert mitre[: len(MITRE_ROWS)] == MITRE_ROWS
    assert mitre[3:] == [
        ("Technique", "n/a", "PowerShell"),
        ("Technique", "T1059.001", "Command and Scripting Interpreter: PowerShell"),
    ]
    assert custody == [("Evidence", "MD5", "SHA1", "SHA256"), HASH_ROW]
    log = next(n for n in adf["content"] if n["type"] == "orderedList")
    assert [adf_to_text(item).strip() for item in log["content"]] == CUSTODY
