"""Planner: plan (route, decision, rendered draft, createmeta warnings from the emulator, no
writes) and replay (predicted issues, dedup ratio, counts per route)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from support.requirements import require
from ticketbridge.bootstrap import load_config, routing
from ticketbridge.config import Config
from ticketbridge.domain import Alert, AlertStatus, DecisionKind, EpicGroup, Severity
from ticketbridge.providers.jira import JiraProvider, api_token
from ticketbridge.render import to_adf
from ticketbridge.services import PipelineSettings
from ticketbridge.services.planning import Planner

WHEN = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
CONFIG = """
defaults: {project: OPS, labels: [ai], min_severity: medium}
routes:
  - name: muted
    when: 'attributes.?muted.orValue(false) == true'
    action: ignore
  - name: hallucinations
    when: 'kind == "hallucination"'
    issue_type: Bug
    assignee: nobody@example.com
    components: [AI-Engine]
    template: builtin/hallucination_bug
    fields:
      Escalation ID: "{{ alert.id }}"
      Change Risk: "{{ alert.attributes.risk }}"
      No Such Field: x
  - name: infra
    when: 'kind == "capacity"'
    project: INFRA
    fields: {Risk Score: 3}
  - name: grouped
    when: 'kind == "grouped"'
    group: {epic: "{{ alert.attributes.policy }}"}
  - name: grouped-infra
    when: 'kind == "grouped-infra"'
    project: INFRA
    group: {epic: "{{ alert.attributes.policy }}"}
"""


def alert(alert_id: str, kind: str = "hallucination", **attributes: Any) -> Alert:
    return Alert(
        id=alert_id,
        source="generic",
        kind=kind,
        title=f"{kind} {attributes.get('n', '')}".strip(),
        severity=Severity.HIGH,
        fingerprint=f"{kind}:{attributes.get('n', alert_id)}",
        occurred_at=WHEN,
        received_at=WHEN,
        description="text",
        attributes=attributes,
    )


def config() -> Config:
    return load_config(text=CONFIG)


def planner(provider: Any = None) -> Planner:
    loaded = config()
    settings = PipelineSettings.from_config(loaded)
    router, composer = routing(loaded)
    return Planner(router, composer, settings, provider)


@pytest.fixture
async def emulated() -> AsyncIterator[tuple[Any, JiraProvider]]:
    try:
        from jira_emulator import Emulator
    except ImportError as exc:  # pragma: no cover
        require(False, f"Jira emulator not importable: {exc}")
        raise
    emu = Emulator(flavor="cloud", clock=time.time)
    provider = JiraProvider(
        flavor="cloud",
        base_url=emu.base_url,
        auth=api_token("admin@example.com", "emulator-token"),
        transport=emu.transport(),
    )
    yield emu, provider
    await provider.aclose()


async def test_plan_renders_and_lists_createmeta_warnings_without_writing(
    emulated: tuple[Any, JiraProvider],
) -> None:
    emu, provider = emulated
    planned = await planner(provider).plan(alert("a-1", risk="EXTREME"))
    assert planned.route.name == "hallucinations"
    assert planned.decision is DecisionKind.CREATE
    assert planned.draft is not None
    assert planned.draft.summary == "Hallucination: hallucination"
    assert planned.draft.fields["Escalation ID"] == "a-1"
    assert to_adf(planned.draft.description)["content"][0]["type"] == "heading"  # type: ignore[arg-type]
    assert set(planned.warnings) == {
        "user 'nobody@example.com' is unknown to Jira: the issue stays unassigned",
        "component 'AI-Engine' does not exist in OPS",
        "field 'Change Risk': 'EXTREME' is not one of its allowed values",
        "field 'No Such Field': Jira has no such field (dropped)",
    }
    assert emu.state.issues == {}
    writes = [r for r in emu.requests if r.method != "GET"]
    assert writes == []


async def test_plan_flags_fields_off_the_create_screen(
    emulated: tuple[Any, JiraProvider],
) -> None:
    _, provider = emulated
    planned = await planner(provider).plan(alert("c-1", kind="capacity"))
    assert planned.route.name == "infra"
    assert planned.warnings == (
        "field 'Risk Score' (customfield_10014) is not on the create screen of INFRA/Task "
        "(dropped)",
    )


async def test_plan_of_an_ignored_alert_has_no_draft() -> None:
    planned = await planner().plan(alert("m-1", muted=True))
    assert planned.decision is DecisionKind.IGNORE
    assert planned.draft is None
    assert any("muted" in reason for reason in planned.reasons)


async def test_plan_reports_a_template_failure_as_a_warning() -> None:
    text = CONFIG.replace("template: builtin/hallucination_bug", "template: t") + (
        "templates:\n  t: {summary: '{{ alert.attributes.nope }}', description: d}\n"
    )
    loaded = load_config(text=text)
    settings = PipelineSettings.from_config(loaded)
    router, composer = routing(loaded)
    planned = await Planner(router, composer, settings).plan(alert("a-2"))
    assert planned.error is None
    assert planned.draft is not None  # the default summary: the alert still gets its issue
    assert any("'t'" in w and "undefined" in w for w in planned.warnings)


@pytest.mark.parametrize(
    ("history", "issues", "ratio", "per_route"),
    [
        ([("a", "hallucination", 1)], 1, 0.0, {"hallucinations": (1, 1)}),
        (
            [("a", "hallucination", 1), ("b", "hallucination", 1), ("c", "hallucination", 2)],
            2,
            1 / 3,
            {"hallucinations": (3, 2)},
        ),
        (
            [("a", "capacity", 1), ("b", "capacity", 1), ("c", "capacity", 1), ("d", "x", 9)],
            2,
            0.5,
            {"infra": (3, 1), "defaults": (1, 1)},
        ),
    ],
)
def test_replay_predicts_issues_dedup_and_routes(
    history: list[tuple[str, str, int]],
    issues: int,
    ratio: float,
    per_route: dict[str, tuple[int, int]],
) -> None:
    alerts = [alert(i, kind, n=n) for i, kind, n in history]
    alerts.append(alert("muted", muted=True))
    stats = planner().replay(alerts)
    assert stats.alerts == len(history) + 1
    assert stats.decisions["ignore"] == 1
    assert stats.predicted_issues == issues
    assert stats.dedup_ratio == pytest.approx(ratio)
    routes = {k: (v["alerts"], v["issues"]) for k, v in stats.as_dict()["routes"].items()}
    assert routes == {**per_route, "muted": (1, 0)}


def test_replay_counts_a_recurrence_after_done_as_a_new_issue() -> None:
    first, again = alert("a", n=1), alert("b", n=1)
    resolved = replace(first, id="a-resolved", status=AlertStatus.RESOLVED)
    later = replace(again, occurred_at=WHEN + timedelta(days=30))
    stats = planner().replay([first, resolved, later])
    assert stats.decisions["resolve"] == 1
    assert stats.predicted_issues == 2


@pytest.mark.parametrize(
    ("kind", "project", "warnings"),
    [
        ("grouped", "OPS", ()),
        (
            "grouped-infra",
            "INFRA",
            ("group: 'parent' is not on the create screen of INFRA/Task",),
        ),
    ],
)
async def test_plan_of_a_grouped_alert_checks_its_epic(
    kind: str, project: str, warnings: tuple[str, ...], emulated: tuple[Any, JiraProvider]
) -> None:
    _, provider = emulated
    planned = await planner(provider).plan(alert("g-1", kind=kind, policy="pii"))
    assert planned.draft is not None
    assert planned.draft.parent is None  # the epic's issue is known once it is created
    assert planned.route.group == EpicGroup(project, "pii", "pii")
    assert planned.warnings == warnings


def test_replay_counts_one_epic_per_group_key() -> None:
    alerts = [alert(f"g-{n}", kind="grouped", policy=p, n=n) for n, p in enumerate("aabca")]
    stats = planner().replay(alerts)
    assert stats.predicted_issues == 5
    assert stats.as_dict()["predicted_epics"] == 3
