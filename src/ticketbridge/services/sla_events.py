"""The issue's events the SLA clocks need, from one observation (two-way sync): its status
transitions with their category (pauses and resolution), an assignment, comments by other
accounts (first response). Stored in `ticket_events` in the observation's transaction, each
with a key that makes it recorded once however often the observation is applied."""

from __future__ import annotations

from ticketbridge.domain.observed import IssueObservation
from ticketbridge.domain.sla import IssueEvent, TicketEvent
from ticketbridge.domain.ticket import Ticket


def issue_events(
    ticket: Ticket, observation: IssueObservation, ours: str | None
) -> list[TicketEvent]:
    """The events `observation` tells about `ticket`'s issue (as the ticket was before it)."""
    if ticket.id is None or observation.deleted:
        return []
    by_us = ours is not None and observation.author_account_id == ours
    found = [*_status_events(ticket, observation, ours, by_us)]
    assignee = observation.assignee_account_id
    if assignee is not None and assignee != ticket.assignee_id:
        # The first assignment by another account is what counts (ours never responds).
        key = "assigned:us" if by_us else "assigned:other"
        found.append((key, IssueEvent(observation.updated, "assigned", by_us=by_us)))
    for comment in observation.comments:
        if comment.deleted or (ours is not None and comment.author_account_id == ours):
            continue
        found.append((f"comment:{comment.comment_id}", IssueEvent(comment.at, "comment")))
    return [TicketEvent(ticket.id, key, event) for key, event in found]


def _status_events(
    ticket: Ticket, observation: IssueObservation, ours: str | None, by_us: bool
) -> list[tuple[str, IssueEvent]]:
    """The changelog's status transitions; without them (a snapshot), a status that differs
    from the one last seen, at the observation's time."""
    current = observation.status_id
    found = []
    for change in observation.transitions:
        now = change.to_status_id == current
        category = change.to_category or (observation.status_category if now else None)
        event = IssueEvent(
            change.at,
            "status",
            by_us=ours is not None and change.author_account_id == ours,
            status=change.to_status_name or (observation.status_name if now else None),
            category=category,
        )
        mark = change.changelog_id if change.changelog_id is not None else change.at.isoformat()
        found.append((f"status:{mark}:{change.to_status_id}", event))
    first_seen_new = ticket.status_id is None and observation.status_category == "new"
    if found or current is None or current == ticket.status_id or first_seen_new:
        return found
    event = IssueEvent(
        observation.updated,
        "status",
        by_us=by_us,
        status=observation.status_name,
        category=observation.status_category,
    )
    return [(f"status:{observation.updated.isoformat()}:{current}", event)]
