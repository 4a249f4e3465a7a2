"""Seed 004 (Kushim): examples/compliance.yaml end to end, on Data Center (its wiki template)
and Cloud (`builtin/compliance_control_failure`).

The document's severity threshold, priority mapping, SLA due dates, project routing by control
type (AWS → INFRA), auto-assignment rules (AWS → cloud team, GitHub → dev team), its custom
fields (Control ID, Framework: dropped with a warning where the screen lacks them, as in INFRA),
a muted control, and a passing control that opens nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jira_emulator.defaults import SYSTEM_ON_SCREEN
from scenarios.seed_scenario import ADMIN, example, run_scenario, scenario_db
from ticketbridge.render import adf_to_text
from ticketbridge.storage import Database

__all__ = ["scenario_db"]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources" / "compliance"
ENV = {"COMPLIANCE_TOKEN": "s"}


def person(name: str, email: str) -> dict[str, Any]:
    return {"name": name, "email": email, "displayName": name}


SEED = {
    "users": [
        ADMIN,
        person("cloud", "cloud-team@acme-corp.com"),
        person("dev", "dev-team@acme-corp.com"),
        person("lead", "compliance-lead@acme-corp.com"),
    ],
    "customFields": [
        {"id": "customfield_10001", "name": "Control ID", "type": "text"},
        {"id": "customfield_10002", "name": "Framework", "type": "text"},
    ],
    "projects": [
        {"key": "COMPLIANCE", "name": "Compliance"},
        # INFRA's create screen has no compliance fields: they are dropped, with a warning
        {"key": "INFRA", "name": "Infrastructure", "screens": {"default": SYSTEM_ON_SCREEN}},
    ],
}
EXPECTED: dict[str, dict[str, Any]] = {
    "AWS_IAM_MFA": {  # high, 2026-03-02T06:00:12Z
        "project": "INFRA",
        "issuetype": "Task",
        "priority": "High",
        "labels": ["aws", "compliance", "soc2"],
        "components": [],
        "assignee": "cloud-team@acme-corp.com",
        "duedate": "2026-03-09",  # high: 7d
    },
    "GITHUB_BRANCH_PROTECTION": {  # medium, 2026-03-04T06:00:00Z
        "project": "COMPLIANCE",
        "issuetype": "Task",
        "priority": "Medium",
        "labels": ["compliance", "soc2"],
        "components": [],
        "assignee": "dev-team@acme-corp.com",
        "duedate": "2026-04-03",  # medium: 30d
    },
}
STEPS = [
    "Review failure details",
    "Implement remediation",
    "Re-run compliance check",
    "Verify resolution",
]


def payloads() -> list[Any]:
    fail = json.loads((FIXTURES / "aws-iam-mfa-fail.json").read_text())
    muted = {**fail, "controlId": "AWS_S3_LOGGING", "controlTitle": "S3 access logging"}
    run = json.loads((FIXTURES / "check-run.json").read_text())
    return [fail, muted, run]


def issue_of(scenario: Any, control: str) -> Any:
    found = [i for i in scenario.issues() if control in i.fields["summary"]]
    assert len(found) == 1, [i.fields["summary"] for i in scenario.issues()]
    return found[0]


def description_text(issue: Any) -> str:
    value = issue.fields["description"]
    return value if isinstance(value, str) else adf_to_text(value)


@pytest.mark.parametrize(
    ("template", "flavor"),
    [("compliance_control_failure", "datacenter"), ("builtin/compliance_control_failure", "cloud")],
)
async def test_compliance_routing_assignment_sla_and_template(
    template: str, flavor: Any, scenario_db: Database
) -> None:
    config = example("compliance.yaml").replace(
        "template: compliance_control_failure", f"template: {template}"
    )
    scenario = await run_scenario(
        scenario_db, config, "compliance", payloads(), flavor=flavor, jira_seed=SEED, env=ENV
    )
    decisions = {r.alert_id.split(":")[-1]: r.decision.value for r in scenario.results}
    assert decisions["AWS_S3_LOGGING"] == "ignore"  # muted-controls
    assert len(scenario.issues()) == 2  # the passing OKTA control opens nothing
    for control, expected in EXPECTED.items():
        observed = scenario.observed(issue_of(scenario, control))
        assert {k: observed[k] for k in expected} == expected, control
    github = issue_of(scenario, "GITHUB_BRANCH_PROTECTION")
    assert scenario.field(github, "Control ID") == "GITHUB_BRANCH_PROTECTION"
    assert scenario.field(github, "Framework") == "ISO 27001"
    aws = issue_of(scenario, "AWS_IAM_MFA")
    assert scenario.field(aws, "Control ID") is None  # not on INFRA's screen: dropped
    text = description_text(aws)
    assert "6 IAM users without MFA: alice, bob, carol, dave, erin, frank" in text
    assert "ev_7f3c21" in text
    positions = [text.find(step) for step in STEPS]
    assert -1 not in positions
    assert positions == sorted(positions)
    if flavor == "datacenter":  # the config's wiki template, stored as wiki
        assert text.startswith("*Control ID:* AWS_IAM_MFA\n")
        assert "\n# Review failure details\n" in text
    else:
        assert aws.fields["summary"] == "[AWS_IAM_MFA] IAM MFA Enforcement - Compliance Failure"
        kinds = {node["type"] for node in aws.fields["description"]["content"]}
        assert {"paragraph", "orderedList", "bulletList"} <= kinds
