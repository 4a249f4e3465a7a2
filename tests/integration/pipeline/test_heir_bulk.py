"""Creates whose outcome is unknown are taken over together (bench/RESULTS.md: one request
each spent the rate limit's budget after every killed worker): once settled, each marker is
looked up, the issues found are linked and the rest go to Jira in one bulk request. Jira's state
is the fake provider's; the end state is its issues, its calls and the outbox."""

from __future__ import annotations

from collections import Counter

from pipeline_harness import Pipeline, alert

from ticketbridge.domain import AlertState, JobState
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.storage import Database

FINGERPRINTS = [f"fp-{n}" for n in range(5)]


async def _lost_bulk(database: Database) -> tuple[FakeProvider, Pipeline]:
    """Five alerts, their bulk create stored in Jira and its answer lost."""
    jira = FakeProvider()
    pipe = Pipeline(database, jira)
    await pipe.send(*(alert(id=f"a-{fp}", fingerprint=fp) for fp in FINGERPRINTS))
    jira.drop_next_create()
    await pipe.dispatchers[0].run_until_idle()
    return jira, pipe


async def test_lost_bulk_answers_are_recovered_with_one_bulk_for_the_missing(
    database: Database,
) -> None:
    jira, pipe = await _lost_bulk(database)
    assert len(jira.issues) == len(FINGERPRINTS)
    for key in sorted(jira.issues)[:3]:  # three of them never made it after all
        del jira.issues[key]

    await pipe.drain()

    labels = Counter(
        label for i in jira.issues.values() for label in i.labels if label.startswith("tb-")
    )
    assert len(labels) == len(FINGERPRINTS)  # every alert has its issue …
    assert set(labels.values()) == {1}  # … once
    assert jira.calls.get("create_issues") == 2  # the lost bulk, then one for the three
    assert jira.calls.get("create_issue", 0) == 0  # none one by one
    assert jira.calls.get("find_by_markers") == 1  # one search for the five
    counts = await pipe.admin.counts()
    assert counts[JobState.DONE] == len(FINGERPRINTS)
    for fp in FINGERPRINTS:
        assert (await pipe.alert(f"a-{fp}")).state is AlertState.TICKETED


async def test_an_unsettled_create_is_not_looked_up_before_its_settle_delay(
    database: Database,
) -> None:
    jira, pipe = await _lost_bulk(database)
    pipe.clock.advance(seconds=pipe.worker.settle_delay.total_seconds() - 1)
    await pipe.dispatchers[0].run_until_idle()
    assert jira.calls.get("find_by_markers", 0) == 0  # a create could still be landing
    pipe.clock.advance(seconds=1)
    await pipe.dispatchers[0].run_until_idle()
    assert jira.calls.get("find_by_markers") == 1
    assert jira.calls.get("create_issues") == 1  # all were there: nothing created again
    assert len(jira.issues) == len(FINGERPRINTS)
