"""Issue 13: a source's fingerprint setting changed while it has open tickets. Start-up (and
`config check`) see it, and `tickets refingerprint` moves the open tickets to their new keys,
so the next alert of each folds into its issue instead of forking it — on SQLite and
PostgreSQL. The Kushim flow of the old examples/compliance.yaml: its override put the kind into
the key, so a PASS never reached its FAIL ticket; the override removed, the ticket follows."""

from __future__ import annotations

from typing import Any

import pytest
from pipeline_harness import Pipeline

from ticketbridge.domain import DecisionKind
from ticketbridge.errors import InputError
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.services.fingerprints import Drift, FingerprintSettings, effective_fields
from ticketbridge.sources import SOURCES
from ticketbridge.storage import Database

WITH_KIND = """
sources:
  compliance: {allow_unauthenticated: true, fingerprint: [kind, attributes.control_id]}
"""
DEFAULT = """
sources:
  compliance: {allow_unauthenticated: true}
"""
NOW_FIELDS = ("source", "attributes.framework", "attributes.control_id")


def check(control: str, result: str, run: str) -> dict[str, Any]:
    failing = result == "FAIL"
    return {
        "id": f"{run}-{control}",
        "source": "compliance",
        "kind": "control_failure" if failing else "control_pass",
        "status": "firing" if failing else "resolved",
        "title": f"[{control}] Compliance Failure",
        "severity": "high",
        "attributes": {"framework": "SOC2", "control_id": control, "result": result},
    }


def fingerprints(pipe: Pipeline) -> FingerprintSettings:
    fields = effective_fields(sorted(SOURCES), pipe.settings.fingerprint_fields)
    return FingerprintSettings(pipe.db.unit_of_work, fields, pipe.clock)


async def opened_under_the_old_setting(database: Database, jira: FakeProvider) -> Pipeline:
    before = Pipeline(database, jira, WITH_KIND)
    assert await fingerprints(before).drift(record=True) == []  # start-up records the fields
    await before.send(check("AWS_IAM_MFA", "FAIL", "run1"), check("AWS_S3_LOGGING", "FAIL", "run1"))
    await before.drain()
    assert len(jira.issues) == 2
    return Pipeline(database, jira, DEFAULT, clock=before.clock)


async def test_a_changed_setting_is_seen_and_refingerprint_keeps_the_tickets(
    database: Database,
) -> None:
    jira = FakeProvider()
    after = await opened_under_the_old_setting(database, jira)
    settings = fingerprints(after)

    drift = await settings.drift(record=True)
    assert drift == [Drift("compliance", ("kind", "attributes.control_id"), NOW_FIELDS, 2)]
    assert "tickets refingerprint --source compliance" in drift[0].message
    assert await settings.drift(record=True) == drift  # still open: never adopted in silence

    [dry] = await settings.refingerprint("compliance", dry_run=True)
    assert len(dry.moved) == 2
    assert await settings.drift(record=False) == drift  # a dry run changes nothing

    [report] = await settings.refingerprint()
    assert sorted(m.issue_key for m in report.moved) == sorted(jira.issues)
    assert report.skipped == []
    assert await settings.drift(record=True) == []

    [again] = await after.send(check("AWS_IAM_MFA", "FAIL", "run2"))
    [passed] = await after.send(check("AWS_S3_LOGGING", "PASS", "run2"))
    assert again.decision is DecisionKind.REPEAT, again.reasons
    assert passed.decision is DecisionKind.RESOLVE, passed.reasons
    await after.drain()
    assert len(jira.issues) == 2  # nothing forked
    closed = (await after.alert("run1-AWS_S3_LOGGING")).ticket_key
    assert closed is not None
    assert jira.issues[closed].status.category == "done"


async def test_a_ticket_forked_before_the_migration_is_left_and_named(
    database: Database,
) -> None:
    jira = FakeProvider()
    after = await opened_under_the_old_setting(database, jira)
    await after.send(check("AWS_IAM_MFA", "FAIL", "run2"))  # forked: a second issue
    await after.drain()
    assert len(jira.issues) == 3

    [report] = await fingerprints(after).refingerprint("compliance")

    assert [m.old.startswith("compliance:") for m in report.moved] == [True]  # S3 moved
    [skipped] = report.skipped
    assert "has a ticket of its own" in skipped.why
    assert skipped.issue_key == (await after.alert("run1-AWS_IAM_MFA")).ticket_key


async def test_an_unknown_source_is_refused_by_name(database: Database) -> None:
    pipe = Pipeline(database, FakeProvider(), DEFAULT)
    with pytest.raises(InputError) as refused:
        await fingerprints(pipe).refingerprint("kushim")
    assert refused.value.problems[0].path == "source"
