"""The report metrics (SPEC §9), each defined once: its name, what it counts, the rows behind
it. docs/metrics.md is the prose of this module; storage/report_queries.py holds each metric's
one SQL condition, used both for the number and for its drill-down rows.

A report covers a *period*: the `days` UTC calendar days ending with today (today partial),
compared with the `days` days before it. Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

DAY = timedelta(days=1)
AT_RISK_SHARE = 0.75  # an open ticket is at risk once 75 % of its SLA target has elapsed
MAX_DAYS = 366


class Metric(StrEnum):
    """Every number a report shows; `GET /v1/reports/{metric}` lists the rows behind it."""

    CREATED = "created"  # tickets whose first alert occurred in the period
    RESOLVED = "resolved"  # tickets done (status category done) in the period
    BACKLOG = "backlog"  # tickets open at the period's end (by age bucket)
    FALSE_POSITIVES = "false_positives"  # resolved in the period as false positive
    REOPENED = "reopened"  # tickets an alert reopened in the period
    SLA_MET = "sla_met"  # created in the period, done within their SLA target
    SLA_BREACHED = "sla_breached"  # created in the period, done late or open past the target
    SLA_AT_RISK = "sla_at_risk"  # created in the period, open, >= 75 % of the target elapsed
    TIME_TO_RESOLUTION = "time_to_resolution"  # resolved in the period, done_at − occurred_at
    TIME_TO_FIRST_RESPONSE = "time_to_first_response"  # needs the SLA events (NOT_YET)
    ALERTS = "alerts"  # alerts received in the period that went to a ticket (dedup)
    DEAD_LETTERS = "dead_letters"  # outbox jobs that died in the period


RowKind = Literal["tickets", "alerts", "jobs"]

ROWS: dict[Metric, RowKind] = {
    **dict.fromkeys(Metric, "tickets"),
    Metric.ALERTS: "alerts",
    Metric.DEAD_LETTERS: "jobs",
}
"""What a metric's drill-down lists."""

TICKET_COUNTS = (
    Metric.CREATED,
    Metric.RESOLVED,
    Metric.BACKLOG,
    Metric.FALSE_POSITIVES,
    Metric.REOPENED,
    Metric.SLA_MET,
    Metric.SLA_BREACHED,
    Metric.SLA_AT_RISK,
)
"""The ticket metrics counted in one statement, grouped by route."""


class Dimension(StrEnum):
    """What totals and durations are broken down by."""

    STATUS = "status"  # the alert state (SPEC §6)
    JIRA_STATUS = "jira_status"  # Jira's status name, as two-way sync last saw it
    PRIORITY = "priority"
    ASSIGNEE = "assignee"
    SEVERITY = "severity"
    SOURCE = "source"
    KIND = "kind"
    ROUTE = "route"
    PROJECT = "project"


DURATION_DIMENSIONS = (Dimension.SEVERITY, Dimension.ROUTE, Dimension.SOURCE, Dimension.KIND)
TOTAL_DIMENSIONS = tuple(Dimension)

NOT_YET: dict[str, str] = {
    Metric.TIME_TO_FIRST_RESPONSE: (
        "time to first response is not recorded yet: it needs the SLA events (first response,"
        " transitions) the SLA clocks record"
    ),
}
"""Figures whose data does not exist yet, and what supplies it (shown in reports' notes).
The hook: `Conditions.of` answers no ticket for time to first response, and
`SqlReports.durations` computes time to resolution only; once the SLA events are stored,
time to first response is one more duration read there (docs/metrics.md)."""

MISSING_KEY: dict[str, str] = {
    Dimension.JIRA_STATUS: "Unknown",
    Dimension.PRIORITY: "Unknown",
    Dimension.ASSIGNEE: "Unassigned",
    Dimension.ROUTE: "(none)",
}
"""The key a ticket without a value is totalled under (the TruthVouch seed's spelling)."""


class Bucket(StrEnum):
    """Open backlog by age (days since the first alert occurred), at the period's end."""

    DAYS_1_5 = "1-5"
    DAYS_6_10 = "6-10"
    DAYS_11_30 = "11-30"
    OVER_30 = ">30"


BUCKET_BOUNDS: dict[Bucket, tuple[timedelta | None, timedelta | None]] = {
    Bucket.DAYS_1_5: (None, 5 * DAY),
    Bucket.DAYS_6_10: (5 * DAY, 10 * DAY),
    Bucket.DAYS_11_30: (10 * DAY, 30 * DAY),
    Bucket.OVER_30: (30 * DAY, None),
}
"""Age bounds (older than, at most): a ticket 5 days and 1 hour old is in 6-10."""

COUNTED: tuple[tuple[Metric, Bucket | None], ...] = (
    (Metric.CREATED, None),
    (Metric.RESOLVED, None),
    (Metric.BACKLOG, None),
    *((Metric.BACKLOG, b) for b in Bucket),
    *((m, None) for m in TICKET_COUNTS[3:]),
)
"""Every ticket count of a summary (a backlog per age bucket too), in the order shown."""

BACKLOG_COUNTED = tuple((m, b) for m, b in COUNTED if m is Metric.BACKLOG)
"""Counted apart, over all routes: the backlog reads every open ticket, the others only the
tickets of the two periods (so those are counted per route over the periods' ranges)."""
ROUTE_COUNTED = tuple((m, b) for m, b in COUNTED if m is not Metric.BACKLOG)


def count_key(metric: Metric, bucket: Bucket | None) -> str:
    return metric.value if bucket is None else f"{metric.value}:{bucket.value}"


PeriodName = Literal["current", "previous"]


@dataclass(frozen=True)
class Period:
    """The report's window and the one before it; `as_of` is when open tickets are judged
    (now, for the current period; the period's start for the previous one)."""

    days: int
    start: datetime
    end: datetime
    now: datetime

    @classmethod
    def ending_today(cls, days: int, now: datetime) -> Period:
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        end = midnight + DAY
        return cls(days, end - days * DAY, end, now)

    @property
    def previous_start(self) -> datetime:
        return self.start - self.days * DAY

    def bounds(self, which: PeriodName) -> tuple[datetime, datetime]:
        return (self.start, self.end) if which == "current" else (self.previous_start, self.start)

    def as_of(self, which: PeriodName) -> datetime:
        return min(self.now, self.end) if which == "current" else self.start


@dataclass(frozen=True)
class ReportFilter:
    """What a report keeps; None: any. `state` only narrows drill-downs and totals."""

    project: str | None = None
    route: str | None = None
    source: str | None = None
    kind: str | None = None
    severity: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class Drill:
    """Which rows of a metric: the period, and the bucket (backlog) or day (created,
    resolved) when the number is one of those."""

    metric: Metric
    period: PeriodName = "current"
    bucket: Bucket | None = None
    day: str | None = None  # YYYY-MM-DD


@dataclass(frozen=True)
class RouteCounts:
    """The ticket metrics of one route in both periods (statement 1 of a summary)."""

    route: str | None
    current: dict[str, int]  # Metric or "backlog:<bucket>" → count
    previous: dict[str, int]


BacklogCounts = dict[PeriodName, dict[str, int]]
"""The backlog of each period: "backlog" and "backlog:<bucket>" → count."""


@dataclass(frozen=True)
class DayCount:
    metric: Metric
    day: str
    count: int


@dataclass(frozen=True)
class Spread:
    """Median and p90 of a duration (seconds) over `count` tickets; None without any."""

    count: int
    median: float | None
    p90: float | None


NO_SPREAD = Spread(0, None, None)


@dataclass(frozen=True)
class DurationRow:
    dimension: str  # "all" or a Dimension
    key: str
    period: PeriodName
    spread: Spread


@dataclass(frozen=True)
class TotalRow:
    dimension: Dimension
    key: str
    period: PeriodName
    count: int


@dataclass(frozen=True)
class DedupRow:
    route: str | None
    period: PeriodName
    alerts: int
    tickets: int


@dataclass(frozen=True)
class ReportRow:
    """One row behind a number: a ticket, an alert or an outbox job, as plain columns."""

    position: int  # its id: the page cursor
    values: dict[str, object]
