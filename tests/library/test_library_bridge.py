"""The async `Bridge` against the in-process emulator: exactly once under concurrency and after a
dropped create, rules, and what happens to bad input. End state is read from `emu.state`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from jira_emulator import Emulator
from ticketbridge.config import load_settings
from ticketbridge.errors import ConfigError, FieldErrors, InputError, PermanentError
from ticketbridge.library import Bridge, JiraTemplate
from ticketbridge.services import WorkerSettings

ALERT = {"id": "a-1", "title": "Prompt injection", "severity": "high", "count": 1}


@pytest.fixture
def emu() -> Emulator:
    return Emulator(flavor="cloud")


@pytest.fixture
async def bridge(emu: Emulator, tmp_path: Path) -> AsyncIterator[Bridge]:
    opened = Bridge.connect(
        cloud_url="http://jira.test",
        email="admin@example.com",
        api_token="emulator-token",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/store.db",
        transport=emu.transport(),
    )
    async with opened:
        yield opened


def summaries(emu: Emulator) -> dict[str, str]:
    return {issue.key: issue.fields["summary"] for issue in emu.state.issues.values()}


def issue_type(emu: Emulator, key: str) -> str:
    issue = next(i for i in emu.state.issues.values() if i.key == key)
    return emu.state.issue_types[str(issue.fields["issuetype"])].name


async def test_concurrent_syncs_of_one_alert_make_one_issue(bridge: Bridge, emu: Emulator) -> None:
    found = await asyncio.gather(
        *(bridge.sync_alert({**ALERT, "count": n}, "OPS", "Task") for n in range(1, 6))
    )

    assert {issue.key for issue in found if issue is not None} == {"OPS-1"}
    assert list(summaries(emu)) == ["OPS-1"]


async def test_a_dropped_create_is_found_by_its_marker_not_repeated(
    emu: Emulator, tmp_path: Path
) -> None:
    emu.faults.add(method="POST", path="/rest/api/3/issue", kind="drop_after_commit", count=1)
    bridge = Bridge(
        Bridge.connect(
            cloud_url="http://jira.test", email="admin@example.com", api_token="emulator-token"
        ).jira,
        settings=load_settings(
            {"TICKETBRIDGE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/s.db"}
        ),
        transport=emu.transport(),
        worker=WorkerSettings(settle_delay=WorkerSettings().settle_delay * 0),
    )
    async with bridge:
        issue = await bridge.sync_alert(ALERT, "OPS", "Task")

    assert issue is not None
    assert issue.key == "OPS-1"
    assert list(summaries(emu)) == ["OPS-1"]


async def test_ingest_many_through_the_pipeline(bridge: Bridge, emu: Emulator) -> None:
    alerts = bridge.parse([{"title": f"alert {n}", "severity": "high"} for n in range(3)])
    results = await bridge.ingest(alerts, project_key="SEC", issue_type="Bug")
    again = await bridge.ingest(alerts, project_key="SEC", issue_type="Bug")

    assert [r.ticket_key for r in results] == ["SEC-1", "SEC-2", "SEC-3"]
    assert [r.duplicate for r in again] == [True, True, True]
    assert [r.ticket_key for r in again] == ["SEC-1", "SEC-2", "SEC-3"]
    assert {issue_type(emu, key) for key in summaries(emu)} == {"Bug"}


async def test_an_ignore_rule_makes_no_issue(bridge: Bridge, emu: Emulator) -> None:
    bridge.configure_rule("drop tests", 'title.startsWith("test")', {"type": "ignore"})

    ignored = await bridge.create_issue_from_alert({"title": "test alert"}, "OPS")
    kept = await bridge.create_issue_from_alert({"title": "real alert"}, "OPS")

    assert ignored is None
    assert kept is not None
    assert list(summaries(emu).values()) == ["[medium] real alert"]


async def test_a_refused_create_raises_the_reason(bridge: Bridge, emu: Emulator) -> None:
    with pytest.raises(PermanentError, match="NOPE"):
        await bridge.sync_alert(ALERT, "NOPE", "Task")
    with pytest.raises(FieldErrors):
        await bridge.create_issue("NOPE", "Task", {"summary": "x"})
    assert summaries(emu) == {}


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda b: b.create_issue("OPS", "Task", {"description": "no summary"}), "fields.summary"),
        (lambda b: b.create_issue("OPS", "Task", {"summary": "s", "labels": "a"}), "fields.labels"),
        (
            lambda b: b.create_issue("OPS", "Task", {"summary": "s", "assignee": {"x": 1}}),
            "fields.assignee",
        ),
        (
            lambda b: b.create_issue("OPS", "Task", {"summary": "s", "duedate": "soon"}),
            "fields.duedate",
        ),
        (lambda b: b.sync_alert({"severity": "high"}, "OPS"), "title"),
        (lambda b: b.sync_alert({"title": "t", "confidence": 7}, "OPS"), "confidence"),
    ],
)
async def test_bad_input_names_the_field(
    bridge: Bridge, emu: Emulator, call: Any, path: str
) -> None:
    with pytest.raises(InputError) as refused:
        await call(bridge)

    assert any(path in problem.path for problem in refused.value.problems)
    assert summaries(emu) == {}


@pytest.mark.parametrize(
    ("trigger", "action", "path"),
    [
        ("confidence <", {"type": "create_jira_issue"}, "routes"),
        ("true", {"type": "page_someone"}, "action.type"),
        ("true", {"type": "create_jira_issue", "colour": "red"}, "action.colour"),
    ],
)
async def test_bad_rules_are_refused_naming_the_part(
    bridge: Bridge, trigger: str, action: dict[str, Any], path: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        bridge.configure_rule("bad", trigger, action)

    assert any(path in problem.path for problem in refused.value.problems), refused.value


async def test_an_alert_its_template_fails_for_still_gets_its_issue(
    bridge: Bridge, emu: Emulator
) -> None:
    """Issue 11, item 3, for library templates: the alert's data (no `evidence_id`) must not
    cost the ticket; the default issue says which template failed."""
    JiraTemplate(
        name="evidence",
        summary="Evidence {{ alert.attributes.evidence_id }}",
        description="Evidence: {{ alert.attributes.evidence_id }}",
    )
    bridge.configure_rule(
        "templated", "true", {"type": "create_jira_issue", "template": "evidence"}
    )

    issue = await bridge.sync_alert(ALERT, "OPS", "Task")

    assert issue is not None
    assert summaries(emu) == {issue.key: "[high] Prompt injection"}
    description = str(emu.issue(issue.key).fields["description"])
    assert "the template 'evidence' failed for this alert" in description


async def test_a_missing_template_is_named_when_an_alert_would_use_it(
    bridge: Bridge, emu: Emulator
) -> None:
    """Issue 13: the rule may come before its template (seed 000's order); an alert sent while
    it is still missing fails at once, naming the template (never "Jira refused the issue"),
    and leaves nothing queued: once defined, the same alert gets its issue."""
    bridge.configure_rule(
        "templated", "true", {"type": "create_jira_issue", "template": "defined_later"}
    )

    with pytest.raises(ConfigError) as missing:
        await bridge.sync_alert(ALERT, "OPS", "Task")
    assert "template 'defined_later' is not defined" in str(missing.value.problems[0])
    assert "refused" not in str(missing.value)
    assert summaries(emu) == {}

    JiraTemplate(name="defined later", summary="Later: {{ alert.title }}")
    issue = await bridge.sync_alert(ALERT, "OPS", "Task")
    assert issue is not None
    assert summaries(emu) == {issue.key: "Later: Prompt injection"}
