"""What Jira tells about the issue (two-way sync): `observed` and, with the callbacks of the
alerts' state change it made, `observed_step`."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from ticketbridge.domain.decision import TicketPolicy
from ticketbridge.domain.life.callbacks import with_callbacks
from ticketbridge.domain.life.parts import _moved
from ticketbridge.domain.life.step import Step
from ticketbridge.domain.observed import IssueObservation
from ticketbridge.domain.ticket import Ticket

Observed = Literal["applied", "stale", "echo", "unchanged"]
"""What an observation did to the ticket (`services.ports.ObservedOutcome` lists them too)."""


def observed(
    ticket: Ticket,
    observation: IssueObservation,
    policy: TicketPolicy,
    *,
    ours: bool,
    by_us: bool = False,
) -> tuple[Ticket, Observed]:
    """`ticket` after what Jira said about its issue, and what that did.

    - Older than the ticket's watermark: stale, the ticket unchanged (deliveries come in any
      order; an older snapshot never wins). Equal: applied again (idempotent), so a reconcile
      that fetched the same snapshot repairs what an echo left alone.
    - Otherwise the watermark moves to it, whatever else happens (even when nothing else
      changes: the next older delivery must find it).
    - `ours` (caused by our own account: the echo guard): Jira's assignee, priority and status
      are kept for display, but the alerts' state does not move and nothing is triggered.
    - Deleted: the alerts are `ticket_deleted` from then on, whenever the deletion arrives.
    - Not `by_us` (its author is not our account, whichever way it came): the issue was
      updated by someone else then (`touched_at`, which restarts the stale clock).
    """
    if not observation.has_state:
        return ticket, "unchanged"  # a comment event, or a thin delivery not completed
    newer = ticket.watermark is None or observation.watermark >= ticket.watermark
    if not newer and not observation.deleted:
        return ticket, "stale"
    # A deletion is final (nothing happens to a deleted issue after it): never stale, and
    # the watermark never goes back.
    marked = (
        replace(
            ticket,
            watermark_at=observation.updated,
            watermark_changelog=observation.changelog_id,
        )
        if newer
        else ticket
    )
    if observation.deleted:
        if ticket.deleted_at is not None:
            return marked, "unchanged"
        return replace(marked, deleted_at=observation.updated), "applied"
    shown = replace(
        marked,
        status_id=observation.status_id,
        status_name=observation.status_name,
        assignee_id=observation.assignee_account_id,
        assignee_name=observation.assignee_name,
        priority=observation.priority,
    )
    if ours or ticket.deleted_at is not None:
        return shown, "echo" if ours else "unchanged"
    after = _touched(_synced(shown, observation, policy), observation, by_us)
    return after, "applied" if _visible(after) != _visible(ticket) else "unchanged"


def observed_step(
    ticket: Ticket,
    observation: IssueObservation,
    policy: TicketPolicy,
    *,
    ours: bool,
    by_us: bool = False,
) -> tuple[Step, Observed]:
    """`observed`, with the callback jobs of the alerts' state change it made (a person's
    change in Jira: in_progress, resolved, false_positive, accepted, ticket_deleted). An echo
    of our own write, a stale or unchanged observation calls no source back."""
    after, outcome = observed(ticket, observation, policy, ours=ours, by_us=by_us)
    if outcome != "applied":
        return Step(after), outcome
    return with_callbacks(ticket, Step(after), policy), outcome


def _touched(ticket: Ticket, observation: IssueObservation, by_us: bool) -> Ticket:
    """The issue updated by someone other than our account at `observation.updated`."""
    if by_us:
        return ticket
    touched = max(ticket.touched_at or observation.updated, observation.updated)
    return replace(ticket, touched_at=touched)


def _synced(ticket: Ticket, observation: IssueObservation, policy: TicketPolicy) -> Ticket:
    category = observation.status_category
    if category is None:
        return ticket
    moved = _moved(ticket, category, observation.resolution, observation.updated, policy)
    state = policy.observed_state(observation.status_id, category, observation.resolution)
    if category == "done" and state is not None:
        moved = replace(moved, outcome=state)
    return replace(moved, synced_state=state)


def _visible(ticket: Ticket) -> tuple[object, ...]:
    """What an observation may change besides the watermark."""
    return (
        ticket.status_id,
        ticket.status_category,
        ticket.resolution,
        ticket.outcome,
        ticket.synced_state,
        ticket.assignee_id,
        ticket.priority,
    )
