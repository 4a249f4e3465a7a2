"""No alert's content can silence its ticket (issue 11, item 3): a template that fails for one
alert.

A compliance failure without an `evidenceId`, routed to a template that reads
`alert.attributes.evidence_id`, had its create dead-lettered: whoever controls an alert's content
suppressed its ticket, and every later alert of that control made another dead create. End to
end (the API, the decider, the worker, the Jira emulator): the issue is created with the default
description (and summary) under a visible note naming the template and the error, the alert's
reasons say so, and a later critical alert of the control is a repeat on that issue.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from api_harness import Api
from emulated_api import alert_body, api_on_emulator

from jira_emulator import Emulator
from ticketbridge.bootstrap import load_config, routing
from ticketbridge.render import adf_to_text
from ticketbridge.services import PipelineSettings
from ticketbridge.services.planning import Planner
from ticketbridge.sources import SOURCES

TEMPLATES = {
    "evidence": {
        "summary": "Control failed: {{ alert.attributes.control_id }}",
        "description": "Evidence: {{ alert.attributes.evidence_id }}",
    },
    "bad_summary": {
        "summary": "{{ alert.attributes.owner.name }}",
        "description": "Reason: {{ alert.attributes.failure_reason }}",
    },
    "quoting": {  # the error quotes the alert's title: the note must not turn it into markup
        "summary": "{{ alert.title }}",
        "description": "{{ alert.attributes[alert.title] }}",
    },
}
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ROUTES = [
    {"name": "summary", "when": 'attributes.control_id == "CC7.1"', "template": "bad_summary"},
    {"name": "quoting", "when": 'attributes.control_id == "CC8.1"', "template": "quoting"},
    {"name": "evidence", "when": 'source == "compliance"', "template": "evidence"},
]


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(flavor="cloud")


@pytest.fixture
async def api(tmp_path: Path, emulator: Emulator) -> AsyncIterator[Api]:
    config = {
        "defaults": {"project": "OPS", "issue_type": "Task", "min_severity": "info"},
        "templates": TEMPLATES,
        "routes": ROUTES,
        "sources": {"compliance": {"allow_unauthenticated": True}},
    }
    async with api_on_emulator(tmp_path, emulator, config) as handle:
        yield handle


def failure(check: str, severity: str, control: str = "CC6.1", **more: Any) -> dict[str, Any]:
    """A compliance FAIL without `evidenceId`."""
    return {
        "checkId": check,
        "controlId": control,
        "controlTitle": "Logical access",
        "framework": "SOC2",
        "result": "FAIL",
        "severity": severity,
        "failureReason": "MFA is not enforced",
        **more,
    }


async def post(api: Api, result: dict[str, Any]) -> None:
    answer = await api.client.post("/v1/sources/compliance", json=result)
    assert answer.status_code == 202, answer.text
    await api.drain()


async def alert(api: Api, alert_id: str) -> dict[str, Any]:
    return await alert_body(api, alert_id, "compliance")


async def dead_jobs(api: Api) -> list[Any]:
    answer = await api.client.get("/v1/outbox?state=dead", headers=api.auth("admin"))
    assert answer.status_code == 200, answer.text
    items: list[Any] = answer.json()["items"]
    return items


def description(issue: Any) -> str:
    return adf_to_text(issue.fields["description"])


async def test_an_alert_the_template_fails_for_still_gets_its_issue(
    api: Api, emulator: Emulator
) -> None:
    await post(api, failure("run-1", "high"))

    [issue] = emulator.state.issues.values()
    text = description(issue)
    assert "the template 'evidence' failed for this alert" in text
    assert "evidence_id" in text  # the error, as Jinja names it
    assert "MFA is not enforced" in text  # the default description: the alert's own text
    assert issue.fields["summary"] == "Control failed: CC6.1"  # that part rendered
    first = await alert(api, "run-1:CC6.1")
    assert first["ticket"]["key"] == issue.key
    assert any("the template 'evidence' failed" in r for r in first["reasons"])  # explain
    assert await dead_jobs(api) == []


async def test_a_later_critical_alert_repeats_on_that_issue(api: Api, emulator: Emulator) -> None:
    await post(api, failure("run-1", "high"))
    await post(api, failure("run-2", "critical"))

    [issue] = emulator.state.issues.values()
    later = await alert(api, "run-2:CC6.1")
    assert later["decision"] == "repeat"
    assert later["ticket"]["key"] == issue.key
    assert await dead_jobs(api) == []


async def test_a_failed_summary_gets_the_default_summary(api: Api, emulator: Emulator) -> None:
    await post(api, failure("run-1", "high", control="CC7.1"))

    [issue] = emulator.state.issues.values()
    assert issue.fields["summary"] == "[high] [CC7.1] Logical access - Compliance Failure"
    text = description(issue)
    assert "the template 'bad_summary' failed for this alert" in text
    assert "Reason: MFA is not enforced" in text  # the description rendered


async def test_the_note_quotes_alert_data_as_text(api: Api, emulator: Emulator) -> None:
    title = "x](https://evil.example) [click"
    await post(api, failure("run-1", "high", control="CC8.1", controlTitle=title))

    [issue] = emulator.state.issues.values()
    adf = json.dumps(issue.fields["description"])
    assert "the template 'quoting' failed" in description(issue)
    assert '"href": "https://evil.example' not in adf  # no link made of the alert's text


async def test_plan_reports_the_failed_template() -> None:
    config = load_config(
        text=json.dumps(
            {"defaults": {"project": "OPS"}, "templates": TEMPLATES, "routes": ROUTES[2:]}
        ),
        env={},
    )
    router, composer = routing(config)
    planner = Planner(router, composer, PipelineSettings.from_config(config))
    parse = SOURCES["compliance"].parse_alerts
    assert parse is not None
    [parsed] = parse(json.dumps(failure("run-1", "high")), received_at=START)

    planned = await planner.plan(parsed)

    assert planned.error is None
    assert planned.draft is not None
    assert any("the template 'evidence' failed" in w for w in planned.warnings)
