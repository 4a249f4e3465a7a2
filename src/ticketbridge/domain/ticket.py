"""Our record of the Jira issue that stands for one fingerprint (one per generation).

A fingerprint's first issue is generation 1. When that issue is done and the alert recurs
after the reopen window, or when its create is dead, a new issue (the next generation) is
created. The record is read everywhere; it changes only in `domain.life`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ticketbridge.domain.grouping import IssueLink
from ticketbridge.domain.states import AlertState, StatusCategory, TicketStatus


def marker_key(fingerprint: str, generation: int) -> str:
    """The string the create marker is derived from: unique per fingerprint *and* generation,
    so the marker lookup for a recurrence never finds the old, done issue."""
    return fingerprint if generation == 1 else f"{fingerprint}#{generation}"


@dataclass(frozen=True)
class Ticket:
    fingerprint: str
    generation: int
    project: str
    status: TicketStatus
    first_seen: datetime
    last_seen: datetime
    occurrences: int = 1
    id: int | None = None  # the storage row id, None until inserted
    issue_id: str | None = None
    issue_key: str | None = None
    issue_url: str | None = None
    status_category: StatusCategory | None = None
    resolution: str | None = None  # Jira's resolution name, as Jira spells it
    outcome: AlertState | None = None  # resolved | false_positive | accepted once done
    done_at: datetime | None = None
    previous_issue_key: str | None = None  # the done issue this one follows (relates to)
    digest_comment_id: str | None = None
    last_digest_at: datetime | None = None
    digest_pending: bool = False
    digested_occurrences: int = 0
    parent_id: int | None = None  # the epic's ticket: this issue goes under the epic's issue
    group_key: str | None = None  # set on an epic's ticket: the group key it stands for
    links: tuple[IssueLink, ...] = ()  # made once the issue exists (a `link_issues` job)
    # The Jira site that holds the issue, as Jira names itself (Provider.site_id): an issue
    # key means nothing on another site, so nothing is written there under this ticket.
    site: str | None = None
    # The Jira site's name in the configuration (`jira.sites`, the route's `site`) whose
    # provider writes this ticket's jobs; "" for tickets made before sites: the default site.
    connection: str = ""
    # What Jira last told about the issue (two-way sync, `domain.life.observed`): its status by
    # id (the name for display only), assignee, priority, and the watermark of the newest
    # observation applied — `updated` to the millisecond, then the changelog id.
    status_id: str | None = None
    status_name: str | None = None
    assignee_id: str | None = None
    assignee_name: str | None = None
    priority: str | None = None
    watermark_at: datetime | None = None
    watermark_changelog: int | None = None
    # The alerts' state as `sync.status` / `sync.status_ids` / `sync.resolutions` map Jira's
    # status (None: not observed since our own last write, which `status_category` tells).
    synced_state: AlertState | None = None
    deleted_at: datetime | None = None  # the issue was deleted in Jira
    # Stale escalation (`sync.escalate`): when we last escalated the issue and how often. Our
    # own escalation is no update: the next one comes a stale period after this one.
    escalated_at: datetime | None = None
    escalations: int = 0
    # The last time Jira's issue was updated by an account other than ours (applied, non-echo
    # observations): a person's change restarts the stale clock (`domain.life.stale_since`).
    touched_at: datetime | None = None
    # SLA clocks (`domain.sla`) as the last scan found them: the worst clock's state
    # (running | at_risk | breached | met) and when the ticket got at risk / breached.
    sla_state: str | None = None
    sla_at_risk_at: datetime | None = None
    sla_breached_at: datetime | None = None

    @property
    def marker_key(self) -> str:
        return marker_key(self.fingerprint, self.generation)

    @property
    def is_done(self) -> bool:
        return self.status_category == "done"

    @property
    def watermark(self) -> tuple[datetime, int] | None:
        """The newest observation applied (`IssueObservation.watermark`), None before any."""
        if self.watermark_at is None:
            return None
        return (self.watermark_at, self.watermark_changelog or 0)

    @property
    def is_epic(self) -> bool:
        return self.group_key is not None

    def alert_state(self) -> AlertState:
        """The state of the alerts this ticket stands for (SPEC §6)."""
        if self.status is TicketStatus.DEAD:
            return AlertState.DEAD
        if self.deleted_at is not None:
            return AlertState.TICKET_DELETED
        if self.synced_state is not None and self.issue_key is not None:
            # `open` in `sync.status` means "not started": the issue exists, so ticketed.
            opened = self.synced_state is AlertState.OPEN
            return AlertState.TICKETED if opened else self.synced_state
        if self.issue_key is None:
            return AlertState.OPEN
        if self.status_category == "indeterminate":
            return AlertState.IN_PROGRESS
        if self.status_category == "done":
            return self.outcome or AlertState.RESOLVED
        return AlertState.TICKETED
