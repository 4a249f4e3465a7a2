"""The ticket's life: every change of a ticket's fields, in one place.

Two transitions, both pure:

- `advance(current, decision, alert, now, policy, opening)`: what a decision does to the
  fingerprint's ticket, and the Jira writes (outbox jobs) it asks for. The decider, `plan` and
  `replay` all call it, so what they predict is what the pipeline does.
- `after_write(ticket, result, policy)`: what a job's outcome (or what Jira says about the
  issue) does to the ticket as it is now: the issue created, a job dead, the digest written,
  the issue moved in Jira. The outbox calls it; two-way sync will call it with `IssueMoved`.

What Jira tells about the issue (two-way sync) is `observed(ticket, observation, policy, ours)`.
An operator's retry of a dead job is `revive`. Nothing outside `domain` assigns a ticket's
fields: it reads them and asks these functions for the next ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from ticketbridge.domain.alert import Alert
from ticketbridge.domain.decision import Decision, DecisionKind, TicketPolicy
from ticketbridge.domain.grouping import EpicGroup, IssueLink
from ticketbridge.domain.observed import IssueObservation
from ticketbridge.domain.states import AlertState, JobKind, TicketStatus
from ticketbridge.domain.ticket import Ticket

_OPENING = (DecisionKind.CREATE, DecisionKind.NEW_LINKED)


@dataclass(frozen=True)
class PlannedJob:
    """A Jira write a transition asks for, for the ticket of its `Step`."""

    kind: JobKind
    not_before: datetime | None = None


@dataclass(frozen=True)
class Step:
    """The fingerprint's ticket after a transition (None: still none), the jobs it asks for,
    and whether the ticket is a new generation (to insert) rather than the current one."""

    ticket: Ticket | None
    jobs: tuple[PlannedJob, ...] = ()
    opened: bool = False


@dataclass(frozen=True)
class Opening:
    """What a fingerprint's new ticket takes from its route: the project, the epic's ticket
    it goes under (grouping) and the links its issue gets."""

    project: str
    parent: Ticket | None = None
    links: tuple[IssueLink, ...] = ()


def advance(
    current: Ticket | None,
    decision: Decision,
    alert: Alert,
    now: datetime,
    policy: TicketPolicy,
    opening: Opening,
) -> Step:
    """What `decision` on `alert` does to the fingerprint's `current` ticket. Optimistic: the
    ticket is left as the jobs will leave it, so the next alert decides on what will be."""
    kind = decision.kind
    if kind in _OPENING:
        parent = opening.parent
        ticket = _opened(
            alert.fingerprint,
            current,
            alert.occurred_at,
            opening.project,
            parent_id=parent.id if parent is not None else None,
            links=opening.links,
        )
        jobs = [PlannedJob(JobKind.CREATE_ISSUE)]
        if kind is DecisionKind.NEW_LINKED and ticket.previous_issue_key:
            jobs.append(PlannedJob(JobKind.LINK_PREVIOUS))
        if ticket.links:
            jobs.append(PlannedJob(JobKind.LINK_ISSUES))
        return Step(ticket, tuple(jobs), opened=True)
    if current is None or kind is DecisionKind.IGNORE:
        return Step(current)
    if kind is DecisionKind.REPEAT:
        return _repeat(_seen(current, alert.occurred_at), policy)
    if kind is DecisionKind.REOPEN:
        # The next alert of this fingerprint is a repeat, not a second reopen.
        reopened = _moved(_seen(current, alert.occurred_at), "new", None, now, policy)
        return Step(reopened, (PlannedJob(JobKind.REOPEN),))
    if kind is DecisionKind.RESOLVE:
        # With `on_source_resolved.transition` the job moves the issue to done.
        resolved = (
            _moved(current, "done", None, now, policy) if policy.resolve_transition else current
        )
        return Step(resolved, (PlannedJob(JobKind.RESOLVE),))
    return Step(_seen(current, alert.occurred_at))  # SUPPRESS: counted, nothing written


def epic_for(current: Ticket | None, group: EpicGroup, alert: Alert) -> Step:
    """The epic's ticket a grouped issue goes under: the current one, or a new one (with its
    create) when there is none or its create is dead — a dead epic never holds its group."""
    if current is not None and current.status is not TicketStatus.DEAD:
        return Step(current)
    epic = _opened(group.fingerprint, current, alert.occurred_at, group.project)
    epic = replace(epic, group_key=group.key)
    return Step(epic, (PlannedJob(JobKind.CREATE_ISSUE),), opened=True)


def attached(ticket: Ticket, parent: Ticket) -> Ticket:
    """`ticket` under the epic's ticket `parent`, once that has its row id (both are inserted
    in one transaction: the epic first)."""
    return replace(ticket, parent_id=parent.id)


# --- what jobs did -------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueCreated:
    """The create's issue exists (answered, or found again by its marker)."""

    issue_id: str
    issue_key: str
    issue_url: str
    site: str | None = None  # the Jira site that holds it (Provider.site_id)


@dataclass(frozen=True)
class JobDied:
    """A job of this kind went to the dead-letter list."""

    kind: JobKind


@dataclass(frozen=True)
class DigestWritten:
    """The digest comment now tells `occurrences` occurrences (written at `at`)."""

    comment_id: str
    at: datetime
    occurrences: int


@dataclass(frozen=True)
class IssueMoved:
    """What Jira says the issue's status is: read by a reopen or resolve write, or (two-way
    sync) told by Jira. `resolution` as Jira spells it, None when not done."""

    status_category: str
    resolution: str | None
    at: datetime


Written = IssueCreated | JobDied | DigestWritten | IssueMoved


def after_write(ticket: Ticket, result: Written, policy: TicketPolicy) -> Step:
    """`ticket` (as it is now: the decider may have moved it since the job was queued) after
    a job's outcome, with the job that outcome asks for (another digest)."""
    if isinstance(result, IssueCreated):
        if ticket.issue_key is not None:  # linked by an earlier attempt
            return Step(ticket)
        linked = replace(
            ticket,
            issue_id=result.issue_id,
            issue_key=result.issue_key,
            issue_url=result.issue_url,
            site=result.site,
            status=TicketStatus.LINKED,
            status_category=ticket.status_category or "new",
        )
        return Step(linked)
    if isinstance(result, JobDied):
        if result.kind is JobKind.CREATE_ISSUE:
            return Step(replace(ticket, status=TicketStatus.DEAD))
        if result.kind is JobKind.DIGEST:  # the next repeat queues a digest again
            return Step(replace(ticket, digest_pending=False))
        return Step(ticket)
    if isinstance(result, DigestWritten):
        return _digested(ticket, result, policy)
    return Step(_moved(ticket, result.status_category, result.resolution, result.at, policy))


# --- what Jira tells (two-way sync) --------------------------------------------------------

Observed = Literal["applied", "stale", "echo", "unchanged"]
"""What an observation did to the ticket (`services.ports.ObservedOutcome` lists them too)."""


def observed(
    ticket: Ticket, observation: IssueObservation, policy: TicketPolicy, *, ours: bool
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
    after = _synced(shown, observation, policy)
    return after, "applied" if _visible(after) != _visible(ticket) else "unchanged"


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


def revive(ticket: Ticket) -> Ticket:
    """An operator retries the ticket's dead job: it is pending again (linked if it has its
    issue)."""
    if ticket.status is not TicketStatus.DEAD:
        return ticket
    status = TicketStatus.LINKED if ticket.issue_key else TicketStatus.PENDING
    return replace(ticket, status=status)


# --- the transitions' parts ----------------------------------------------------------------


def _opened(
    fingerprint: str,
    previous: Ticket | None,
    at: datetime,
    project: str,
    *,
    parent_id: int | None = None,
    links: tuple[IssueLink, ...] = (),
) -> Ticket:
    return Ticket(
        fingerprint=fingerprint,
        generation=previous.generation + 1 if previous else 1,
        project=project,
        status=TicketStatus.PENDING,
        first_seen=at,
        last_seen=at,
        previous_issue_key=previous.issue_key if previous else None,
        digested_occurrences=1,  # the issue itself tells of the first occurrence
        parent_id=parent_id,
        links=links,
    )


def _seen(ticket: Ticket, at: datetime) -> Ticket:
    """One more occurrence at `at`."""
    return replace(ticket, occurrences=ticket.occurrences + 1, last_seen=max(ticket.last_seen, at))


def _repeat(ticket: Ticket, policy: TicketPolicy) -> Step:
    if policy.repeat == "comment":
        return Step(ticket, (PlannedJob(JobKind.COMMENT),))
    if policy.repeat == "update":
        return Step(ticket, (PlannedJob(JobKind.UPDATE_ISSUE),))
    if policy.repeat == "none" or ticket.digest_pending:
        return Step(ticket)  # a pending digest will report this occurrence too
    pending = replace(ticket, digest_pending=True)
    return Step(pending, (PlannedJob(JobKind.DIGEST, _digest_due(pending, policy)),))


def _digest_due(ticket: Ticket, policy: TicketPolicy) -> datetime:
    """The digest's rate rule: at most one write per interval per issue, the first one an
    interval after the first occurrence — a storm costs one create and one edit per interval."""
    return (ticket.last_digest_at or ticket.first_seen) + policy.digest_interval


def _digested(ticket: Ticket, written: DigestWritten, policy: TicketPolicy) -> Step:
    merged = replace(
        ticket,
        digest_comment_id=written.comment_id,
        last_digest_at=written.at,
        digested_occurrences=written.occurrences,
        digest_pending=ticket.occurrences > written.occurrences,
    )
    if not merged.digest_pending:
        return Step(merged)
    # Occurrences arrived while it was written: one more digest, an interval later.
    return Step(merged, (PlannedJob(JobKind.DIGEST, _digest_due(merged, policy)),))


def _moved(
    ticket: Ticket, category: str, resolution: str | None, at: datetime, policy: TicketPolicy
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
