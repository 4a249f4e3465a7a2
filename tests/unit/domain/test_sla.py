"""SLA clocks (issue 15 item 3), scenario by scenario: first response by assignment, by a
transition out of `new`, by someone else's comment (never by ours); pause statuses; at risk at
75%; breach with its moment; met; and the same history under a changed SLA giving the new
answer (recompute: the clocks are computed from events, never counted in place)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ticketbridge.domain.sla import ClockState, IssueEvent, SlaPolicy, sla_status

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)
H = timedelta(hours=1)
HIGH = SlaPolicy(first_response=H, resolution=4 * H, pause=frozenset({"Waiting for customer"}))


def status(at: timedelta, name: str, category: str, by_us: bool = False) -> IssueEvent:
    return IssueEvent(T0 + at, "status", by_us=by_us, status=name, category=category)


@pytest.mark.parametrize(
    ("events", "now", "response", "responded_at"),
    [
        ([IssueEvent(T0 + 20 * M, "assigned")], 30 * M, ClockState.MET, 20 * M),
        ([status(50 * M, "In Progress", "indeterminate")], 2 * H, ClockState.MET, 50 * M),
        ([IssueEvent(T0 + 10 * M, "comment")], H, ClockState.MET, 10 * M),
        ([IssueEvent(T0 + 10 * M, "comment", by_us=True)], 30 * M, ClockState.RUNNING, None),
        ([IssueEvent(T0 + 10 * M, "comment", by_us=True)], 45 * M, ClockState.AT_RISK, None),
        ([status(5 * M, "Triage", "new")], 61 * M, ClockState.BREACHED, None),
        ([IssueEvent(T0 + 90 * M, "assigned")], 2 * H, ClockState.BREACHED, 90 * M),
    ],
    ids=[
        "assignment",
        "transition-out-of-new",
        "comment-by-someone",
        "our-comment-is-no-response",
        "at-risk-at-75",
        "new-to-new-is-no-response",
        "responded-late",
    ],
)
def test_first_response(
    events: list[IssueEvent],
    now: timedelta,
    response: ClockState,
    responded_at: timedelta | None,
) -> None:
    clock = sla_status(T0, events, T0 + now, HIGH).first_response
    assert clock is not None
    assert clock.state is response
    assert clock.stopped_at == (T0 + responded_at if responded_at is not None else None)
    if response is ClockState.BREACHED:
        assert clock.breached_at == T0 + H


def test_pause_stops_both_clocks_and_moves_the_breach_later() -> None:
    events = [
        status(10 * M, "In Progress", "indeterminate"),
        status(H, "Waiting for customer", "indeterminate"),
        status(3 * H, "In Progress", "indeterminate"),
    ]
    clock = sla_status(T0, events, T0 + 5 * H, HIGH).resolution
    assert clock is not None
    assert clock.elapsed == 3 * H  # 5 h less the 2 h waiting
    assert clock.state is ClockState.AT_RISK  # 3 h of 4 h: 75%
    assert clock.at_risk_at == T0 + 5 * H
    later = sla_status(T0, events, T0 + 7 * H, HIGH).resolution
    assert later is not None
    assert (later.state, later.breached_at) == (ClockState.BREACHED, T0 + 6 * H)


def test_resolution_met_and_a_reopen_resumes_the_clock() -> None:
    done = [status(30 * M, "In Progress", "indeterminate"), status(3 * H, "Done", "done")]
    clock = sla_status(T0, done, T0 + 10 * H, HIGH).resolution
    assert clock is not None
    assert (clock.state, clock.stopped_at, clock.elapsed) == (ClockState.MET, T0 + 3 * H, 3 * H)
    reopened = [*done, status(5 * H, "To Do", "new")]
    again = sla_status(T0, reopened, T0 + 10 * H, HIGH).resolution
    assert again is not None
    assert (again.state, again.breached_at) == (ClockState.BREACHED, T0 + 4 * H)


def test_a_changed_sla_recomputes_the_same_history() -> None:
    events = [IssueEvent(T0 + 40 * M, "assigned"), status(5 * H, "Done", "done")]
    before = sla_status(T0, events, T0 + 6 * H, HIGH)
    assert before.worst is ClockState.BREACHED  # resolved after 5 h of a 4 h budget
    relaxed = SlaPolicy(first_response=30 * M, resolution=24 * H)
    after = sla_status(T0, events, T0 + 6 * H, relaxed)
    assert after.first_response is not None
    assert after.resolution is not None
    assert after.first_response.state is ClockState.BREACHED  # 40 min of a 30 min budget
    assert after.first_response.breached_at == T0 + 30 * M
    assert after.resolution.state is ClockState.MET
    assert sla_status(T0, events, T0, SlaPolicy(None, None)).worst is None
