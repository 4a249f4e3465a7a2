"""`life.observed` (what Jira tells about an issue) and the decisions that use its states:
a deleted issue is never recreated behind the user's back, an accepted risk holds for
`sync.accepted_for` and is then re-raised, a false positive suppresses its fingerprint."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from test_decide import ALERT, NOW, OPEN, policy

from ticketbridge.domain import AlertState, DecisionKind, decide
from ticketbridge.domain.life import observed
from ticketbridge.domain.observed import IssueObservation, ObservedVia

DEFAULT = policy(
    resolutions={"False Positive": AlertState.FALSE_POSITIVE, "Won't Fix": AlertState.ACCEPTED},
    status={
        "new": AlertState.OPEN,
        "indeterminate": AlertState.IN_PROGRESS,
        "done": AlertState.RESOLVED,
    },
)


def seen(minutes: float, **values: object) -> IssueObservation:
    fields: dict[str, object] = {
        "issue_id": "10001",
        "issue_key": "OPS-1",
        "updated": NOW + timedelta(minutes=minutes),
        "via": ObservedVia.WEBHOOK,
        "status_id": "3",
        "status_category": "indeterminate",
        **values,
    }
    return IssueObservation(**fields)  # type: ignore[arg-type]


def test_every_accepted_observation_records_its_watermark_even_unchanged() -> None:
    first, outcome = observed(OPEN, seen(1, changelog_id=5), DEFAULT, ours=False)
    again, unchanged = observed(first, seen(2, changelog_id=6), DEFAULT, ours=False)
    assert (outcome, unchanged) == ("applied", "unchanged")
    assert again.watermark == (NOW + timedelta(minutes=2), 6)
    # so an observation between the two is stale, not applied
    _, late = observed(again, seen(1.5, status_category="done"), DEFAULT, ours=False)
    assert late == "stale"


def test_an_echo_moves_no_alert_state_but_keeps_what_jira_shows() -> None:
    after, outcome = observed(
        OPEN, seen(1, status_category="done", priority="High"), DEFAULT, ours=True
    )
    assert outcome == "echo"
    assert (after.alert_state(), after.status_category, after.priority) == (
        AlertState.TICKETED,
        "new",
        "High",
    )
    assert after.watermark is not None


def test_a_comment_or_thin_observation_changes_nothing() -> None:
    comment = seen(1, status_id=None, status_category=None)
    thin = seen(1, thin=True)
    assert observed(OPEN, comment, DEFAULT, ours=False) == (OPEN, "unchanged")
    assert observed(OPEN, thin, DEFAULT, ours=False) == (OPEN, "unchanged")


@pytest.mark.parametrize("recreate", [False, True])
def test_a_deleted_issue_is_recreated_only_when_configured(recreate: bool) -> None:
    deleted, outcome = observed(OPEN, seen(1, deleted=True), DEFAULT, ours=False)
    assert (outcome, deleted.alert_state()) == ("applied", AlertState.TICKET_DELETED)
    decision = decide(ALERT, deleted, policy(recreate_on_delete=recreate), NOW)
    assert decision.kind is (DecisionKind.CREATE if recreate else DecisionKind.SUPPRESS)


def _resolved_as(resolution: str, days_ago: float) -> object:
    done, _ = observed(
        OPEN, seen(1, status_category="done", resolution=resolution), DEFAULT, ours=False
    )
    return replace(done, done_at=NOW - timedelta(days=days_ago))


@pytest.mark.parametrize(
    ("resolution", "days_ago", "settings", "expected"),
    [
        ("False Positive", 10, {}, DecisionKind.SUPPRESS),  # within false_positive_suppress
        ("False Positive", 40, {}, DecisionKind.NEW_LINKED),  # beyond: a new issue
        ("Won't Fix", 10, {"accepted_for": timedelta(days=30)}, DecisionKind.SUPPRESS),
        ("Won't Fix", 40, {"accepted_for": timedelta(days=30)}, DecisionKind.REOPEN),
        (
            "Won't Fix",
            40,
            {"accepted_for": timedelta(days=30), "accepted_reraise": "new"},
            DecisionKind.NEW_LINKED,
        ),
        ("Duplicate", 2, {}, DecisionKind.REOPEN),  # resolved: within reopen_within
    ],
)
def test_outcomes_steer_the_next_alerts_decision(
    resolution: str, days_ago: float, settings: dict[str, object], expected: DecisionKind
) -> None:
    ticket = _resolved_as(resolution, days_ago)
    assert decide(ALERT, ticket, policy(**settings), NOW).kind is expected  # type: ignore[arg-type]
