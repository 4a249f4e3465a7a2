"""The SLA events of one observation (`services.sla_events.issue_events`): a transition into a
pause status counts from its own moment, by the changelog's `toString`, even when the issue has
left that status before the observation that saw it (a reconcile fetch, a late delivery)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ticketbridge.domain.observed import IssueObservation, ObservedVia, StatusChange
from ticketbridge.domain.sla import SlaPolicy, sla_status
from ticketbridge.domain.states import TicketStatus
from ticketbridge.domain.ticket import Ticket
from ticketbridge.services.sla_events import issue_events

BASE = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
WAITING = "Waiting for customer"


def change(at: timedelta, n: int, to: str, name: str) -> StatusChange:
    return StatusChange(BASE + at, n, None, to, None, "human-1", to_status_name=name)


def test_a_pause_left_before_the_observation_counts_from_its_transition() -> None:
    """Seen at 5 h by reconcile: in progress at 10 min, waiting from 20 min to 2 h 20 min, in
    progress again. The two hours waiting do not count: 4 h 40 min elapsed minus 2 h."""
    ticket = Ticket("fp", 1, "OPS", TicketStatus.LINKED, BASE, BASE, id=7, issue_key="OPS-1")
    seen = IssueObservation(
        issue_id="10001",
        issue_key="OPS-1",
        updated=BASE + 5 * HOUR,
        via=ObservedVia.RECONCILE,
        status_id="3",
        status_name="In Progress",
        status_category="indeterminate",
        transitions=(
            change(timedelta(minutes=10), 1, "3", "In Progress"),
            change(timedelta(minutes=20), 2, "10200", WAITING),
            change(timedelta(minutes=140), 3, "3", "In Progress"),
        ),
    )
    events = [e.event for e in issue_events(ticket, seen, ours="bot")]
    assert [(e.at - BASE, e.status) for e in events] == [
        (timedelta(minutes=10), "In Progress"),
        (timedelta(minutes=20), WAITING),
        (timedelta(minutes=140), "In Progress"),
    ]
    policy = SlaPolicy(None, 4 * HOUR, frozenset({WAITING}))
    clock = sla_status(BASE, events, BASE + 5 * HOUR, policy).resolution
    assert clock is not None
    assert clock.elapsed == 3 * HOUR
