"""What Jira told us about one of our issues (two-way sync, SPEC §6): the contract between the
ways an observation arrives (a webhook delivery, a reconcile fetch) and the one place that
applies it to the ticket (`domain.life`, through `services.ports.ObservationSink`).

An observation is a snapshot *as of* `updated` (then `changelog_id`): applying one older than
the ticket's watermark changes nothing (it is stale), so deliveries may arrive in any order,
twice, or not at all and be made up by reconcile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ticketbridge.domain.states import StatusCategory


class ObservedVia(StrEnum):
    WEBHOOK = "webhook"
    RECONCILE = "reconcile"


@dataclass(frozen=True)
class StatusChange:
    """One status transition from the changelog (kept for SLA clocks and approvals)."""

    at: datetime
    changelog_id: int | None
    from_status_id: str | None
    to_status_id: str
    to_category: StatusCategory | None
    author_account_id: str | None
    # The changelog's `toString`: SLA pauses are configured by status name, and a transition
    # into a pause status counts from its own moment even when the issue has left it since;
    # approvals may be named too (`sync.approvals.statuses`). Never used to decide a state.
    to_status_name: str | None = None


@dataclass(frozen=True)
class ObservedComment:
    """A comment seen on the issue (first response, approvals by comment)."""

    comment_id: str
    at: datetime
    author_account_id: str | None
    text: str  # plain text (ADF or wiki flattened), bounded by the parser
    deleted: bool = False


@dataclass(frozen=True)
class ObservedPerson:
    """Who an account is, as the delivery told it (the audit trail's reviewers)."""

    account_id: str
    display_name: str | None = None
    email: str | None = None  # only where Jira gives it (Cloud hides it by default)


@dataclass(frozen=True)
class IssueObservation:
    """One issue's state as Jira reported it at `updated`.

    `deleted` observations carry only the ids; every other field is then None/empty.
    `author_account_id` is who caused this change (the webhook's `user`, the last changelog
    entry's author): the echo guard compares it with our own account.
    """

    issue_id: str
    issue_key: str
    updated: datetime  # fields.updated, to the millisecond (the watermark's first part)
    via: ObservedVia
    changelog_id: int | None = None  # the latest changelog entry's id (the watermark's tie-break)
    deleted: bool = False
    status_id: str | None = None
    status_name: str | None = None  # for display only: never used to decide (localized sites)
    status_category: StatusCategory | None = None
    resolution_id: str | None = None
    resolution: str | None = None  # Jira's resolution name, mapped by `sync.resolutions`
    assignee_account_id: str | None = None
    assignee_name: str | None = None
    priority: str | None = None
    author_account_id: str | None = None
    transitions: tuple[StatusChange, ...] = ()
    comments: tuple[ObservedComment, ...] = ()
    people: tuple[ObservedPerson, ...] = ()  # the accounts named above, as Jira described them
    thin: bool = False  # a Data Center delivery without the fields: complete it with one GET

    @property
    def has_state(self) -> bool:
        """Whether it tells the issue's state: a comment event (no status) or a thin delivery
        (to complete first) does not, so it never moves the watermark or the alert's state."""
        return self.deleted or (self.status_id is not None and not self.thin)

    @property
    def watermark(self) -> tuple[datetime, int]:
        """Order of observations of one issue: `updated`, then the changelog id."""
        return (self.updated, self.changelog_id or 0)
