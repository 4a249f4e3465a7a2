"""Stale escalation in the ticket's life (issue 15 item 2): an open issue quiet for
`stale_after` is escalated once per stale period; our own escalation restarts the period;
done, pending or epic tickets are never escalated."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from test_decide import OPEN

from ticketbridge.domain import JobKind
from ticketbridge.domain import TicketStatus as Status
from ticketbridge.domain.life import Escalation, escalate

DAY = timedelta(hours=24)
START = OPEN.first_seen


@pytest.mark.parametrize(
    ("ticket", "after", "kinds"),
    [
        (OPEN, DAY - timedelta(seconds=1), []),
        (OPEN, DAY, [JobKind.ESCALATE, JobKind.NOTIFY]),
        (
            replace(OPEN, escalated_at=START + DAY, escalations=1),
            2 * DAY - timedelta(seconds=1),
            [],
        ),
        (
            replace(OPEN, escalated_at=START + DAY, escalations=1),
            2 * DAY,
            [JobKind.ESCALATE, JobKind.NOTIFY],
        ),
        (replace(OPEN, status_category="done"), 5 * DAY, []),
        (replace(OPEN, status=Status.PENDING, issue_key=None), 5 * DAY, []),
        (replace(OPEN, group_key="citations"), 5 * DAY, []),
    ],
    ids=["not-yet", "stale", "escalated-this-period", "next-period", "done", "pending", "epic"],
)
def test_escalated_once_per_stale_period(ticket, after, kinds) -> None:  # type: ignore[no-untyped-def]
    step = escalate(ticket, START + after, Escalation(DAY, notify=True))
    assert [j.kind for j in step.jobs] == kinds
    assert step.ticket is not None
    if kinds:
        assert step.ticket.escalated_at == START + after
        assert step.ticket.escalations == ticket.escalations + 1
    else:
        assert step.ticket == ticket


def test_without_slack_only_the_jira_write() -> None:
    step = escalate(OPEN, START + DAY, Escalation(DAY))
    assert [j.kind for j in step.jobs] == [JobKind.ESCALATE]
