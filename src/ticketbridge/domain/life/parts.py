"""The transitions' parts more than one of them uses: the issue moved to a status category
(a decision's reopen or resolve, a write's answer, an observation) and the digest's rate rule
(a repeat queues a digest, a written digest may queue the next). They keep their underscore:
the package's own, not re-exported."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ticketbridge.domain.decision import TicketPolicy
from ticketbridge.domain.states import AlertState, StatusCategory
from ticketbridge.domain.ticket import Ticket


def _digest_due(ticket: Ticket, policy: TicketPolicy) -> datetime:
    """The digest's rate rule: at most one write per interval per issue, the first one an
    interval after the first occurrence — a storm costs one create and one edit per interval."""
    return (ticket.last_digest_at or ticket.first_seen) + policy.digest_interval


def _moved(
    ticket: Ticket,
    category: StatusCategory,
    resolution: str | None,
    at: datetime,
    policy: TicketPolicy,
) -> Ticket:
    """The issue is in a status of `category` (new | indeterminate | done) with `resolution`:
    done means an outcome (`sync.resolutions`) and a done time (kept when it already was)."""
    # `synced_state` is what Jira's status mapped to when last observed: a move of ours
    # (or a fresh observation, which sets it again) makes the category tell.
    if category != "done":
        return replace(
            ticket,
            status_category=category,
            resolution=None,
            outcome=None,
            done_at=None,
            synced_state=None,
        )
    outcome: AlertState = policy.outcome(resolution)
    done_at = ticket.done_at if ticket.is_done and ticket.done_at else at
    return replace(
        ticket,
        status_category="done",
        resolution=resolution,
        outcome=outcome,
        done_at=done_at,
        synced_state=None,
    )
