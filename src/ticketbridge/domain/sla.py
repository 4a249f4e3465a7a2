"""SLA clocks (issue 15 item 3), computed from what happened to the issue — never counted up
in place — so a new or changed SLA recomputes history (`ticketbridge sla recompute`), which
Jira Service Management's counters cannot do.

Both clocks start at the alert's `occurred_at` (detection, not ticket creation):
- first response: the first assignment, the first transition out of the `new` category, or the
  first comment by an account other than ours — whichever comes first;
- resolution: the issue reaching the `done` category (and staying there: a reopen resumes it).
Time spent in a pause status (`pause`, e.g. "Waiting for customer") does not count. A clock is
`met` when its event came within budget, `breached` once the budget is spent (with the moment
it was), `at_risk` from `at_risk` × budget (default 75%), else `running`.
Pure: events in, clocks out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from ticketbridge.domain.severity import Severity
from ticketbridge.domain.ticket import Ticket

EventKind = Literal["assigned", "status", "comment"]


@dataclass(frozen=True)
class IssueEvent:
    """One thing that happened to the issue (from the stored observations: two-way sync)."""

    at: datetime
    kind: EventKind
    by_us: bool = False  # our own account did it (our writes are never a response)
    status: str | None = None  # `status`: the status name it moved to
    category: str | None = None  # `status`: its category (new | indeterminate | done)


@dataclass(frozen=True)
class TicketEvent:
    """An `IssueEvent` of one ticket as stored (`ticket_events`): `key` makes recording it
    again (a delivery repeated, a snapshot applied twice) a no-op."""

    ticket_id: int
    key: str
    event: IssueEvent


@dataclass(frozen=True)
class SlaSubject:
    """A ticket whose clocks the scan computes, with what picks its SLA: the severity and
    route of the alert that opened it."""

    ticket: Ticket
    severity: Severity
    route: str | None


@dataclass(frozen=True)
class BreachActions:
    """What a breach asks for besides being recorded (`sla.on_breach`)."""

    escalate: bool = False  # the stale escalation's Jira write
    notify: bool = False  # its Slack message


@dataclass(frozen=True)
class SlaPolicy:
    """The budgets that apply to one ticket (its route's `sla`, else the defaults', by
    severity); None: no such clock."""

    first_response: timedelta | None
    resolution: timedelta | None
    pause: frozenset[str] = frozenset()
    at_risk: float = 0.75
    on_breach: BreachActions = BreachActions()


class ClockState(StrEnum):
    RUNNING = "running"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"


@dataclass(frozen=True)
class SlaClock:
    budget: timedelta
    elapsed: timedelta  # counted time (pauses left out) until the event, or until now
    state: ClockState
    stopped_at: datetime | None  # the response or resolution, when there was one
    at_risk_at: datetime | None  # when `at_risk` × budget was reached (None: not yet)
    breached_at: datetime | None  # when the budget was spent (None: not, or not yet)


@dataclass(frozen=True)
class SlaStatus:
    first_response: SlaClock | None
    resolution: SlaClock | None

    @property
    def worst(self) -> ClockState | None:
        """The state the ticket is listed under (`sla=at_risk|breached`)."""
        states = [c.state for c in (self.first_response, self.resolution) if c is not None]
        for state in (ClockState.BREACHED, ClockState.AT_RISK, ClockState.RUNNING):
            if state in states:
                return state
        return ClockState.MET if states else None


def sla_status(
    occurred_at: datetime, events: Sequence[IssueEvent], now: datetime, policy: SlaPolicy
) -> SlaStatus:
    """Both clocks of one issue at `now`, from its events (in any order)."""
    ordered = sorted(events, key=lambda e: e.at)
    running = _Running(occurred_at, _pauses(occurred_at, ordered, policy.pause, now))
    response = next((e.at for e in ordered if _is_response(e)), None)
    first = _clock(running, policy.first_response, response, now, policy.at_risk)
    second = _clock(running, policy.resolution, _resolved_at(ordered), now, policy.at_risk)
    return SlaStatus(first, second)


def _is_response(event: IssueEvent) -> bool:
    if event.by_us:
        return False
    if event.kind == "status":
        return event.category not in (None, "new")
    return True  # an assignment, or a comment by someone else


def _resolved_at(ordered: Sequence[IssueEvent]) -> datetime | None:
    """When the issue last reached done, if it is done now."""
    done_at: datetime | None = None
    for event in ordered:
        if event.kind == "status":
            done_at = (done_at or event.at) if event.category == "done" else None
    return done_at


def _pauses(
    start: datetime, ordered: Sequence[IssueEvent], pause: frozenset[str], now: datetime
) -> list[tuple[datetime, datetime]]:
    """The intervals spent in a pause status."""
    intervals: list[tuple[datetime, datetime]] = []
    since: datetime | None = None
    for event in (e for e in ordered if e.kind == "status"):
        paused = event.status in pause
        if paused and since is None:
            since = max(event.at, start)
        elif not paused and since is not None:
            intervals.append((since, event.at))
            since = None
    if since is not None:
        intervals.append((since, max(now, since)))
    return intervals


@dataclass(frozen=True)
class _Running:
    """Counted time from `start`, leaving out `pauses`."""

    start: datetime
    pauses: list[tuple[datetime, datetime]]

    def elapsed(self, until: datetime) -> timedelta:
        paused = sum(
            (min(end, until) - begin for begin, end in self.pauses if begin < until),
            timedelta(0),
        )
        return max(until - self.start - paused, timedelta(0))

    def moment(self, counted: timedelta) -> datetime:
        """When the counted time reaches `counted` (pauses pushing it later)."""
        at = self.start + counted
        for begin, end in self.pauses:
            if begin < at:
                at += end - begin
        return at


def _clock(
    running: _Running,
    budget: timedelta | None,
    stopped_at: datetime | None,
    now: datetime,
    at_risk: float,
) -> SlaClock | None:
    if budget is None:
        return None
    elapsed = running.elapsed(stopped_at or now)
    risk_point, limit = running.moment(budget * at_risk), running.moment(budget)
    end = stopped_at or now
    at_risk_at = risk_point if risk_point <= end else None
    breached_at = limit if elapsed > budget else None
    if breached_at is not None:
        state = ClockState.BREACHED
    elif stopped_at is not None:
        state = ClockState.MET
    elif at_risk_at is not None:
        state = ClockState.AT_RISK
    else:
        state = ClockState.RUNNING
    return SlaClock(budget, elapsed, state, stopped_at, at_risk_at, breached_at)
