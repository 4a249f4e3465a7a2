"""Contract: creating, reading and editing issues behaves alike on every provider."""

from __future__ import annotations

from datetime import date

import pytest
from contract_harness import Harness

from ticketbridge.errors import FieldErrors, NotFound
from ticketbridge.providers.base import IssueDraft, IssueUpdate, Marker
from ticketbridge.render.document import Document


def draft(summary: str = "Model drift on scoring-v3", **kw: object) -> IssueDraft:
    base: dict[str, object] = {"project": "OPS", "issue_type": "Task", "summary": summary}
    base.update(kw)
    return IssueDraft(**base)  # type: ignore[arg-type]


async def test_create_then_get_returns_what_was_sent(harness: Harness) -> None:
    p = harness.provider
    ref = await p.create_issue(
        draft(
            description=Document.plain("Drift detected"),
            priority="High",
            labels=("ai-governance", "drift"),
            due_date=date(2030, 1, 31),
            marker=Marker("fp-1"),
        )
    )
    assert ref.key.startswith("OPS-")
    assert ref.url.endswith(f"/browse/{ref.key}")
    issue = await p.get_issue(ref.key)
    assert (issue.id, issue.key, issue.project, issue.issue_type) == (
        ref.id,
        ref.key,
        "OPS",
        "Task",
    )
    assert issue.summary == "Model drift on scoring-v3"
    assert issue.priority == "High"
    assert set(issue.labels) == {"ai-governance", "drift", Marker("fp-1").label}
    assert issue.status.category == "new"
    assert issue.resolution is None
    assert issue.due_date == date(2030, 1, 31)


async def test_keys_count_up_per_project(harness: Harness) -> None:
    first = await harness.provider.create_issue(draft("one"))
    second = await harness.provider.create_issue(draft("two"))
    assert int(second.key.split("-")[1]) == int(first.key.split("-")[1]) + 1


async def test_summary_longer_than_255_is_truncated_visibly(harness: Harness) -> None:
    ref = await harness.provider.create_issue(draft("x" * 400))
    summary = (await harness.provider.get_issue(ref.key)).summary
    assert len(summary) <= 255
    assert summary.startswith("x" * 200)


async def test_unknown_project_is_a_field_error_naming_the_field(harness: Harness) -> None:
    with pytest.raises(FieldErrors) as caught:
        await harness.provider.create_issue(draft(project="NOPE"))
    assert "project" in caught.value.fields
    assert harness.issue_count() == 0


async def test_get_missing_issue_is_not_found(harness: Harness) -> None:
    with pytest.raises(NotFound):
        await harness.provider.get_issue("OPS-99999")


UPDATES = [
    # (initial labels, add, remove, expected)
    (("a", "b"), ("c",), (), {"a", "b", "c"}),
    (("a", "b"), (), ("a",), {"b"}),
    (("a",), ("b",), ("a",), {"b"}),
    (("a",), ("a",), (), {"a"}),
]


@pytest.mark.parametrize(("initial", "add", "remove", "expected"), UPDATES)
async def test_update_adds_and_removes_labels(
    harness: Harness,
    initial: tuple[str, ...],
    add: tuple[str, ...],
    remove: tuple[str, ...],
    expected: set[str],
) -> None:
    ref = await harness.provider.create_issue(draft(labels=initial))
    await harness.provider.update_issue(ref.key, IssueUpdate(add_labels=add, remove_labels=remove))
    assert set((await harness.provider.get_issue(ref.key)).labels) == expected


async def test_update_summary_and_priority(harness: Harness) -> None:
    ref = await harness.provider.create_issue(draft())
    await harness.provider.update_issue(
        ref.key, IssueUpdate(summary="Renamed", priority="Low", description=Document.plain("x"))
    )
    issue = await harness.provider.get_issue(ref.key)
    assert (issue.summary, issue.priority) == ("Renamed", "Low")


async def test_assignee_by_email_and_unknown_user_left_unassigned(harness: Harness) -> None:
    p = harness.provider
    known = await p.create_issue(draft(assignee="alice@example.com"))
    unknown = await p.create_issue(draft(assignee="nobody@nowhere.invalid"))
    assignee = (await p.get_issue(known.key)).assignee
    assert assignee is not None
    assert assignee.email == "alice@example.com"
    assert (await p.get_issue(unknown.key)).assignee is None


async def test_bulk_create_maps_failures_back_to_input_positions(harness: Harness) -> None:
    drafts = [draft("ok-0"), draft("bad", project="NOPE"), draft("ok-2"), draft("")]
    result = await harness.provider.create_issues(drafts)
    assert sorted(result.created) == [0, 2]
    assert sorted(result.failed) == [1, 3]
    assert all(isinstance(e, FieldErrors) for e in result.failed.values())
    summaries = {(await harness.provider.get_issue(r.key)).summary for r in result.created.values()}
    assert summaries == {"ok-0", "ok-2"}
    assert harness.issue_count() == 2


async def test_bulk_create_of_more_than_50_keeps_positions(harness: Harness) -> None:
    drafts = [draft(f"n{n}") for n in range(120)]
    drafts[77] = draft("bad", project="NOPE")
    result = await harness.provider.create_issues(drafts)
    assert sorted(result.failed) == [77]
    assert sorted(result.created) == [n for n in range(120) if n != 77]
    for pos in (0, 49, 50, 76, 78, 119):
        issue = await harness.provider.get_issue(result.created[pos].key)
        assert issue.summary == f"n{pos}"
    assert harness.issue_count() == 119


async def test_update_drops_unknown_fields_and_applies_the_rest(harness: Harness) -> None:
    ref = await harness.provider.create_issue(draft())
    await harness.provider.update_issue(
        ref.key, IssueUpdate(fields={"No Such Field": "x", "Escalation ID": "ESC-9"})
    )
    issue = await harness.provider.get_issue(ref.key)
    assert issue.fields["customfield_10010"] == "ESC-9"
