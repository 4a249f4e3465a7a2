"""Seed 001 (Keeptrusts): `escalation.resolved` carries the source's verdict, and the issue is
closed with the Jira resolution it maps to (`sync.on_source_resolved.resolutions`), not always
Done — a false positive stays one in Jira (the seed's JQL `resolution = "False Positive"`) and
in the ticket (its later alerts are suppressed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scenarios.seed_scenario import (
    Scenario,
    example,
    run_scenario,
    scenario_db,
    without_callbacks,
)
from ticketbridge.storage import Database

__all__ = ["scenario_db"]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources" / "keeptrusts"
ENV = dict.fromkeys(
    ["JIRA_API_TOKEN", "KEEPTRUSTS_WEBHOOK_SECRET", "KEEPTRUSTS_CALLBACK_SECRET"], "s"
)
SEED = {
    "customFields": [
        {"id": "customfield_10200", "name": "Policy Name", "type": "text"},
        {"id": "customfield_10201", "name": "Model", "type": "text"},
        {"id": "customfield_10202", "name": "Gateway ID", "type": "text"},
        {"id": "customfield_10203", "name": "Console URL", "type": "text"},
    ]
}
# The example without its callbacks: the harness drains Jira jobs only (see without_callbacks).
CONFIG = without_callbacks(example("keeptrusts.yaml"))


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return loaded


def resolved(verdict: str | None) -> dict[str, Any]:
    body = fixture("escalation-resolved")
    if verdict is None:
        body.pop("resolution")
    else:
        body["resolution"] = verdict
    return body


def closed_with(scenario: Scenario) -> tuple[str, str | None]:
    issue = scenario.issue_for("esc_01HZX3K9Q7")
    state = scenario.emu.state
    resolution = state.resolutions[issue.resolution].name if issue.resolution else None
    return state.statuses[issue.status].category, resolution


@pytest.mark.parametrize(
    ("verdict", "expected"),
    [
        ("False Positive", "False Positive"),  # the seed's fixture as it is
        ("false positive", "False Positive"),  # any case
        ("Accepted Risk", "Won't Fix"),  # mapped to another name
        ("Mitigated", "Done"),  # not in the mapping: the workflow's own
        (None, "Done"),  # no verdict given
    ],
)
async def test_the_sources_verdict_is_the_issues_resolution(
    verdict: str | None, expected: str, scenario_db: Database
) -> None:
    payloads = [fixture("escalation-created"), resolved(verdict)]
    scenario = await run_scenario(
        scenario_db,
        CONFIG,
        "keeptrusts",
        payloads,
        jira_seed=SEED,
        env=ENV,
    )
    assert closed_with(scenario) == ("done", expected)


async def test_a_mapped_resolution_jira_lacks_still_closes_the_issue(
    scenario_db: Database,
) -> None:
    config = CONFIG.replace('"Accepted Risk": "Won\'t Fix"', '"Accepted Risk": "Won\'t Do"')
    payloads = [fixture("escalation-created"), resolved("Accepted Risk")]
    scenario = await run_scenario(
        scenario_db, config, "keeptrusts", payloads, jira_seed=SEED, env=ENV
    )
    assert closed_with(scenario) == ("done", "Done")


async def test_a_false_positive_suppresses_the_escalations_next_alert(
    scenario_db: Database,
) -> None:
    again = {**fixture("escalation-created"), "timestamp": "2026-03-03T09:00:00Z"}
    again["event_type"] = "escalation.updated"
    payloads = [fixture("escalation-created"), resolved("False Positive"), again]
    scenario = await run_scenario(
        scenario_db,
        CONFIG,
        "keeptrusts",
        payloads,
        jira_seed=SEED,
        env=ENV,
    )
    assert len(scenario.issues()) == 1
    assert closed_with(scenario) == ("done", "False Positive")
    last = scenario.results[-1]
    assert last.decision == "suppress", last
