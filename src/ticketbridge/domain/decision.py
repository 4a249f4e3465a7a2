"""What to do with an alert, decided by fingerprint (SPEC §4.2-4.3). Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from ticketbridge.domain.alert import Alert, AlertStatus
from ticketbridge.domain.states import AlertState, TicketStatus
from ticketbridge.domain.ticket import Ticket

RepeatMode = Literal["digest", "comment", "update", "none"]
"""What a repeat of a ticketed fingerprint does (`defaults.dedup.repeat`, SPEC §4.3)."""
RecurAfterDone = Literal["reopen", "new"]
"""What an alert recurring after its issue is done gets (`defaults.dedup.recur_after_done`)."""


class DecisionKind(StrEnum):
    CREATE = "create"
    REPEAT = "repeat"
    REOPEN = "reopen"
    NEW_LINKED = "new_linked"
    RESOLVE = "resolve"
    SUPPRESS = "suppress"
    IGNORE = "ignore"


@dataclass(frozen=True)
class Decision:
    kind: DecisionKind
    reasons: tuple[str, ...]

    @property
    def initial_state(self) -> AlertState | None:
        """The alert's own state when it does not follow its ticket's (suppressed, ignored)."""
        if self.kind is DecisionKind.SUPPRESS:
            return AlertState.SUPPRESSED
        if self.kind is DecisionKind.IGNORE:
            return AlertState.IGNORED
        return None


@dataclass(frozen=True)
class TicketPolicy:
    """How a ticket lives: `defaults.dedup` and the parts of `sync` that steer decisions and
    what jobs do. No defaults here: built from the configuration (`PipelineSettings`)."""

    repeat: RepeatMode
    recur_after_done: RecurAfterDone
    reopen_within: timedelta
    false_positive_suppress: timedelta
    # The digest comment is edited at most once per interval (SPEC §4.3 "rate-limited").
    digest_interval: timedelta
    resolve_transition: bool  # sync.on_source_resolved.transition
    resolutions: Mapping[str, AlertState]  # Jira resolution name → the alerts' outcome
    # Two-way sync (SPEC §6): Jira's status → the alerts' state, by statusCategory.key
    # (`sync.status`), overridden per status id (`sync.status_ids`); never by status name.
    status: Mapping[str, AlertState]
    status_ids: Mapping[str, AlertState]
    accepted_for: timedelta | None  # sync.accepted_for: how long an accepted risk holds
    accepted_reraise: RecurAfterDone  # sync.accepted_reraise: reopen, or a new linked issue
    recreate_on_delete: bool  # sync.recreate_on_delete: a deleted issue's alert gets a new one

    def outcome(self, resolution: str | None) -> AlertState:
        """A done issue's meaning, from its resolution name (`sync.resolutions`)."""
        return self.resolutions.get(resolution or "", AlertState.RESOLVED)

    def observed_state(
        self, status_id: str | None, category: str | None, resolution: str | None
    ) -> AlertState | None:
        """The alerts' state for a Jira status: its id's override, else its category's
        mapping; a done category's resolution refines it (`sync.resolutions`, done only)."""
        state = self.status_ids.get(status_id or "") or self.status.get(category or "")
        if category == "done" and resolution and resolution in self.resolutions:
            return self.resolutions[resolution]
        return state


def decide(
    alert: Alert,
    ticket: Ticket | None,
    policy: TicketPolicy,
    now: datetime,
    *,
    route_ignore: tuple[str, ...] | None = None,
) -> Decision:
    """The decision for `alert` given its fingerprint's current ticket (None: never ticketed).

    `route_ignore` holds routing's reasons when it said "no ticket" (`action: ignore`, below
    `min_severity`: routing applies it). A source's resolve still reaches an existing ticket.
    A ticket whose create is dead never swallows a later alert: it gets a fresh create.
    """
    if alert.status is AlertStatus.RESOLVED:
        return _decide_resolved(ticket)
    if route_ignore is not None:
        return Decision(DecisionKind.IGNORE, route_ignore or ("routing says: no ticket",))
    if ticket is None:
        return Decision(DecisionKind.CREATE, ("no ticket for this fingerprint yet",))
    if ticket.status is TicketStatus.DEAD:
        return Decision(DecisionKind.CREATE, _fresh_after_dead(ticket))
    if ticket.status is TicketStatus.DETACHED:
        return Decision(DecisionKind.CREATE, _fresh_after_detached(ticket))
    if ticket.deleted_at is not None:
        return _decide_after_deleted(ticket, policy)
    if not ticket.is_done:
        where = ticket.issue_key or "its pending issue"
        return Decision(
            DecisionKind.REPEAT,
            (f"{where} is still open; occurrence {ticket.occurrences + 1} ({policy.repeat})",),
        )
    return _decide_after_done(ticket, policy, now)


def _fresh_after_dead(ticket: Ticket) -> tuple[str, ...]:
    # Why a fresh create rather than a retry of the dead one: the dead create was drafted from
    # an earlier alert, and whatever killed it (its text, a refused field) may kill it again;
    # the new issue is drafted from this alert. The dead job stays on the dead-letter list.
    return (
        f"the create of this fingerprint's issue (generation {ticket.generation}) is dead: "
        f"a fresh issue (generation {ticket.generation + 1}) is created for this alert",
        "the dead create stays on the dead-letter list (`ticketbridge outbox list`)",
    )


def _fresh_after_detached(ticket: Ticket) -> tuple[str, ...]:
    return (
        f"{ticket.issue_key or 'its issue'} is on another Jira site ({ticket.site}), kept apart "
        "(`ticketbridge site separate`): a fresh issue is created on the current site",
    )


def _decide_resolved(ticket: Ticket | None) -> Decision:
    if ticket is None:
        return Decision(DecisionKind.IGNORE, ("source resolved an alert that has no ticket",))
    if ticket.status is TicketStatus.DEAD:
        return Decision(
            DecisionKind.IGNORE,
            ("source resolved; the issue's create is dead: nothing to resolve",),
        )
    if ticket.status is TicketStatus.DETACHED:
        return Decision(
            DecisionKind.IGNORE,
            (f"source resolved; {ticket.issue_key} is on another Jira site, kept apart",),
        )
    if ticket.deleted_at is not None:
        return Decision(
            DecisionKind.IGNORE, (f"source resolved; {ticket.issue_key} was deleted in Jira",)
        )
    if ticket.is_done:
        return Decision(
            DecisionKind.IGNORE, (f"source resolved; {ticket.issue_key} is already done",)
        )
    return Decision(
        DecisionKind.RESOLVE, (f"source resolved; {ticket.issue_key or 'pending issue'} follows",)
    )


def _decide_after_done(ticket: Ticket, policy: TicketPolicy, now: datetime) -> Decision:
    done_at = ticket.done_at or ticket.last_seen
    age = now - done_at
    key = ticket.issue_key or "its issue"
    if ticket.outcome is AlertState.FALSE_POSITIVE and age <= policy.false_positive_suppress:
        return Decision(
            DecisionKind.SUPPRESS,
            (
                f"{key} was resolved as a false positive {_days(age)} ago, within "
                f"false_positive_suppress {_days(policy.false_positive_suppress)}",
            ),
        )
    if ticket.outcome is AlertState.ACCEPTED and policy.accepted_for is not None:
        return _decide_after_accepted(ticket, policy, age)
    if policy.recur_after_done == "reopen" and age <= policy.reopen_within:
        return Decision(
            DecisionKind.REOPEN,
            (
                f"{key} was done {_days(age)} ago, "
                f"within reopen_within {_days(policy.reopen_within)}",
            ),
        )
    why = (
        f"{key} was done {_days(age)} ago, beyond reopen_within {_days(policy.reopen_within)}"
        if policy.recur_after_done == "reopen"
        else f"{key} is done and recur_after_done is 'new'"
    )
    return Decision(DecisionKind.NEW_LINKED, (why, f"the new issue relates to {key}"))


def _decide_after_deleted(ticket: Ticket, policy: TicketPolicy) -> Decision:
    key = ticket.issue_key or "its issue"
    if policy.recreate_on_delete:
        return Decision(
            DecisionKind.CREATE,
            (f"{key} was deleted in Jira; sync.recreate_on_delete: a new issue is created",),
        )
    return Decision(
        DecisionKind.SUPPRESS,
        (
            f"{key} was deleted in Jira: it is not recreated behind the user's back "
            "(sync.recreate_on_delete is off)",
        ),
    )


def _decide_after_accepted(ticket: Ticket, policy: TicketPolicy, age: timedelta) -> Decision:
    """An accepted risk holds for `accepted_for`; the first alert after it re-raises it."""
    key = ticket.issue_key or "its issue"
    held = policy.accepted_for or timedelta(0)
    if age <= held:
        return Decision(
            DecisionKind.SUPPRESS,
            (f"{key} was accepted as a risk {_days(age)} ago, held for {_days(held)}",),
        )
    why = f"{key}'s accepted risk expired ({_days(held)}): re-raised"
    if policy.accepted_reraise == "reopen":
        return Decision(DecisionKind.REOPEN, (f"{why} by reopening it",))
    return Decision(DecisionKind.NEW_LINKED, (f"{why} as a new issue", f"which relates to {key}"))


def _days(delta: timedelta) -> str:
    if delta >= timedelta(days=1):
        return f"{delta.total_seconds() / 86400:.1f}d"
    return f"{delta.total_seconds() / 3600:.1f}h"
