"""Reports (SPEC §9, issue 17): the summary of a period compared with the one before, the rows
behind any of its numbers, their CSV, and the TruthVouch seed's verification report.

Figures come from the local store only (kept current by two-way sync), in a fixed number of
statements per request whatever the data (storage.reports); the metrics are defined once in
domain.reports (docs/metrics.md)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ticketbridge.clock import Clock
from ticketbridge.domain import Severity
from ticketbridge.domain.reports import (
    COUNTED,
    DAY,
    DURATION_DIMENSIONS,
    MAX_DAYS,
    NO_SPREAD,
    NOT_YET,
    TOTAL_DIMENSIONS,
    Bucket,
    DedupRow,
    Dimension,
    Drill,
    DurationRow,
    Metric,
    Period,
    PeriodName,
    ReportFilter,
    RouteCounts,
    Spread,
    count_key,
)
from ticketbridge.errors import InputError, Problem
from ticketbridge.services.ports import ReportReader
from ticketbridge.services.queries import Page, decode_cursor, page_of

EXPORT_PAGE = 1000
VERIFICATION = (Dimension.JIRA_STATUS, Dimension.PRIORITY, Dimension.ASSIGNEE)


@dataclass(frozen=True)
class PeriodView:
    days: int
    start: datetime
    end: datetime
    previous_start: datetime
    as_of: datetime


@dataclass(frozen=True)
class Count:
    """A number with rows behind it: `GET /v1/reports/{metric}?bucket=…` lists them."""

    metric: Metric
    current: int
    previous: int
    bucket: Bucket | None = None


@dataclass(frozen=True)
class Rate:
    """numerator / denominator (None when the denominator is 0), per route ("" = all)."""

    name: str
    route: str
    numerator: str
    denominator: str
    current: float | None
    previous: float | None
    counts: tuple[int, int]  # this period's numerator and denominator
    previous_counts: tuple[int, int]


@dataclass(frozen=True)
class DayFigure:
    day: date
    created: int
    resolved: int


@dataclass(frozen=True)
class DurationFigure:
    metric: Metric
    dimension: str  # "all" or a Dimension
    key: str
    current: Spread
    previous: Spread


@dataclass(frozen=True)
class Total:
    dimension: Dimension
    key: str
    current: int
    previous: int


@dataclass(frozen=True)
class Summary:
    period: PeriodView
    filters: ReportFilter
    counts: list[Count]
    per_day: list[DayFigure]
    rates: list[Rate]
    durations: list[DurationFigure]
    totals: list[Total]
    notes: list[str] = field(default_factory=list)

    def count(self, metric: Metric, bucket: Bucket | None = None) -> Count:
        return next(c for c in self.counts if c.metric is metric and c.bucket == bucket)


def period_for(days: int, now: datetime) -> Period:
    """The period of `days` days ending today; InputError naming "days" outside 1…366."""
    if type(days) is not int or not 1 <= days <= MAX_DAYS:
        raise InputError("invalid query", [Problem("days", f"a whole number 1…{MAX_DAYS}")])
    return Period.ending_today(days, now)


class ReportService:
    """`GET /v1/reports/summary`, `GET /v1/reports/{metric}`, `ticketbridge report`."""

    def __init__(
        self, reader: ReportReader, clock: Clock, sla: Mapping[Severity, timedelta]
    ) -> None:
        self._reader = reader
        self._clock = clock
        self._sla = {severity.value: target for severity, target in sla.items()}

    async def summary(
        self,
        days: int = 7,
        where: ReportFilter = ReportFilter(),  # noqa: B008 (frozen: never mutated)
        dimensions: Sequence[Dimension] = TOTAL_DIMENSIONS,
    ) -> Summary:
        period = period_for(days, self._clock())
        async with self._reader() as reports:
            routes = await reports.route_counts(period, where, self._sla)
            backlog = await reports.backlog(period, where)
            days_counted = await reports.per_day(period, where)
            durations = await reports.durations(period, where, DURATION_DIMENSIONS)
            totals = await reports.totals(period, where, dimensions)
            dedup = await reports.dedup(period, where)
            dead = await reports.dead_letters(period, where)
        counts = _counts(routes, backlog, dead)
        return Summary(
            period=_view(period),
            filters=where,
            counts=counts,
            per_day=_per_day(period, days_counted),
            rates=_rates(routes, dedup),
            durations=_durations(durations),
            totals=_totals(totals),
            notes=_notes(dimensions),
        )

    async def rows(
        self,
        drill: Drill,
        days: int = 7,
        where: ReportFilter = ReportFilter(),  # noqa: B008 (frozen: never mutated)
        *,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[dict[str, object]]:
        """The rows behind one number of the summary with the same `days` and filters."""
        period = period_for(days, self._clock())
        before = decode_cursor(cursor)
        async with self._reader() as reports:
            found = await reports.rows(
                drill, period, where, self._sla, limit=limit + 1, before=before
            )
        page = page_of(found, limit, lambda row: row.position)
        return Page([row.values for row in page.items], page.next_cursor)

    async def csv(
        self,
        drill: Drill,
        days: int = 7,
        where: ReportFilter = ReportFilter(),  # noqa: B008 (frozen: never mutated)
    ) -> str:
        """Every row behind one number, as CSV with a header line."""
        out = io.StringIO()
        writer: csv.DictWriter[str] | None = None
        cursor: str | None = None
        while True:
            page = await self.rows(drill, days, where, limit=EXPORT_PAGE, cursor=cursor)
            for row in page.items:
                if writer is None:
                    writer = csv.DictWriter(out, fieldnames=list(row), lineterminator="\n")
                    writer.writeheader()
                writer.writerow({k: _cell(v) for k, v in row.items()})
            if page.next_cursor is None:
                return out.getvalue()
            cursor = page.next_cursor

    async def totals_report(
        self,
        days: int = 7,
        where: ReportFilter = ReportFilter(),  # noqa: B008 (frozen: never mutated)
        dimensions: Sequence[Dimension] = VERIFICATION,
    ) -> dict[str, object]:
        """Tickets created in the last `days` days, totalled per dimension (one statement).
        By Jira's status, priority and assignee (the default) it is the TruthVouch seed's
        `generate_jira_verification_report(days)`, key for key."""
        period = period_for(days, self._clock())
        async with self._reader() as reports:
            rows = await reports.totals(period, where, dimensions)
        by: dict[Dimension, dict[str, int]] = {d: {} for d in dimensions}
        for row in sorted(rows, key=lambda r: (-r.count, r.key)):
            if row.period == "current":
                by[row.dimension][row.key] = row.count
        total = sum(next(iter(by.values()), {}).values())
        return {
            "period": f"Last {days} days",
            "total_issues": total,
            **{_verification_key(d, dimensions): counts for d, counts in by.items()},
        }


def _verification_key(dimension: Dimension, dimensions: Sequence[Dimension]) -> str:
    """`by_<dimension>`; Jira's status is the seed's `by_status` unless the alert state is
    asked for too."""
    if dimension is Dimension.JIRA_STATUS and Dimension.STATUS not in dimensions:
        return "by_status"
    return f"by_{dimension.value}"


def _view(period: Period) -> PeriodView:
    as_of = period.as_of("current")
    return PeriodView(period.days, period.start, period.end, period.previous_start, as_of)


def _counts(
    routes: Sequence[RouteCounts],
    backlog: Mapping[PeriodName, Mapping[str, int]],
    dead: Mapping[PeriodName, int],
) -> list[Count]:
    current = dict.fromkeys((count_key(m, b) for m, b in COUNTED), 0)
    previous = dict(current)
    current.update(backlog["current"])
    previous.update(backlog["previous"])
    for route in routes:
        for key, value in route.current.items():
            current[key] += value
        for key, value in route.previous.items():
            previous[key] += value
    counts = []
    for key in current:
        metric, _, bucket = key.partition(":")
        counts.append(
            Count(Metric(metric), current[key], previous[key], Bucket(bucket) if bucket else None)
        )
    counts.append(Count(Metric.DEAD_LETTERS, dead["current"], dead["previous"]))
    return counts


def _per_day(period: Period, counted: Sequence[object]) -> list[DayFigure]:
    """Every day of the period, days without tickets at 0."""
    by_day: dict[tuple[str, str], int] = {}
    for row in counted:
        by_day[(row.metric.value, row.day)] = row.count  # type: ignore[attr-defined]
    figures = []
    for n in range(period.days):
        day = (period.start + n * DAY).date()
        key = day.isoformat()
        figures.append(
            DayFigure(
                day,
                by_day.get((Metric.CREATED.value, key), 0),
                by_day.get((Metric.RESOLVED.value, key), 0),
            )
        )
    return figures


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else round(numerator / denominator, 4)


_ROUTE_RATES = (
    ("false_positive_rate", "false_positives", "resolved"),
    ("reopen_rate", "reopened", "resolved"),
    ("sla_success_rate", "sla_met", "sla_judged"),
)


def _rates(routes: Sequence[RouteCounts], dedup: Sequence[DedupRow]) -> list[Rate]:
    """Per route ("(none)": alerts no route matched), then over all routes ("")."""
    per_route = {
        route.route or "(none)": (_judged(route.current), _judged(route.previous))
        for route in routes
    }
    overall = (
        _summed([now for now, _ in per_route.values()]),
        _summed([before for _, before in per_route.values()]),
    )
    rates = [
        _rate(name, label, numerator, denominator, now, before)
        for label, (now, before) in [*sorted(per_route.items()), ("", overall)]
        for name, numerator, denominator in _ROUTE_RATES
    ]
    return rates + _dedup_rates(dedup)


def _judged(counts: Mapping[str, int]) -> dict[str, int]:
    return {**counts, "sla_judged": counts["sla_met"] + counts["sla_breached"]}


def _summed(rows: Sequence[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for row in rows:
        for key, value in row.items():
            total[key] += value
    return dict(total)


def _rate(
    name: str,
    route: str,
    numerator: str,
    denominator: str,
    now: Mapping[str, int],
    before: Mapping[str, int],
) -> Rate:
    counts = (now.get(numerator, 0), now.get(denominator, 0))
    previous_counts = (before.get(numerator, 0), before.get(denominator, 0))
    return Rate(
        name,
        route,
        numerator,
        denominator,
        _ratio(*counts),
        _ratio(*previous_counts),
        counts,
        previous_counts,
    )


def _dedup_rates(rows: Sequence[DedupRow]) -> list[Rate]:
    """Alerts per ticket, per route: alerts that went to a ticket / the tickets they went to."""
    by_route: dict[str, dict[str, dict[str, int]]] = defaultdict(
        lambda: {"current": {}, "previous": {}}
    )
    for row in rows:
        counts = {"alerts": row.alerts, "tickets": row.tickets}
        by_route[row.route or "(none)"][row.period] = counts
    return [
        _rate("dedup_ratio", route, "alerts", "tickets", both["current"], both["previous"])
        for route, both in sorted(by_route.items())
    ]


def _durations(rows: Sequence[DurationRow]) -> list[DurationFigure]:
    found: dict[tuple[str, str], dict[str, Spread]] = defaultdict(dict)
    for row in rows:
        found[(row.dimension, row.key)][row.period] = row.spread
    figures = [
        DurationFigure(
            Metric.TIME_TO_RESOLUTION,
            dimension,
            key,
            spreads.get("current", NO_SPREAD),
            spreads.get("previous", NO_SPREAD),
        )
        for (dimension, key), spreads in found.items()
    ]
    order = {"all": 0, **{d.value: n + 1 for n, d in enumerate(DURATION_DIMENSIONS)}}
    figures.sort(key=lambda f: (order.get(f.dimension, 99), f.key))
    if not any(f.dimension == "all" for f in figures):
        figures.insert(
            0, DurationFigure(Metric.TIME_TO_RESOLUTION, "all", "", NO_SPREAD, NO_SPREAD)
        )
    figures.insert(
        1, DurationFigure(Metric.TIME_TO_FIRST_RESPONSE, "all", "", NO_SPREAD, NO_SPREAD)
    )
    return figures


def _totals(rows: Sequence[object]) -> list[Total]:
    found: dict[tuple[Dimension, str], dict[str, int]] = defaultdict(dict)
    for row in rows:
        found[(row.dimension, row.key)][row.period] = row.count  # type: ignore[attr-defined]
    totals = [
        Total(dimension, key, counts.get("current", 0), counts.get("previous", 0))
        for (dimension, key), counts in found.items()
    ]
    order = {d: n for n, d in enumerate(TOTAL_DIMENSIONS)}
    totals.sort(key=lambda t: (order[t.dimension], -t.current, t.key))
    return totals


def _notes(dimensions: Sequence[Dimension]) -> list[str]:
    notes = [NOT_YET[Metric.TIME_TO_FIRST_RESPONSE]]
    notes += [NOT_YET[d] for d in dimensions if d in NOT_YET]
    notes.append("SLA pauses are not recorded yet: SLA clocks (h/callbacks) supply them")
    return notes


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else value
