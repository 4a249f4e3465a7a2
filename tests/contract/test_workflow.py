"""Contract: comments, transitions, links, markers, search, metadata and field shaping."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest
import structlog
from contract_harness import Harness

from ticketbridge.errors import FieldErrors
from ticketbridge.providers.base import IssueDraft, Marker
from ticketbridge.render.document import Document


def draft(summary: str = "Alert", project: str = "OPS", **kw: Any) -> IssueDraft:
    return IssueDraft(project=project, issue_type="Task", summary=summary, **kw)


async def test_comment_add_then_edit_in_place(harness: Harness) -> None:
    p = harness.provider
    ref = await p.create_issue(draft())
    added = await p.add_comment(ref.key, Document.plain("seen 1 time"))
    assert "seen 1 time" in added.body_text
    edited = await p.edit_comment(ref.key, added.id, Document.plain("seen 2 times"))
    assert edited.id == added.id
    assert "seen 2 times" in edited.body_text
    assert [c.strip() for c in harness.comments(ref.key)] == ["seen 2 times"]


async def test_transition_can_carry_a_comment(harness: Harness) -> None:
    ref = await harness.provider.create_issue(draft())
    await _transition_to(harness, ref.key, "done", comment=Document.plain("Resolved upstream"))
    assert [c.strip() for c in harness.comments(ref.key)] == ["Resolved upstream"]


async def _transition_to(harness: Harness, key: str, category: str, **kw: Any) -> None:
    options = await harness.provider.list_transitions(key)
    chosen = next(t for t in options if t.to.category == category)
    await harness.provider.transition(key, chosen.id, **kw)


async def test_transition_to_done_sets_resolution_and_reopen_clears_it(harness: Harness) -> None:
    p = harness.provider
    ref = await p.create_issue(draft())
    await _transition_to(harness, ref.key, "done", resolution="False Positive")
    done = await p.get_issue(ref.key)
    assert (done.status.category, done.resolution) == ("done", "False Positive")
    await _transition_to(harness, ref.key, "new")
    reopened = await p.get_issue(ref.key)
    assert (reopened.status.category, reopened.resolution) == ("new", None)


async def test_invalid_transition_is_refused(harness: Harness) -> None:
    ref = await harness.provider.create_issue(draft())
    with pytest.raises(FieldErrors):
        await harness.provider.transition(ref.key, "999999")


async def test_link_issues(harness: Harness) -> None:
    p = harness.provider
    old, new = await p.create_issue(draft("old")), await p.create_issue(draft("new"))
    await p.link_issues("Relates", new.key, old.key)
    assert harness.links() == {("Relates", new.key, old.key)}


async def test_remote_link_is_upserted_by_url(harness: Harness) -> None:
    p = harness.provider
    ref = await p.create_issue(draft())
    await p.add_remote_link(ref.key, "https://alerts.example.com/a/1", "Alert 1")
    await p.add_remote_link(ref.key, "https://alerts.example.com/a/1", "Alert 1 (again)")
    await p.add_remote_link(ref.key, "https://alerts.example.com/a/2", "Alert 2")
    assert sorted(harness.remote_links(ref.key)) == [
        ("https://alerts.example.com/a/1", "Alert 1 (again)"),
        ("https://alerts.example.com/a/2", "Alert 2"),
    ]


async def test_marker_travels_as_label_and_issue_property(harness: Harness) -> None:
    marker = Marker("alertmanager:abc123")
    ref = await harness.provider.create_issue(draft(marker=marker))
    assert marker.label in (await harness.provider.get_issue(ref.key)).labels
    assert harness.marker_property(ref.key) == marker.property_value


async def test_find_by_markers_finds_exactly_each_marked_issue(harness: Harness) -> None:
    p = harness.provider
    marked = await p.create_issue(draft(marker=Marker("fp-abc")))
    other = await p.create_issue(draft(marker=Marker("fp-other")))
    await p.create_issue(draft(marker=Marker("fp-not-asked")))
    await p.create_issue(draft())
    harness.end_lag()
    wanted = [Marker("fp-abc"), Marker("fp-none"), Marker("fp-other")]
    found = await p.find_by_markers(wanted)
    assert {m.fingerprint: [r.key for r in refs] for m, refs in found.items()} == {
        "fp-abc": [marked.key],
        "fp-none": [],
        "fp-other": [other.key],
    }
    assert await p.find_by_markers([Marker("fp-none")]) == {Marker("fp-none"): ()}
    assert await p.find_by_markers([]) == {}


async def test_find_by_markers_pages_past_one_search(harness: Harness) -> None:
    """More markers than one search takes, and more issues than one page holds."""
    p = harness.provider
    await p.create_meta("OPS", "Task")
    markers = [Marker(f"fp-many-{n}") for n in range(60)]
    drafts = [IssueDraft("OPS", "Task", f"many {n}", marker=m) for n, m in enumerate(markers)]
    result = await p.create_issues(drafts)
    assert len(result.created) == len(markers)
    harness.end_lag()
    found = await p.find_by_markers([*markers, Marker("fp-none")])
    assert {m: len(refs) for m, refs in found.items()} == {
        **dict.fromkeys(markers, 1),
        Marker("fp-none"): 0,
    }


async def test_find_by_markers_under_index_lag_needs_known_ids(harness: Harness) -> None:
    if not harness.provider.capabilities.reconcile_issues:
        pytest.skip("reconcileIssues is a Cloud feature")
    harness.set_lag(60.0)
    p = harness.provider
    ref = await p.create_issue(draft(marker=Marker("fp-lag")))
    assert await p.find_by_markers([Marker("fp-lag")]) == {Marker("fp-lag"): ()}
    found = await p.find_by_markers([Marker("fp-lag")], known_ids=[ref.id])
    assert [r.key for r in found[Marker("fp-lag")]] == [ref.key]


async def test_search_pages_through_every_match_once(harness: Harness) -> None:
    p = harness.provider
    made = [(await p.create_issue(draft(f"s{n}", labels=("paging",)))).key for n in range(7)]
    harness.end_lag()
    seen: list[str] = []
    token: str | None = None
    for _ in range(10):
        page = await p.search('labels = "paging" ORDER BY key ASC', page_token=token, page_size=3)
        seen.extend(i.key for i in page.issues)
        token = page.next_page_token
        if token is None:
            break
    assert sorted(seen) == sorted(made)
    assert len(seen) == 7


async def test_metadata(harness: Harness) -> None:
    p = harness.provider
    assert "OPS" in {pr.key for pr in await p.projects()}
    assert "Task" in {t.name for t in await p.issue_types("OPS")}
    assert {"High", "Low"} <= {pr.name for pr in await p.priorities()}
    assert {s.category for s in await p.statuses()} == {"new", "indeterminate", "done"}
    assert "labels" in {f.id for f in await p.fields()}
    meta = await p.create_meta("OPS", "Task")
    assert "summary" in {m.field.id for m in meta}
    me = await p.myself()
    assert me.display_name


async def test_user_lookup(harness: Harness) -> None:
    user = await harness.provider.find_user("alice@example.com")
    assert user is not None
    key = harness.provider.capabilities.user_key
    assert user.account_id if key == "accountId" else user.name
    assert await harness.provider.find_user("nobody@nowhere.invalid") is None


async def test_field_not_on_screen_is_dropped_with_a_warning(harness: Harness) -> None:
    # INFRA's create screen carries only the system fields and Escalation ID.
    with structlog.testing.capture_logs() as logs:
        ref = await harness.provider.create_issue(
            draft(project="INFRA", fields={"Risk Score": 7, "Escalation ID": "ESC-1"})
        )
    issue = await harness.provider.get_issue(ref.key)
    assert issue.fields.get("customfield_10014") is None
    assert issue.fields["customfield_10010"] == "ESC-1"
    warnings = [e for e in logs if e["log_level"] == "warning"]
    assert any("Risk Score" in str(e) or "customfield_10014" in str(e) for e in warnings)


def _option(value: Any) -> Any:
    return value["value"] if isinstance(value, Mapping) else value


FIELD_SHAPES = [
    # (field given by, plain value, read back as)
    ("Change Risk", "HIGH", lambda v: _option(v) == "HIGH"),
    ("customfield_10014", "7.5", lambda v: v == 7.5),
    ("Affected Systems", ["api", "web"], lambda v: [_option(x) for x in v] == ["api", "web"]),
    ("Review Date", date(2030, 2, 1), lambda v: v == "2030-02-01"),
    ("Escalation ID", 12345, lambda v: v == "12345"),
    ("Security Reviewer", "bob@example.com", lambda v: isinstance(v, Mapping)),
    ("Security Reviewer", "bob", lambda v: isinstance(v, Mapping)),  # a username: looked up
    ("Remediation Notes", "Rotate the key", lambda v: "Rotate the key" in str(v)),
]


@pytest.mark.parametrize(("name", "value", "check"), FIELD_SHAPES)
async def test_field_values_are_shaped_from_the_schema(
    harness: Harness, name: str, value: Any, check: Any
) -> None:
    p = harness.provider
    fields = {f.name: f.id for f in await p.fields()}
    ref = await p.create_issue(draft(fields={name: value}))
    issue = await p.get_issue(ref.key)
    field_id = fields.get(name, name)
    assert check(issue.fields[field_id]), issue.fields.get(field_id)


async def test_long_description_is_truncated_with_a_visible_marker(harness: Harness) -> None:
    paragraphs = "\n\n".join(f"paragraph {n} " + "x" * 200 for n in range(400))
    ref = await harness.provider.create_issue(draft(description=Document.plain(paragraphs)))
    issue = await harness.provider.get_issue(ref.key)
    description = issue.fields.get("description")
    assert "truncated" in str(description)
    assert "paragraph 0 " in str(description)
