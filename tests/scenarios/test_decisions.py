# ruff: noqa: F811 - the `database` fixture is imported from support.postgres by name
"""Every decision of SPEC §4.3, table-driven: initial Jira state, alerts in, final Jira state.

Runs on SQLite and on a real PostgreSQL, against the fake provider. "Jira moved the issue"
steps transition the issue in the fake Jira and tell the pipeline as sync would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from integration.pipeline.pipeline_harness import Pipeline, alert
from support.postgres import database, postgres_server  # noqa: F401 - fixtures
from ticketbridge.bootstrap import load_config
from ticketbridge.domain import AlertState, DecisionKind, DedupPolicy, Severity
from ticketbridge.providers.base import Provider
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.render import to_text
from ticketbridge.rules import Router
from ticketbridge.services import PipelineSettings, RulesRouter
from ticketbridge.storage import Database

FP = {"fingerprint": "fp-1"}


@dataclass(frozen=True)
class Send:
    payload: dict[str, Any]


@dataclass(frozen=True)
class JiraDone:
    """Jira moves the issue to done with a resolution (as a person would), sync reports it."""

    key: str
    resolution: str = "Done"
    tell: bool = True  # False: a webhook was lost, the pipeline does not know yet


@dataclass(frozen=True)
class Wait:
    days: float


@dataclass(frozen=True)
class IssueState:
    category: str
    resolution: str | None = None
    comments: tuple[str, ...] = ()  # each expected comment contains this text, in order
    links: tuple[tuple[str, str, str], ...] = ()
    summary: str | None = None


@dataclass(frozen=True)
class Row:
    name: str
    steps: tuple[Send | JiraDone | Wait, ...]
    decisions: tuple[DecisionKind, ...]  # of every Send, in order
    issues: dict[str, IssueState]
    final_state: AlertState
    dedup: DedupPolicy = field(default_factory=DedupPolicy)


def send(**overrides: Any) -> Send:
    return Send(alert(**{**FP, **overrides}))


C, R = DecisionKind.CREATE, DecisionKind.REPEAT
ROWS = [
    Row(
        "create",
        (send(id="a1"),),
        (C,),
        {"OPS-1": IssueState("new", summary="[high] Model invented a citation")},
        AlertState.TICKETED,
    ),
    Row(
        "repeat-digest",
        (send(id="a1"), send(id="a2"), send(id="a3")),
        (C, R, R),
        {"OPS-1": IssueState("new", comments=("occurred 3 times",))},
        AlertState.TICKETED,
    ),
    Row(
        "repeat-comment",
        (send(id="a1"), send(id="a2"), send(id="a3")),
        (C, R, R),
        {"OPS-1": IssueState("new", comments=("Occurred again", "Occurred again"))},
        AlertState.TICKETED,
        DedupPolicy(repeat="comment"),
    ),
    Row(
        "repeat-update",
        (send(id="a1"), send(id="a2", title="Model invented two citations")),
        (C, R),
        {"OPS-1": IssueState("new", summary="[high] Model invented two citations")},
        AlertState.TICKETED,
        DedupPolicy(repeat="update"),
    ),
    Row(
        "repeat-none",
        (send(id="a1"), send(id="a2")),
        (C, R),
        {"OPS-1": IssueState("new")},
        AlertState.TICKETED,
        DedupPolicy(repeat="none"),
    ),
    Row(
        "reopen-within-window",
        (send(id="a1"), JiraDone("OPS-1"), Wait(2), send(id="a2")),
        (C, DecisionKind.REOPEN),
        {"OPS-1": IssueState("new", comments=("reopened",))},
        AlertState.TICKETED,
    ),
    Row(
        "new-linked-after-window",
        (send(id="a1"), JiraDone("OPS-1"), Wait(10), send(id="a2")),
        (C, DecisionKind.NEW_LINKED),
        {
            "OPS-1": IssueState("done", "Done", links=(("Relates", "inward", "OPS-2"),)),
            "OPS-2": IssueState("new", links=(("Relates", "outward", "OPS-1"),)),
        },
        AlertState.TICKETED,
    ),
    Row(
        "suppress-false-positive",
        (send(id="a1"), JiraDone("OPS-1", "False Positive"), Wait(10), send(id="a2")),
        (C, DecisionKind.SUPPRESS),
        {"OPS-1": IssueState("done", "False Positive")},
        AlertState.SUPPRESSED,
    ),
    Row(
        "resolve-by-source",
        (send(id="a1"), send(id="a2", status="resolved")),
        (C, DecisionKind.RESOLVE),
        {"OPS-1": IssueState("done", "Done", comments=("reports this alert resolved",))},
        AlertState.RESOLVED,
    ),
    Row(
        "resolve-after-closed-by-hand",
        (
            send(id="a1"),
            JiraDone("OPS-1", "Won't Fix", tell=False),
            send(id="a2", status="resolved"),
        ),
        (C, DecisionKind.RESOLVE),
        {"OPS-1": IssueState("done", "Won't Fix", comments=("reports this alert resolved",))},
        AlertState.ACCEPTED,
    ),
    Row(
        "ignore-below-min-severity",
        (send(id="a1", severity="low"),),
        (DecisionKind.IGNORE,),
        {},
        AlertState.IGNORED,
    ),
    Row(
        "idempotent-same-alert",
        (send(id="a1"), send(id="a1"), send(id="a1")),
        (C, C, C),  # the same answer each time
        {"OPS-1": IssueState("new")},
        AlertState.TICKETED,
    ),
]


async def jira_done(pipe: Pipeline, jira: Provider, step: JiraDone) -> None:
    transitions = await jira.list_transitions(step.key)
    done = next(t for t in transitions if t.to.category == "done")
    await jira.transition(step.key, done.id, resolution=step.resolution)
    if not step.tell:
        return
    await pipe.issue_state.record(
        step.key, status_category="done", resolution=step.resolution, at=pipe.clock()
    )


@dataclass(frozen=True)
class Observed:
    """One issue as Jira holds it at the end, read the same way from every Jira under test."""

    category: str
    resolution: str | None
    comments: tuple[str, ...]
    links: tuple[tuple[str, str, str], ...]
    summary: str


def observe_fake(jira: FakeProvider) -> dict[str, Observed]:
    return {
        key: Observed(
            issue.status.category,
            issue.resolution,
            tuple(to_text(c.body) for c in issue.comments),
            tuple(issue.links),
            issue.summary,
        )
        for key, issue in jira.issues.items()
    }


async def run_row(row: Row, pipe: Pipeline, jira: Provider) -> list[DecisionKind]:
    decisions = []
    for step in row.steps:
        if isinstance(step, Send):
            [result] = await pipe.send(step.payload)
            decisions.append(result.decision)
            await pipe.drain()
        elif isinstance(step, JiraDone):
            await jira_done(pipe, jira, step)
        else:
            pipe.clock.advance(days=step.days)
    return decisions


async def assert_row(
    row: Row, decisions: list[DecisionKind], observed: dict[str, Observed], pipe: Pipeline
) -> None:
    assert tuple(decisions) == row.decisions
    assert sorted(observed) == sorted(row.issues)
    for key, expected in row.issues.items():
        issue = observed[key]
        assert issue.category == expected.category, key
        assert issue.resolution == expected.resolution, key
        assert len(issue.comments) == len(expected.comments), issue.comments
        for text, part in zip(issue.comments, expected.comments, strict=True):
            assert part in text
        assert issue.links == expected.links
        if expected.summary:
            assert issue.summary == expected.summary
    last = next(s for s in reversed(row.steps) if isinstance(s, Send))
    view = await pipe.alert(last.payload["id"])
    assert view.state is row.final_state
    assert view.reasons


def settings_for(row: Row) -> PipelineSettings:
    return PipelineSettings(dedup=row.dedup, digest_interval=timedelta(seconds=0))


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
async def test_decision(row: Row, database: Database) -> None:
    jira = FakeProvider()
    pipe = Pipeline(database, jira, settings_for(row))
    decisions = await run_row(row, pipe, jira)
    await assert_row(row, decisions, observe_fake(jira), pipe)


async def test_created_issue_carries_priority_due_labels_and_marker(database: Database) -> None:
    jira = FakeProvider()
    settings = PipelineSettings(labels=("ai-governance",), project="AIGOV")
    pipe = Pipeline(database, jira, settings)
    await pipe.send(alert(id="a1", severity="critical", occurred_at="2026-03-01T10:00:00Z", **FP))
    await pipe.drain()
    [issue] = jira.issues.values()
    assert issue.key == "AIGOV-1"
    assert issue.priority == settings.priorities[Severity.CRITICAL] == "Highest"
    assert str(issue.due_date) == "2026-03-02"  # critical: 1d from occurred_at
    assert "ai-governance" in issue.labels
    assert any(label.startswith("tb-") for label in issue.labels)
    assert issue.properties["ticketbridge"]["fingerprint"] == "fp-1"
    view = await pipe.alert("a1")
    assert view.ticket_key == "AIGOV-1"
    assert view.ticket_url is not None
    assert view.ticket_url.endswith("/browse/AIGOV-1")


CONFIG = """
defaults:
  project: OPS
  labels: [ai-governance]
  min_severity: medium
  dedup: {repeat: comment, recur_after_done: reopen, reopen_within: 7d}
routes:
  - name: aws-controls
    when: 'kind == "control_failure" && attributes.control_id.startsWith("AWS_")'
    project: INFRA
    min_severity: low
  - name: muted-controls
    when: 'attributes.control_id in ["SOC2_MUTED"]'
    action: ignore
"""


def control(control_id: str, alert_id: str, severity: str = "low", **more: Any) -> dict[str, Any]:
    return alert(
        id=alert_id,
        source="compliance",
        kind="control_failure",
        title=f"{control_id} failed",
        severity=severity,
        attributes={"control_id": control_id, "framework": "SOC2"},
        **more,
    )


async def test_config_and_rules_drive_routing_and_decisions(database: Database) -> None:
    config = load_config(text=CONFIG, env={})
    settings = PipelineSettings.from_config(config)
    jira = FakeProvider()
    pipe = Pipeline(database, jira, settings, router=RulesRouter(Router(config)))
    results = await pipe.send(
        control("AWS_S3_PUBLIC", "c1"),  # low, but its route's min_severity is low → INFRA
        control("SOC2_MUTED", "c2", severity="critical"),  # route says ignore
        control("CC6.1", "c3"),  # low, defaults' min_severity medium → ignored
        control("AWS_S3_PUBLIC", "c4"),  # repeat → a comment (dedup.repeat: comment)
    )
    await pipe.drain()
    assert [r.decision for r in results] == [C, DecisionKind.IGNORE, DecisionKind.IGNORE, R]
    assert "action ignore from route 'muted-controls'" in results[1].reasons
    assert any("below min_severity medium" in reason for reason in results[2].reasons)
    assert list(jira.issues) == ["INFRA-1"]
    issue = jira.issues["INFRA-1"]
    assert "ai-governance" in issue.labels
    assert [to_text(c.body).split(":")[0] for c in issue.comments] == ["Occurred again"]
    resolved = await pipe.send(control("AWS_S3_PUBLIC", "c5", status="resolved", severity="info"))
    await pipe.drain()
    assert resolved[0].decision is DecisionKind.RESOLVE  # a pass reaches the ticket
    assert issue.status.category == "done"


async def test_one_batch_decides_in_order(database: Database) -> None:
    """Several alerts of one fingerprint in one batch: each decided on what came before it."""
    jira = FakeProvider()
    pipe = Pipeline(database, jira, PipelineSettings(digest_interval=timedelta(0)))
    results = await pipe.send(
        alert(id="b1", **FP),
        alert(id="b2", **FP),
        alert(id="b2", **FP),  # the same alert twice in one batch: one answer, no change
        alert(id="b3", status="resolved", **FP),
        alert(id="b4", **FP),
    )
    assert [(r.decision, r.duplicate) for r in results] == [
        (C, False),
        (R, False),
        (R, True),
        (DecisionKind.RESOLVE, False),
        (DecisionKind.REOPEN, False),
    ]
    await pipe.drain()
    [issue] = jira.issues.values()
    assert issue.status.category == "new"  # resolved, then reopened by b4
    texts = [to_text(c.body) for c in issue.comments]
    assert any("occurred 3 times" in t for t in texts)  # the digest tells the count it runs at
    assert any("reports this alert resolved" in t for t in texts)
    assert any("reopened" in t for t in texts)
    [ticket] = await pipe.queries.tickets()
    assert ticket.occurrences == 3  # b1, b2, b4 (a resolve is not an occurrence)
