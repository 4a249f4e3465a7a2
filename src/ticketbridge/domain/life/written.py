"""What a Jira write did (`after_write`): the issue created, a job dead, the digest written,
the issue moved in Jira."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from ticketbridge.domain.decision import TicketPolicy
from ticketbridge.domain.life.callbacks import with_callbacks
from ticketbridge.domain.life.parts import _digest_due, _moved
from ticketbridge.domain.life.step import PlannedJob, Step
from ticketbridge.domain.states import JobKind, StatusCategory, TicketStatus
from ticketbridge.domain.ticket import Ticket


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

    status_category: StatusCategory
    resolution: str | None
    at: datetime


Written = IssueCreated | JobDied | DigestWritten | IssueMoved


def after_write(ticket: Ticket, result: Written, policy: TicketPolicy) -> Step:
    """`ticket` (as it is now: the decider may have moved it since the job was queued) after
    a job's outcome, with the jobs that outcome asks for (another digest, callbacks)."""
    return with_callbacks(ticket, _written(ticket, result, policy), policy)


def _written(ticket: Ticket, result: Written, policy: TicketPolicy) -> Step:
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
