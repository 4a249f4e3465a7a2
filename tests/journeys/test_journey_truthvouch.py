"""Seed 000 (TruthVouch) as its document tells it, with examples/truthvouch.yaml: critical
hallucinations go to OPS as Bugs assigned to `on-call-rotation` — whoever is on duty when the
alert arrives, said in its reasons (`explain`) — with the alert's category as a label and its
affected system as a component; policy violations go to COMPLIANCE for `compliance-team`. On
SQLite and PostgreSQL. (The seed's library snippets run in tests/library.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from journey_harness import FIXTURES, example, jira_seed, journey

from ticketbridge.storage import Database

ENV = {"JIRA_API_TOKEN": "t", "TRUTHVOUCH_WEBHOOK_SECRET": "s"}
SEED = jira_seed("truthvouch")  # examples/jira-seeds/truthvouch.yaml, as the README gives it


def fixture(name: str, **changes: Any) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / "truthvouch" / f"{name}.json").read_text())
    return {**loaded, **changes}


async def test_the_rotation_and_the_team_take_the_seeds_alerts(database: Database) -> None:
    async with journey(database, example("truthvouch.yaml"), jira_seed=SEED, env=ENV) as trip:
        trip.at(datetime(2026, 3, 2, 8, 59, tzinfo=UTC))  # the first week's last minute
        [first] = await trip.send("truthvouch", fixture("hallucination-detected"))
        trip.at(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))  # Monday 09:00: the hand-over
        other = fixture("hallucination-detected", id="tv_alert_9001", title="Invented citation")
        [second] = await trip.send("truthvouch", other)
        [policy] = await trip.send("truthvouch", fixture("policy-violation"))

        bug = trip.seen.observed(trip.seen.issue_for(first.alert_id))
        assert bug["assignee"] == "oncall@company.com"
        assert bug["labels"] == ["ai-governance", "ai-safety", "hallucination", "science"]
        assert bug["components"] == ["AI-Engine", "support-chatbot"]
        assert trip.seen.observed(trip.seen.issue_for(second.alert_id))["assignee"] == (
            "ops@company.com"
        )
        task = trip.seen.observed(trip.seen.issue_for(policy.alert_id))
        assert (task["project"], task["assignee"]) == ("COMPLIANCE", "compliance-team@company.com")

        why = (await trip.explain(second.alert_id)).reasons
        assert (
            "assignee 'on-call-rotation' is a rotation: ops@company.com is on duty at "
            "2026-03-02 09:00 UTC (member 2 of 2, each for 7d)"
        ) in why, why
        assert "assignee 'compliance-team' is a team: compliance-team@company.com" in (
            (await trip.explain(policy.alert_id)).reasons
        )
