"""The fake's test controls: injected failures, lost create responses, index lag."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ticketbridge.errors import FieldErrors, OutcomeUnknown, RateLimited
from ticketbridge.providers.base import IssueDraft, Marker
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.render.document import Document


def _draft(fp: str = "fp") -> IssueDraft:
    return IssueDraft("OPS", "Task", "s", marker=Marker(fp))


async def test_fail_next_raises_once_then_works() -> None:
    fake = FakeProvider()
    fake.fail_next("create_issue", RateLimited("slow down", retry_after=2.0))
    with pytest.raises(RateLimited):
        await fake.create_issue(_draft())
    assert fake.issues == {}
    await fake.create_issue(_draft())
    assert list(fake.issues) == ["OPS-1"]


async def test_dropped_create_commits_and_is_findable_by_marker() -> None:
    fake = FakeProvider()
    fake.drop_next_create()
    with pytest.raises(OutcomeUnknown):
        await fake.create_issue(_draft("fp-x"))
    assert list(fake.issues) == ["OPS-1"]
    found = await fake.find_by_markers([Marker("fp-x")])
    assert [r.key for r in found[Marker("fp-x")]] == ["OPS-1"]
    assert fake.issues["OPS-1"].properties["ticketbridge"]["fingerprint"] == "fp-x"


async def test_index_lag_hides_new_issues_until_it_passes() -> None:
    now = [0.0]
    fake = FakeProvider(search_lag=5.0, clock=lambda: now[0])
    ref = await fake.create_issue(_draft("fp-lag"))
    assert await fake.find_by_markers([Marker("fp-lag")]) == {Marker("fp-lag"): ()}
    now[0] = 5.0
    found = await fake.find_by_markers([Marker("fp-lag")])
    assert [r.key for r in found[Marker("fp-lag")]] == [ref.key]


async def test_comment_bodies_keep_the_document() -> None:
    fake = FakeProvider()
    ref = await fake.create_issue(_draft())
    await fake.add_comment(ref.key, Document.plain("hello\n\nworld"))
    assert fake.issues[ref.key].comments[0].body == Document.plain("hello\n\nworld")


async def test_bulk_drop_after_commit_stores_all() -> None:
    fake = FakeProvider()
    fake.drop_next_create()
    result = await fake.create_issues([_draft("a"), _draft("b")])
    assert result.created == {}
    assert all(isinstance(e, OutcomeUnknown) for e in result.failed.values())
    assert sorted(result.failed) == [0, 1]
    assert sorted(fake.issues) == ["OPS-1", "OPS-2"]


async def test_a_marker_needs_labels_on_the_create_screen() -> None:
    fake = FakeProvider()
    fake.hide_field("OPS", "Task", "labels")
    with pytest.raises(FieldErrors):
        await fake.create_issue(_draft())
    assert fake.issues == {}


async def test_issues_and_comments_are_stamped_by_the_fakes_clock() -> None:
    moments = iter(datetime(2031, 5, 1, hour, tzinfo=UTC) for hour in range(9, 24))
    fake = FakeProvider(now=lambda: next(moments))
    ref = await fake.create_issue(_draft())
    comment = await fake.add_comment(ref.key, Document.plain("seen again"))
    issue = fake.issues[ref.key]
    assert issue.created == datetime(2031, 5, 1, 9, tzinfo=UTC)
    assert comment.created == datetime(2031, 5, 1, 10, tzinfo=UTC)
    assert issue.updated == datetime(2031, 5, 1, 10, tzinfo=UTC)
