"""Alert states (SPEC §6), Jira's status categories and outbox job kinds/states: the vocabulary
of the alert's life. The configuration (`sync.status`, `sync.resolutions`, `callbacks.on`)
refers to these; nothing else defines them."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args

Flavor = Literal["cloud", "datacenter"]
"""Which Jira: Cloud (REST v3, ADF) or Data Center (REST v2, wiki markup)."""
StatusCategory = Literal["new", "indeterminate", "done"]
"""Jira's `statusCategory.key`: statuses are mapped by their category, never by name (SPEC §6)."""
STATUS_CATEGORIES: tuple[StatusCategory, ...] = get_args(StatusCategory)


def status_category(key: object) -> StatusCategory | None:
    """Jira's `statusCategory.key` as a `StatusCategory`; None for anything else (`undefined`
    in some old Data Center answers, a missing key)."""
    return next((c for c in STATUS_CATEGORIES if c == key), None)


TemplateFormat = Literal["markdown", "wiki"]
"""The markup a template is written in: markdown (rendered to ADF or wiki) or Jira wiki markup."""


class AlertState(StrEnum):
    OPEN = "open"  # accepted, its ticket not created yet
    TICKETED = "ticketed"  # the issue exists, not started
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    FALSE_POSITIVE = "false_positive"
    ACCEPTED = "accepted"  # e.g. resolved as "Won't Fix": a risk accepted
    SUPPRESSED = "suppressed"  # recurred within the false-positive window
    IGNORED = "ignored"  # below min_severity, `action: ignore`, or nothing to act on
    DEAD = "dead"  # its Jira write failed permanently (dead-letter list)
    # Its issue was deleted in Jira (two-way sync): never recreated behind the user's back
    # unless `sync.recreate_on_delete` says so.
    TICKET_DELETED = "ticket_deleted"


JIRA_OUTCOMES = frozenset(
    {
        AlertState.OPEN,
        AlertState.IN_PROGRESS,
        AlertState.RESOLVED,
        AlertState.FALSE_POSITIVE,
        AlertState.ACCEPTED,
    }
)
"""The alert states a Jira status or resolution can move an alert to (`sync.status`,
`sync.resolutions`, the states a callback may be sent `on`)."""


CALLBACK_STATES = frozenset(AlertState) - {AlertState.SUPPRESSED, AlertState.IGNORED}
"""The states a ticket's alerts can move to (`Ticket.alert_state`): what `callbacks.on` names.
Suppressed and ignored are an alert's own, with no ticket to follow."""


class TicketStatus(StrEnum):
    """Where our side of a ticket is: the create pending, the issue known, or the create dead."""

    PENDING = "pending"
    LINKED = "linked"
    DEAD = "dead"
    # Its issue is on another Jira site than the one we now talk to, and the user chose to keep
    # the sites apart (`ticketbridge site separate`): never written to again; the next alert
    # of its fingerprint gets a fresh issue on the current site.
    DETACHED = "detached"


class JobKind(StrEnum):
    """Every write the pipeline makes — to Jira, back to a source, to Slack — is one outbox job
    of one of these kinds."""

    CREATE_ISSUE = "create_issue"
    LINK_PREVIOUS = "link_previous"  # a new issue `relates to` the done one it follows
    LINK_ISSUES = "link_issues"  # the route's `link:` options, made once the issue exists
    DIGEST = "digest"  # the occurrence digest comment, edited in place
    COMMENT = "comment"  # a repeat as its own comment
    UPDATE_ISSUE = "update_issue"  # a repeat refreshing summary/description
    REOPEN = "reopen"  # transition a done issue back to a not-done status
    RESOLVE = "resolve"  # the source resolved: comment and optionally transition to done
    ESCALATE = "escalate"  # stale: priority raised, labels added, a comment saying why
    CALLBACK = "callback"  # tell the source what became of its alert (`callbacks:`)
    NOTIFY = "notify"  # a Slack message (`sync.notify.slack_webhook`)


OUTWARD_KINDS = frozenset({JobKind.CALLBACK, JobKind.NOTIFY})
"""The jobs sent to someone other than Jira: the outbox's Jira worker leaves them to the
callback sender (they neither wait for Jira nor hold its writes)."""


class JobState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"
