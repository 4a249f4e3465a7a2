"""Contract: a create whose answer is lost is OutcomeUnknown, happened once, and is findable."""

from __future__ import annotations

import pytest
from contract_harness import Harness

from ticketbridge.errors import OutcomeUnknown
from ticketbridge.providers.base import IssueDraft, Marker


async def test_lost_create_is_outcome_unknown_and_findable_by_marker(harness: Harness) -> None:
    p = harness.provider
    await p.create_meta("OPS", "Task")  # metadata is read before the create goes out
    harness.drop_next_create()
    marker = Marker("fp-lost")
    with pytest.raises(OutcomeUnknown):
        await p.create_issue(IssueDraft("OPS", "Task", "lost answer", marker=marker))
    assert harness.issue_count() == 1
    harness.end_lag()
    found = (await p.find_by_markers([marker]))[marker]
    assert len(found) == 1
    assert Marker("fp-lost").label in (await p.get_issue(found[0].key)).labels


async def test_lost_bulk_create_makes_each_position_outcome_unknown(harness: Harness) -> None:
    p = harness.provider
    await p.create_meta("OPS", "Task")
    harness.drop_next_create()
    drafts = [IssueDraft("OPS", "Task", f"bulk {n}", marker=Marker(f"fp-b{n}")) for n in range(3)]
    result = await p.create_issues(drafts)
    assert result.created == {}
    assert sorted(result.failed) == [0, 1, 2]
    assert all(isinstance(e, OutcomeUnknown) for e in result.failed.values())
    assert harness.issue_count() == 3
    harness.end_lag()
    found = await p.find_by_markers([Marker(f"fp-b{n}") for n in range(3)])
    assert [len(refs) for refs in found.values()] == [1, 1, 1]
