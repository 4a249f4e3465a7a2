"""The existence sweep's deletion (reconcile: the issue is gone now, stamped with our clock) is
never stale against a watermark from Jira's clock ahead of ours."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from test_decide import DEFAULT, NOW, OPEN

from ticketbridge.domain import AlertState
from ticketbridge.domain.life import observed
from ticketbridge.domain.observed import IssueObservation, ObservedVia

JIRA_AHEAD = NOW + timedelta(minutes=5)  # Jira's clock ahead of ours


def _gone(via: ObservedVia) -> IssueObservation:
    return IssueObservation("10001", "OPS-1", NOW, via, deleted=True)


def test_the_sweeps_deletion_wins_over_a_newer_watermark() -> None:
    ticket = replace(OPEN, watermark_at=JIRA_AHEAD, watermark_changelog=7)
    after, outcome = observed(ticket, _gone(ObservedVia.RECONCILE), DEFAULT, ours=False)
    assert outcome == "applied"
    assert after.alert_state() is AlertState.TICKET_DELETED
    assert after.watermark == (JIRA_AHEAD, 7)  # the watermark never goes back
