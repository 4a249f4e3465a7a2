"""Seed 001 (Keeptrusts) as its document tells it, with examples/keeptrusts.yaml: one
escalation per gateway action (block, escalate, redact, log) becomes an AIGOV issue with the
Lambda's summary, its priority and type table, the SLA per action, the description's field table,
the labels `ai-governance, keeptrusts, <policy name>` and the five custom fields; the
escalation's `escalation.resolved` with "False Positive" closes its issue as one. On SQLite
and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from journey_harness import FIXTURES, example, jira_seed, journey, without_callbacks

from ticketbridge.storage import Database

ENV = dict.fromkeys(
    ["JIRA_API_TOKEN", "KEEPTRUSTS_WEBHOOK_SECRET", "KEEPTRUSTS_CALLBACK_SECRET"], "s"
)
SEED = jira_seed("keeptrusts")  # examples/jira-seeds/keeptrusts.yaml, as the README gives it
# The example without its callbacks: the harness drains Jira jobs only (see without_callbacks).
CONFIG = without_callbacks(example("keeptrusts.yaml"))
# action → (issue type, priority, due date: the SLA from 2026-03-02T22:30Z)
TABLE = {
    "block": ("Bug", "Highest", "2026-03-02"),  # 1h
    "escalate": ("Task", "High", "2026-03-03"),  # 4h
    "redact": ("Task", "Medium", "2026-03-03"),  # 24h
    "log": ("Task", "Low", "2026-03-09"),  # 7d
}


def escalation(action: str) -> dict[str, Any]:
    created: dict[str, Any] = json.loads(
        (FIXTURES / "keeptrusts" / "escalation-created.json").read_text()
    )
    return {
        **created,
        "escalation_id": f"esc_{action}",
        "action": action,
        "policy_name": "PII Guard",
        "timestamp": "2026-03-02T22:30:00Z",
    }


async def test_every_action_becomes_the_documents_issue(database: Database) -> None:
    async with journey(database, CONFIG, jira_seed=SEED, env=ENV) as trip:
        trip.at(datetime(2026, 3, 2, 22, 31, tzinfo=UTC))
        await trip.send("keeptrusts", *(escalation(action) for action in TABLE))
        assert len(trip.emu.state.issues) == 4
        for action, (issue_type, priority, due) in TABLE.items():
            issue = trip.seen.issue_for(f"esc_{action}")
            seen = trip.seen.observed(issue)
            assert seen["project"] == "AIGOV"
            assert (seen["issuetype"], seen["priority"], seen["duedate"]) == (
                issue_type,
                priority,
                due,
            ), action
            assert seen["summary"] == f"AI Escalation: PII Guard — {action} (gpt-4o)"
            assert seen["labels"] == ["PII-Guard", "ai-governance", "keeptrusts"]
            fields = {
                name: trip.seen.field(issue, name)
                for name in ("Escalation ID", "Policy Name", "Model", "Gateway ID", "Console URL")
            }
            assert fields == {
                "Escalation ID": f"esc_{action}",
                "Policy Name": "PII Guard",
                "Model": "gpt-4o",
                "Gateway ID": "gw-eu-west-1",
                "Console URL": f"https://console.keeptrusts.com/escalations/esc_{action}",
            }
            text = trip.description(issue.key)
            assert "AI Governance Escalation" in text
            rows = [
                "Policy | PII Guard",
                f"Action | {action}",
                "Model | gpt-4o",
                "Gateway | gw-eu-west-1",
                f"Escalation ID | esc_{action}",
            ]
            assert all(f"\n{row}\n" in text for row in rows), text
            assert "Determine if the violation is genuine or a false positive" in text


@pytest.mark.parametrize(("verdict", "resolution"), [("False Positive", "False Positive")])
async def test_the_escalations_resolution_is_the_issues(
    database: Database, verdict: str, resolution: str
) -> None:
    async with journey(database, CONFIG, jira_seed=SEED, env=ENV) as trip:
        trip.at(datetime(2026, 3, 2, 22, 31, tzinfo=UTC))
        [created] = await trip.send("keeptrusts", escalation("block"))
        resolved = {
            **escalation("block"),
            "event_type": "escalation.resolved",
            "resolution": verdict,
            "timestamp": "2026-03-02T23:10:00Z",
        }
        trip.at(datetime(2026, 3, 2, 23, 11, tzinfo=UTC))
        await trip.send("keeptrusts", resolved)
        assert created.ticket_key is not None
        assert trip.status(created.ticket_key) == ("done", resolution)
        assert f"resolved as {resolution}" in trip.comments(created.ticket_key)[-1]
