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

Callbacks (`callbacks:`): a transition that changes the state of the ticket's alerts asks for a
`callback` job per rule that names the new state (`callbacks_for`, state before → state
after). `advance` and `after_write` include them; a transition added elsewhere (two-way sync's)
calls `callbacks_for` with the ticket before and after.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from ticketbridge.domain.alert import Alert
from ticketbridge.domain.decision import CallbackRule, Decision, DecisionKind, TicketPolicy
from ticketbridge.domain.grouping import EpicGroup, IssueLink
from ticketbridge.domain.observed import IssueObservation
from ticketbridge.domain.sla import BreachActions
from ticketbridge.domain.states import AlertState, JobKind, StatusCategory, TicketStatus
from ticketbridge.domain.ticket import Ticket

_OPENING = (DecisionKind.CREATE, DecisionKind.NEW_LINKED)


@dataclass(frozen=True)
class PlannedJob:
    """A Jira write a transition asks for, for the ticket of its `Step`."""

    kind: JobKind
    not_before: datetime | None = None
    # What the job needs besides its alert, added to its payload (a callback's name and state).
    detail: tuple[tuple[str, str], ...] = ()
    # Asked for alerts of this source only (a callback): dropped for an alert of another.
    only_source: str | None = None


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
    step = _advanced(current, decision, alert, now, policy, opening)
    return with_callbacks(None if step.opened else current, step, policy)


def _advanced(
    current: Ticket | None,
    decision: Decision,
    alert: Alert,
    now: datetime,
    policy: TicketPolicy,
    opening: Opening,
) -> Step:
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
        # With `on_source_resolved.transition` the job moves the issue to done, with the
        # Jira resolution the source's own maps to (a false positive stays one).
        resolution = policy.jira_resolution(alert)
        resolved = (
            _moved(current, "done", resolution, now, policy)
            if policy.resolve_transition
            else current
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


# --- what Jira tells (two-way sync) --------------------------------------------------------

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


def refingerprinted(ticket: Ticket, fingerprint: str) -> Ticket:
    """The open ticket under the key its first alert has with the source's new fingerprint
    fields (`tickets refingerprint`): the next alerts fold into it instead of forking."""
    return replace(ticket, fingerprint=fingerprint)


def callbacks_for(
    before: Ticket | None, after: Ticket | None, policy: TicketPolicy
) -> tuple[PlannedJob, ...]:
    """The callback jobs a ticket's change from `before` (None: a new ticket) to `after` asks
    for: one per rule whose `on` names the state its alerts are in now, when that state is new.
    An epic's ticket stands for no alert of its own: it calls no source back."""
    if after is None or after.is_epic or not policy.callbacks:
        return ()
    state = after.alert_state()
    if before is not None and before.alert_state() is state:
        return ()
    return tuple(_callback(rule, state) for rule in policy.callbacks if state in rule.on)


def with_callbacks(before: Ticket | None, step: Step, policy: TicketPolicy) -> Step:
    """`step` with the callback jobs of its ticket's change from `before`."""
    extra = callbacks_for(before, step.ticket, policy)
    return replace(step, jobs=(*step.jobs, *extra)) if extra else step


def _callback(rule: CallbackRule, state: AlertState) -> PlannedJob:
    detail = (("callback", rule.name), ("state", state.value))
    return PlannedJob(JobKind.CALLBACK, detail=detail, only_source=rule.source)


# --- stale escalation ----------------------------------------------------------------------


@dataclass(frozen=True)
class Escalation:
    """`sync.escalate` as the ticket's life needs it; `notify`: a Slack message as well."""

    stale_after: timedelta
    notify: bool = False


def stale_since(ticket: Ticket) -> datetime:
    """Since when nobody but ticketbridge has touched the issue: its first alert, our last
    escalation (our own writes never count as an update) or the last update of Jira's issue
    by another account (two-way sync's applied, non-echo observations), the latest of them."""
    return max(
        ticket.first_seen,
        ticket.escalated_at or ticket.first_seen,
        ticket.touched_at or ticket.first_seen,
    )


def escalate(ticket: Ticket, now: datetime, escalation: Escalation) -> Step:
    """A stale ticket (open issue, quiet for `stale_after`) escalated once more: the Jira
    write (priority, labels, a comment saying why) and the Slack message. Anything else, or
    a ticket already escalated this stale period, is left as it is."""
    open_issue = ticket.status is TicketStatus.LINKED and not ticket.is_done
    if not open_issue or ticket.is_epic or now - stale_since(ticket) < escalation.stale_after:
        return Step(ticket)
    quiet = (("stale_since", stale_since(ticket).isoformat()),)
    jobs = [PlannedJob(JobKind.ESCALATE, detail=quiet)]
    if escalation.notify:
        jobs.append(PlannedJob(JobKind.NOTIFY, detail=quiet))
    escalated = replace(ticket, escalated_at=now, escalations=ticket.escalations + 1)
    return Step(escalated, tuple(jobs))


def sla_breached(before: Ticket, marked: Ticket, now: datetime, actions: BreachActions) -> Step:
    """A ticket the SLA scan found breached (`marked`: as `sla_marked` left it; `before`: as
    it was): once per breach, for an open issue, what `sla.on_breach` asks for — the stale
    escalation's Jira write (which counts as an escalation: the stale clock restarts) and its
    Slack message. A breach already recorded, or a done issue, asks for nothing."""
    breached_at = marked.sla_breached_at
    open_issue = marked.status is TicketStatus.LINKED and not (marked.is_done or marked.is_epic)
    if breached_at is None or before.sla_breached_at is not None or not open_issue:
        return Step(marked)
    why = (("reason", "sla_breached"), ("breached_at", breached_at.isoformat()))
    wanted = ((JobKind.ESCALATE, actions.escalate), (JobKind.NOTIFY, actions.notify))
    jobs = tuple(PlannedJob(kind, detail=why) for kind, asked in wanted if asked)
    if not actions.escalate:
        return Step(marked, jobs)
    escalated = replace(marked, escalated_at=now, escalations=marked.escalations + 1)
    return Step(escalated, jobs)


def sla_marked(
    ticket: Ticket, state: str | None, at_risk_at: datetime | None, breached_at: datetime | None
) -> Ticket:
    """The ticket's SLA as the scan (or `sla recompute`) computed it from the issue's events:
    the worst clock's state and when it got at risk / breached (None: not)."""
    return replace(ticket, sla_state=state, sla_at_risk_at=at_risk_at, sla_breached_at=breached_at)


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
