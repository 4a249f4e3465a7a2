"""The SQL of each report metric, defined once (domain.reports names them, docs/metrics.md says
them in prose): the *facts* (a ticket with the alert that opened it) and one boolean condition
per metric. A summary counts rows meeting a condition; a drill-down lists the same rows with
the same condition, so a number always equals the rows behind it.

The two databases differ in three places only, isolated here: seconds between two moments,
the UTC day of a moment, and percentiles (storage.report_spread)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    CTE,
    ColumnElement,
    Float,
    Interval,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
)

from ticketbridge.domain import DecisionKind, TicketStatus
from ticketbridge.domain.reports import (
    AT_RISK_SHARE,
    BUCKET_BOUNDS,
    DAY,
    MISSING_KEY,
    Bucket,
    Dimension,
    Drill,
    Metric,
    Period,
    PeriodName,
    ReportFilter,
)
from ticketbridge.storage.tables import UtcDateTime, alerts, outbox_jobs, tickets


def constant(value: str) -> ColumnElement[str]:
    """One of our own vocabulary's values written into the SQL, not bound: a partial index
    (migration 0012) is used only when the query's condition is its condition, value included
    (SQLite and PostgreSQL's generic plans cannot see into a bound value)."""
    assert value.isidentifier(), value  # vocabulary only: never data
    return literal_column(f"'{value}'", String)


OPENING = (constant(DecisionKind.CREATE.value), constant(DecisionKind.NEW_LINKED.value))
"""The decisions whose alert opened its ticket (the ticket's severity, source, kind, route)."""
LIVE = (TicketStatus.PENDING.value, TicketStatus.LINKED.value)  # dead, detached: not backlog
PERIODS: tuple[PeriodName, ...] = ("current", "previous")


def at(moment: datetime) -> ColumnElement[datetime]:
    """A moment as a bound value of the tables' own type (naive UTC text on SQLite)."""
    return literal(moment, UtcDateTime)


@dataclass(frozen=True)
class Dialect:
    postgres: bool

    def seconds(self, later: ColumnElement[datetime], earlier: ColumnElement[datetime]) -> Any:
        """Seconds from `earlier` to `later`."""
        if self.postgres:
            return cast(func.extract("epoch", later - earlier), Float)
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0

    def span(self, later: ColumnElement[datetime], earlier: ColumnElement[datetime]) -> Any:
        """`later − earlier`, as `length()` values compare with: PostgreSQL's own interval
        (integer microseconds; made seconds, the SLA counts' comparisons took a third of the
        ticket counts' time at 30 days), SQLite's seconds."""
        return later - earlier if self.postgres else self.seconds(later, earlier)

    def length(self, seconds: float) -> Any:
        """`seconds` comparable with a `span()`."""
        if self.postgres:
            return literal(timedelta(seconds=seconds), Interval)
        return literal(seconds, Float)

    def day(self, moment: ColumnElement[datetime]) -> ColumnElement[str]:
        """The UTC calendar day of a moment, as YYYY-MM-DD."""
        if self.postgres:
            return func.to_char(func.timezone("UTC", moment), "YYYY-MM-DD", type_=String)
        return func.date(moment, type_=String)


Opening = Literal["inner", "outer", "none"]
"""How `facts` joins each ticket's opening alert: "inner" (the tickets an alert opened: what
every figure by severity, source, kind or route counts), "none" (a figure that reads none of
its columns and has no filter on one: the join was a third of its time; every ticket but an
epic has its opening alert, the decider writes the two in one transaction), "outer" (the rows
behind such a figure: the same tickets, with their alert's columns)."""


def facts(
    period: Period, where: ReportFilter, *, reopens: bool = True, opening: Opening = "inner"
) -> CTE:
    """Tickets (epics left out: no alert opens them) with their opening alert's severity,
    source, kind and route, their alert state, and (`reopens`: for the statements that count
    or list `reopened`) how often an alert reopened them in each period. Filters apply here,
    so every metric sees the same tickets."""
    origin = alerts.alias("origin")
    state = alert_state()
    joined = opening != "none" or _filters_opening(where)
    opened = (origin.c.severity, origin.c.source, origin.c.kind, origin.c.route, origin.c.alert_id)
    query = select(*_TICKET_COLUMNS, *(opened if joined else ()), state.label("state")).where(
        tickets.c.group_key.is_(None)
    )
    if joined:
        query = query.join_from(
            tickets,
            origin,
            and_(origin.c.ticket_id == tickets.c.id, origin.c.decision.in_(OPENING)),
            isouter=opening == "outer",
        )
    if reopens:  # an outer join with the periods' reopens: only where they are counted
        counted = _reopens(period)
        query = query.outerjoin(counted, counted.c.ticket_id == tickets.c.id).add_columns(
            func.coalesce(counted.c.current, 0).label("reopens_current"),
            func.coalesce(counted.c.previous, 0).label("reopens_previous"),
        )
    for column, value in (
        (tickets.c.project, where.project),
        (origin.c.route, where.route),
        (origin.c.source, where.source),
        (origin.c.kind, where.kind),
        (origin.c.severity, where.severity),
        (state, where.state),
    ):
        if value is not None:
            query = query.where(column == value)
    # Inlined where it is used, never materialized whole: each use's period condition then
    # reaches the tickets' indexes (SQLite >= 3.35 and PostgreSQL >= 12 take the hint).
    return query.cte("facts").prefix_with("NOT MATERIALIZED")


_TICKET_COLUMNS = tuple(
    tickets.c[name]
    for name in (
        "id", "project", "issue_key", "status", "status_category", "resolution", "outcome",
        "first_seen", "done_at", "occurrences", "priority", "assignee_id", "assignee_name",
        "status_name", "deleted_at",
    )
)  # fmt: skip


def _filters_opening(where: ReportFilter) -> bool:
    return any(v is not None for v in (where.route, where.source, where.kind, where.severity))


def alert_state() -> ColumnElement[str]:
    """`Ticket.alert_state()` in SQL (tests/integration/storage/test_reports.py holds the two
    to the same answer for every combination)."""
    t = tickets.c
    synced = case((t.synced_state == "open", "ticketed"), else_=t.synced_state)
    return case(
        (t.status == TicketStatus.DEAD.value, "dead"),
        (t.deleted_at.isnot(None), "ticket_deleted"),
        (and_(t.synced_state.isnot(None), t.issue_key.isnot(None)), synced),
        (t.issue_key.is_(None), "open"),
        (t.status_category == "indeterminate", "in_progress"),
        (t.status_category == "done", func.coalesce(t.outcome, "resolved")),
        else_="ticketed",
    )


def _reopens(period: Period) -> Any:
    reopen = and_(
        alerts.c.decision == constant(DecisionKind.REOPEN.value), alerts.c.ticket_id.isnot(None)
    )
    counts = {
        which: func.sum(case((_within(alerts.c.received_at, period, which), 1), else_=0))
        for which in PERIODS
    }
    return (
        select(
            alerts.c.ticket_id,
            counts["current"].label("current"),
            counts["previous"].label("previous"),
        )
        .where(reopen, alerts.c.received_at >= at(period.previous_start))
        .where(alerts.c.received_at < at(period.end))
        .group_by(alerts.c.ticket_id)
        .subquery("reopens")
    )


def reopened_ids(period: Period) -> Any:
    """The tickets an alert reopened in either period (`Metric.REOPENED`'s candidates)."""
    return select(alerts.c.ticket_id).where(
        alerts.c.decision == constant(DecisionKind.REOPEN.value),
        alerts.c.received_at >= at(period.previous_start),
        alerts.c.received_at < at(period.end),
    )


def _within(column: Any, period: Period, which: PeriodName) -> ColumnElement[bool]:
    start, end = period.bounds(which)
    return and_(column >= at(start), column < at(end))


@dataclass(frozen=True)
class Conditions:
    """Each ticket metric's condition over `facts` for one period."""

    f: Any  # the facts CTE's columns
    period: Period
    which: PeriodName
    sla: Mapping[str, timedelta]  # severity → SLA target
    dialect: Dialect

    def of(self, metric: Metric, bucket: Bucket | None = None) -> ColumnElement[bool]:
        f = self.f
        if metric is Metric.CREATED:
            return _within(f.first_seen, self.period, self.which)
        if metric in (Metric.RESOLVED, Metric.TIME_TO_RESOLUTION):
            return and_(f.status_category == "done", _within(f.done_at, self.period, self.which))
        if metric is Metric.FALSE_POSITIVES:
            return and_(self.of(Metric.RESOLVED), f.outcome == "false_positive")
        if metric is Metric.REOPENED:
            return getattr(f, f"reopens_{self.which}") > 0  # type: ignore[no-any-return]
        if metric is Metric.BACKLOG:
            return self._backlog(bucket)
        if metric in (Metric.SLA_MET, Metric.SLA_BREACHED, Metric.SLA_AT_RISK):
            return and_(self.of(Metric.CREATED), self._sla(metric))
        return literal(False)  # time to first response: no data yet (domain.reports.NOT_YET)

    def open_at(self, moment: datetime) -> ColumnElement[bool]:
        """Live, first alert before `moment`, not done and its issue not deleted at `moment`."""
        f = self.f
        not_done = or_(
            f.status_category.is_(None), f.status_category != "done", f.done_at >= at(moment)
        )
        there = or_(f.deleted_at.is_(None), f.deleted_at >= at(moment))
        return and_(f.status.in_(LIVE), f.first_seen < at(moment), not_done, there)

    def _backlog(self, bucket: Bucket | None) -> ColumnElement[bool]:
        condition = self.open_at(self.period.as_of(self.which))
        return condition if bucket is None else and_(condition, self._aged(bucket))

    def _aged(self, bucket: Bucket) -> ColumnElement[bool]:
        """The bucket's age bounds at the period's *as of* (open or not)."""
        as_of = self.period.as_of(self.which)
        older_than, at_most = BUCKET_BOUNDS[bucket]
        condition: ColumnElement[bool] = literal(True)
        if older_than is not None:
            condition = and_(condition, self.f.first_seen < at(as_of - older_than))
        if at_most is not None:
            condition = and_(condition, self.f.first_seen >= at(as_of - at_most))
        return condition

    def backlog_bucket(self) -> Any:
        """The ticket's backlog bucket (NULL: not in the backlog): `of(BACKLOG, b)` for each
        bucket b as one value, so one pass counts them all (the buckets part the ages)."""
        buckets = case(*((self._aged(b), b.value) for b in Bucket), else_=null())
        return case((self._backlog(None), buckets), else_=null())

    def target(self) -> Any:
        """The ticket's SLA target in seconds (NULL: its severity has none)."""
        return self._per_severity(lambda target: target.total_seconds())

    def _limit(self, share: float = 1.0) -> Any:
        """`share` of the ticket's SLA target as the dialect compares spans (NULL: none)."""
        return self._per_severity(lambda t: self.dialect.length(t.total_seconds() * share))

    def _per_severity(self, value: Callable[[timedelta], Any]) -> Any:
        whens = [(self.f.severity == s, value(target)) for s, target in self.sla.items()]
        return case(*whens, else_=null()) if whens else null()

    def _sla(self, metric: Metric) -> ColumnElement[bool]:
        """Judged now, for either period's tickets: done within the target, or not (no target:
        every comparison is NULL, so none of the three)."""
        f, target, now = self.f, self._limit(), self.period.now
        done = and_(f.status_category == "done", f.done_at.isnot(None))
        taken = self.dialect.span(f.done_at, f.first_seen)
        elapsed = self.dialect.span(at(now), f.first_seen)
        live = self.open_at(now)
        if metric is Metric.SLA_MET:
            return and_(done, taken <= target)
        if metric is Metric.SLA_BREACHED:
            return or_(and_(done, taken > target), and_(live, elapsed > target))
        return and_(live, elapsed <= target, elapsed >= self._limit(AT_RISK_SHARE))


def dimension_key(f: Any, dimension: Dimension) -> ColumnElement[str]:
    """A ticket's key in a breakdown. Priority and assignee are what Jira last told two-way
    sync (the seed's spelling: the name shown, `Unknown` / `Unassigned` when Jira has told
    none); an assignee whose name Jira hides is keyed by account id."""
    if dimension in (Dimension.PRIORITY, Dimension.JIRA_STATUS):
        told = f.priority if dimension is Dimension.PRIORITY else f.status_name
        return func.coalesce(func.nullif(told, ""), MISSING_KEY[dimension])
    if dimension is Dimension.ASSIGNEE:
        named = func.nullif(f.assignee_name, "")
        return func.coalesce(named, func.nullif(f.assignee_id, ""), MISSING_KEY[dimension])
    if dimension is Dimension.STATUS:
        return f.state  # type: ignore[no-any-return]
    if dimension is Dimension.ROUTE:
        return func.coalesce(f.route, MISSING_KEY[dimension])
    return getattr(f, dimension.value)  # type: ignore[no-any-return]


def day_bounds(drill: Drill) -> tuple[datetime, datetime] | None:
    if drill.day is None:
        return None
    start = datetime.fromisoformat(drill.day).replace(tzinfo=UTC)
    return start, start + DAY


def alert_condition(period: Period, which: PeriodName, where: ReportFilter) -> Any:
    """`Metric.ALERTS`: alerts received in the period that went to a ticket."""
    condition = and_(alerts.c.ticket_id.isnot(None), _within(alerts.c.received_at, period, which))
    for column, value in (
        (alerts.c.route, where.route),
        (alerts.c.source, where.source),
        (alerts.c.kind, where.kind),
        (alerts.c.severity, where.severity),
    ):
        if value is not None:
            condition = and_(condition, column == value)
    if where.project is not None:
        of_project = select(tickets.c.id).where(tickets.c.project == where.project)
        condition = and_(condition, alerts.c.ticket_id.in_(of_project))
    return condition


def dead_condition(
    period: Period, which: PeriodName, where: ReportFilter, scope: CTE | None
) -> Any:
    """`Metric.DEAD_LETTERS`: jobs dead now that died (last updated) in the period; `scope`:
    the facts, when a filter other than project narrows the tickets."""
    j = outbox_jobs.c
    condition = and_(j.state == constant("dead"), _within(j.updated_at, period, which))
    if where.project is not None:
        condition = and_(condition, j.project == where.project)
    if scope is not None:
        condition = and_(condition, j.ticket_id.in_(select(scope.c.id)))
    return condition
