"""`sla.on_breach` in the ticket's life (issue 15 item 3): the scan's first finding of a
breach on an open issue asks for the escalation's jobs (and counts an escalation); a breach
already recorded, a done issue, an epic, or nothing asked for asks for nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from test_decide import OPEN

from ticketbridge.domain import JobKind
from ticketbridge.domain.life import sla_breached, sla_marked
from ticketbridge.domain.sla import BreachActions

START = OPEN.first_seen
BREACHED_AT = START + timedelta(hours=1)
NOW = START + timedelta(hours=2)
BOTH = BreachActions(escalate=True, notify=True)


@pytest.mark.parametrize(
    ("before", "actions", "kinds", "escalations"),
    [
        (OPEN, BOTH, [JobKind.ESCALATE, JobKind.NOTIFY], 1),
        (OPEN, BreachActions(notify=True), [JobKind.NOTIFY], 0),
        (OPEN, BreachActions(), [], 0),
        (replace(OPEN, sla_breached_at=BREACHED_AT), BOTH, [], 0),
        (replace(OPEN, status_category="done"), BOTH, [], 0),
        (replace(OPEN, group_key="citations"), BOTH, [], 0),
    ],
    ids=["escalate-and-notify", "notify-only", "off", "already-breached", "done", "epic"],
)
def test_a_breach_asks_once(before, actions, kinds, escalations) -> None:  # type: ignore[no-untyped-def]
    marked = sla_marked(before, "breached", None, BREACHED_AT)
    step = sla_breached(before, marked, NOW, actions)
    assert [job.kind for job in step.jobs] == kinds
    assert step.ticket is not None
    assert step.ticket.escalations == escalations
    assert step.ticket.escalated_at == (NOW if escalations else None)
    why = {("reason", "sla_breached"), ("breached_at", BREACHED_AT.isoformat())}
    assert all(set(job.detail) == why for job in step.jobs)
