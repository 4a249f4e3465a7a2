"""Seed 003 (SentinelIQ) as its document tells it, with examples/security.yaml: the alert's
`ticketMetadata` drives the issue — its labels, `assignedTo` (an email, or `soc-rotation`
resolved for the moment the alert arrived) and `dueDate` (else the SLA by severity) — and the
description carries the MITRE ATT&CK table and the chain of custody with its evidence hashes
and custody log. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from journey_harness import FIXTURES, example, jira_seed, journey

from ticketbridge.render import adf_to_text
from ticketbridge.storage import Database

ENV = {"JIRA_API_TOKEN": "t", "SECURITY_WEBHOOK_TOKEN": "s"}
SEED = jira_seed("security")  # examples/jira-seeds/security.yaml, as the README gives it


def aegis(**changes: Any) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (FIXTURES / "security" / "aegis-powershell.json").read_text()
    )
    return {**loaded, **changes}


def tables(adf: dict[str, Any]) -> list[list[tuple[str, ...]]]:
    return [
        [tuple(adf_to_text(cell).strip() for cell in row["content"]) for row in node["content"]]
        for node in adf["content"]
        if node["type"] == "table"
    ]


async def test_the_alerts_metadata_mitre_and_custody_reach_jira(database: Database) -> None:
    async with journey(database, example("security.yaml"), jira_seed=SEED, env=ENV) as trip:
        trip.at(datetime(2026, 3, 2, 9, 15, tzinfo=UTC))  # jane's turn on soc-rotation
        given = {
            "labels": ["ransomware", "finance ws"],
            "assignedTo": "analyst.raj@acme.com",
            "dueDate": "2026-03-05",
        }
        [named] = await trip.send("security", aegis(ticketMetadata=given))
        rotated = aegis(
            id="aegis_alert_5530",
            title="Encoded PowerShell execution on FIN-WS-050",
            ticketMetadata={"assignedTo": "soc-rotation"},
        )
        [rota] = await trip.send("security", rotated)
        [bare] = await trip.send(
            "security", aegis(id="aegis_alert_5531", title="Encoded PowerShell on FIN-WS-051")
        )

        issue = trip.seen.issue_for(named.alert_id)
        seen = trip.seen.observed(issue)
        assert seen["assignee"] == "analyst.raj@acme.com"
        assert seen["labels"] == ["finance-ws", "incident", "ransomware", "security"]
        assert seen["duedate"] == "2026-03-05"
        assert (seen["issuetype"], seen["priority"]) == ("Incident", "Highest")  # urgent
        assert trip.seen.observed(trip.seen.issue_for(rota.alert_id))["assignee"] == (
            "analyst.jane@acme.com"
        )
        assert any(
            "'soc-rotation' is a rotation: analyst.jane@acme.com" in reason
            for reason in (await trip.explain(rota.alert_id)).reasons
        )
        plain = trip.seen.observed(trip.seen.issue_for(bare.alert_id))
        assert (plain["assignee"], plain["duedate"]) == (None, "2026-03-03")  # critical SLA: 1d
        assert plain["labels"] == ["incident", "security"]

        adf = issue.fields["description"]
        _, mitre, custody = tables(adf)
        assert ("Tactic", "TA0011", "Command and Control") in mitre
        assert ("Technique", "T1059.001", "Command and Scripting Interpreter: PowerShell") in mitre
        assert custody[1][0] == "FIN-WS-042-memory.dmp"
        assert custody[1][3] == "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"
        log = next(n for n in adf["content"] if n["type"] == "orderedList")
        assert len(log["content"]) == 3  # case opened, collected, transferred
