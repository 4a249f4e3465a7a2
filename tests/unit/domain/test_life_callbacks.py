"""Callbacks in the ticket's life (issue 15 item 1): a transition that changes the state of the
ticket's alerts asks for one `callback` job per rule naming the new state — once, not again
while the state stays; an epic calls no source back."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_decide import ALERT, NOW, OPEN, policy

from ticketbridge.domain import AlertState, DecisionKind, JobKind
from ticketbridge.domain import TicketStatus as Status
from ticketbridge.domain.decision import CallbackRule, Decision
from ticketbridge.domain.life import (
    IssueCreated,
    IssueMoved,
    JobDied,
    Opening,
    PlannedJob,
    advance,
    after_write,
    callbacks_for,
)

S = AlertState
RULES = (
    CallbackRule("keeptrusts", "keeptrusts", frozenset({S.RESOLVED, S.FALSE_POSITIVE})),
    CallbackRule("tv", "truthvouch", frozenset({S.TICKETED, S.IN_PROGRESS, S.RESOLVED})),
    CallbackRule("dead", "generic", frozenset({S.DEAD})),
)
POLICY = policy(callbacks=RULES, resolutions={"False Positive": S.FALSE_POSITIVE})
PENDING = replace(OPEN, status=Status.PENDING, issue_key=None, status_category=None)


def _told(jobs: tuple[PlannedJob, ...]) -> list[tuple[str, str, str | None]]:
    return [
        (dict(j.detail)["callback"], dict(j.detail)["state"], j.only_source)
        for j in jobs
        if j.kind is JobKind.CALLBACK
    ]


@pytest.mark.parametrize(
    ("before", "written", "told"),
    [
        (PENDING, IssueCreated("1", "OPS-1", "u"), [("tv", "ticketed", "truthvouch")]),
        (PENDING, JobDied(JobKind.CREATE_ISSUE), [("dead", "dead", "generic")]),
        (OPEN, IssueMoved("indeterminate", None, NOW), [("tv", "in_progress", "truthvouch")]),
        (
            OPEN,
            IssueMoved("done", "Done", NOW),
            [("keeptrusts", "resolved", "keeptrusts"), ("tv", "resolved", "truthvouch")],
        ),
        (
            OPEN,
            IssueMoved("done", "False Positive", NOW),
            [("keeptrusts", "false_positive", "keeptrusts")],
        ),
        (OPEN, IssueMoved("new", None, NOW), []),  # still ticketed: nothing new to tell
        (OPEN, JobDied(JobKind.COMMENT), []),
    ],
    ids=[
        "created",
        "create-dead",
        "in-progress",
        "resolved",
        "false-positive",
        "same",
        "comment-dead",
    ],
)
def test_state_changes_ask_for_the_callbacks_naming_them(before, written, told) -> None:  # type: ignore[no-untyped-def]
    assert _told(after_write(before, written, POLICY).jobs) == told


def test_the_source_resolving_asks_for_the_resolved_callbacks() -> None:
    step = advance(
        OPEN, Decision(DecisionKind.RESOLVE, ("why",)), ALERT, NOW, POLICY, Opening("OPS")
    )
    assert next(j.kind for j in step.jobs) is JobKind.RESOLVE
    assert _told(step.jobs) == [
        ("keeptrusts", "resolved", "keeptrusts"),
        ("tv", "resolved", "truthvouch"),
    ]


def test_telling_the_same_state_twice_asks_for_nothing_and_epics_never_call_back() -> None:
    done = after_write(OPEN, IssueMoved("done", "Done", NOW), POLICY).ticket
    assert done is not None
    assert (
        callbacks_for(
            done, after_write(done, IssueMoved("done", "Done", NOW), POLICY).ticket, POLICY
        )
        == ()
    )
    epic = replace(OPEN, group_key="citations")
    assert callbacks_for(epic, replace(epic, status_category="done"), POLICY) == ()
    assert callbacks_for(OPEN, replace(OPEN, status_category="done"), policy()) == ()
