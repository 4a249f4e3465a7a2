"""Seed 004 (Kushim compliance) as its document tells it, with examples/compliance.yaml:
a control FAILs → one ticket with the seed's summary; it FAILs again → the occurrence digest on
the same issue; it PASSes → a comment on it ("PASS → Comment on COMP-142"), and the transition
to done when `on_source_resolved.transition` is on. On SQLite and PostgreSQL.

The defects issue 13 found in the example, each asserted here: the fingerprint override with
`kind` (a PASS never reached its FAIL's ticket), the doubled summary, and a failure without an
`evidenceId` (its template must not cost the ticket).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from journey_harness import FIXTURES, Journey, example, jira_seed, journey

from ticketbridge.domain import DecisionKind
from ticketbridge.storage import Database

ENV = {"COMPLIANCE_TOKEN": "s"}
SEED = jira_seed("compliance")  # examples/jira-seeds/compliance.yaml, as the README gives it
SUMMARY = "[AWS_IAM_MFA] IAM MFA Enforcement - Compliance Failure"


def fixture(name: str, **changes: Any) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / "compliance" / f"{name}.json").read_text())
    return {**loaded, **changes}


async def fail_fail_pass(trip: Journey) -> str:
    trip.at(datetime(2026, 3, 2, 6, 1, tzinfo=UTC))
    [first] = await trip.send("compliance", fixture("aws-iam-mfa-fail"))
    assert first.decision is DecisionKind.CREATE, first.reasons
    key = first.ticket_key
    assert key is not None
    assert trip.issue(key).fields["summary"] == SUMMARY  # the seed's, not doubled

    trip.at(datetime(2026, 3, 3, 6, 1, tzinfo=UTC))
    again = fixture("aws-iam-mfa-fail", checkRunId="run_2026_03_02_1800")
    [repeat] = await trip.send("compliance", {**again, "timestamp": "2026-03-02T18:00:10Z"})
    assert repeat.decision is DecisionKind.REPEAT, repeat.reasons
    assert repeat.ticket_key == key
    [digest] = trip.comments(key)
    assert "this alert has occurred 2 times" in digest

    trip.at(datetime(2026, 3, 4, 6, 1, tzinfo=UTC))
    [passed] = await trip.send("compliance", fixture("aws-iam-mfa-pass"))
    assert passed.decision is DecisionKind.RESOLVE, passed.reasons  # same control, same ticket
    assert len(trip.emu.state.issues) == 1
    assert "The source reports this alert resolved" in trip.comments(key)[-1]
    return key


async def test_fail_fail_pass_comments_on_the_controls_issue(database: Database) -> None:
    async with journey(database, example("compliance.yaml"), jira_seed=SEED, env=ENV) as trip:
        key = await fail_fail_pass(trip)
        assert trip.status(key) == ("new", None)  # the example: comment only, as the seed does


async def test_with_the_transition_on_the_pass_closes_it(database: Database) -> None:
    config = example("compliance.yaml").replace(
        "on_source_resolved: {comment: true, transition: false}",
        "on_source_resolved: {comment: true, transition: true}",
    )
    async with journey(database, config, jira_seed=SEED, env=ENV) as trip:
        key = await fail_fail_pass(trip)
        assert trip.status(key) == ("done", "Done")


async def test_a_failure_without_evidence_still_gets_its_issue(database: Database) -> None:
    bare = fixture("aws-iam-mfa-fail", controlId="GITHUB_BRANCH_PROTECTION")
    del bare["evidenceId"], bare["evidenceUrl"]
    async with journey(database, example("compliance.yaml"), jira_seed=SEED, env=ENV) as trip:
        [result] = await trip.send("compliance", bare)
        assert result.ticket_key is not None, result
        text = trip.description(result.ticket_key)
        assert "Evidence ID: n/a" in text or "Evidence ID:* n/a" in text, text
        assert "failed for this alert" not in text
