"""The report repository (satisfies `services.ports.ReportRepository`): every figure of a
summary in six statements, aggregated in the database whatever the number of rows, and the
rows behind any figure a page at a time (keyset, newest first). Conditions: report_queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    String,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketbridge.domain.reports import (
    BACKLOG_COUNTED,
    ROUTE_COUNTED,
    ROWS,
    Bucket,
    DayCount,
    DedupRow,
    Dimension,
    Drill,
    DurationRow,
    Metric,
    Period,
    PeriodName,
    ReportFilter,
    ReportRow,
    RouteCounts,
    Spread,
    TotalRow,
    count_key,
)
from ticketbridge.storage.database import Database
from ticketbridge.storage.report_queries import (
    LIVE,
    PERIODS,
    Conditions,
    Dialect,
    alert_condition,
    at,
    day_bounds,
    dead_condition,
    dimension_key,
    facts,
    reopened_ids,
)
from ticketbridge.storage.report_spread import spreads
from ticketbridge.storage.tables import alerts, outbox_jobs


def _count(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


class SqlReports:
    def __init__(self, conn: AsyncConnection, *, postgres: bool) -> None:
        self._conn = conn
        self._dialect = Dialect(postgres)

    def _conditions(
        self, f: Any, period: Period, which: PeriodName, sla: Mapping[str, timedelta]
    ) -> Conditions:
        return Conditions(f.c, period, which, sla, self._dialect)

    async def route_counts(
        self, period: Period, where: ReportFilter, sla: Mapping[str, timedelta]
    ) -> list[RouteCounts]:
        """Every ticket count of both periods but the backlog, per route of the opening alert
        (one statement over the tickets of the periods' ranges: their indexes serve it)."""
        f = facts(period, where)
        columns = [
            _count(self._conditions(f, period, which, sla).of(m, b)).label(f"c{n}")
            for which in PERIODS
            for n, (m, b) in enumerate(ROUTE_COUNTED)
        ]
        since = at(period.previous_start)
        relevant = or_(  # what any of these counts can include: recent or done recently
            f.c.first_seen >= since,
            f.c.done_at >= since,
            f.c.id.in_(reopened_ids(period)),
        )
        query = select(f.c.route, *columns).where(relevant).group_by(f.c.route)
        result = await self._conn.execute(query)
        keys = [count_key(m, b) for m, b in ROUTE_COUNTED]
        half = len(keys)
        counted: list[RouteCounts] = []
        for row in result:
            values = [int(v or 0) for v in row[1:]]
            current = dict(zip(keys, values[:half], strict=True))
            previous = dict(zip(keys, values[half:], strict=True))
            counted.append(RouteCounts(row.route, current, previous))
        return counted

    async def backlog(
        self, period: Period, where: ReportFilter
    ) -> dict[PeriodName, dict[str, int]]:
        """The open backlog of both periods, in total and per age bucket (one statement: the
        live tickets read once, each labelled with its bucket in each period)."""
        f = facts(period, where, reopens=False, opening="none")
        labels = (
            select(
                *(
                    self._conditions(f, period, which, {}).backlog_bucket().label(which)
                    for which in PERIODS
                )
            )
            .where(f.c.status.in_(LIVE), _not_done_before(f.c, period.previous_start))
            .subquery("labelled")
        )
        query = select(labels.c.current, labels.c.previous, func.count()).group_by(
            labels.c.current, labels.c.previous
        )
        found: dict[PeriodName, dict[str, int]] = {
            which: dict.fromkeys((count_key(m, b) for m, b in BACKLOG_COUNTED), 0)
            for which in PERIODS
        }
        for *buckets, count in await self._conn.execute(query):
            for which, bucket in zip(PERIODS, buckets, strict=True):
                if bucket is not None:
                    found[which][count_key(Metric.BACKLOG, None)] += int(count)
                    found[which][count_key(Metric.BACKLOG, Bucket(bucket))] += int(count)
        return found

    async def per_day(self, period: Period, where: ReportFilter) -> list[DayCount]:
        """Created and resolved per UTC day of the current period (one statement)."""
        f = facts(period, where, reopens=False, opening="none")
        when = self._conditions(f, period, "current", {})
        parts = [
            select(literal(metric.value, String).label("metric"), day.label("day")).where(
                when.of(metric)
            )
            for metric, day in (
                (Metric.CREATED, self._dialect.day(f.c.first_seen)),
                (Metric.RESOLVED, self._dialect.day(f.c.done_at)),
            )
        ]
        result = await self._conn.execute(_counted(union_all(*parts), "metric", "day"))
        return [DayCount(Metric(m), str(d), int(n)) for m, d, n in result]

    async def durations(
        self, period: Period, where: ReportFilter, dimensions: Sequence[Dimension]
    ) -> list[DurationRow]:
        """Time to resolution (done_at − occurred_at of the first alert): median and p90 of the
        tickets resolved in each period, overall and per dimension (one statement: each
        resolved ticket read once, its duration counted in every breakdown; report_spread)."""
        f = facts(period, where, reopens=False)
        current = self._conditions(f, period, "current", {}).of(Metric.RESOLVED)
        previous = self._conditions(f, period, "previous", {}).of(Metric.RESOLVED)
        resolved = select(
            case((current, "current"), else_="previous").label("period"),
            *(dimension_key(f.c, d).label(d.value) for d in dimensions),
            self._dialect.seconds(f.c.done_at, f.c.first_seen).label("secs"),
        ).where(_spanning(f.c.done_at, period), current | previous)
        result = await self._conn.execute(self._per_combination(resolved))
        names = [d.value for d in dimensions]

        def groups(row: Any) -> tuple[tuple[str, str, PeriodName], ...]:
            which, keys = row[0], row[1:-1]
            own = ((n, str(k), which) for n, k in zip(names, keys, strict=True))
            return (("all", "", which), *own)

        found = spreads((groups(row), self._durations_of(row[-1])) for row in result)
        return [DurationRow(d, k, p, Spread(*figures)) for (d, k, p), figures in found.items()]

    def _per_combination(self, resolved: Any) -> Any:
        """PostgreSQL: one row per combination of period and keys, its durations an ascending
        array (decoding a row per resolved ticket was most of the summary's client CPU: 80,000
        rows at 30 days). SQLite (in process, no arrays): the rows as they are."""
        if not self._dialect.postgres:
            return resolved
        rows = resolved.subquery("resolved")
        keys = [c for c in rows.c if c.key != "secs"]
        durations = func.array_agg(aggregate_order_by(rows.c.secs, rows.c.secs))
        return select(*keys, durations).group_by(*keys)

    def _durations_of(self, value: Any) -> Sequence[float]:
        return value if self._dialect.postgres else (float(value),)

    async def totals(
        self, period: Period, where: ReportFilter, dimensions: Sequence[Dimension]
    ) -> list[TotalRow]:
        """Tickets created in each period per value of each dimension (one statement: the
        tickets counted once per combination of values, summed per dimension here)."""
        if not dimensions:
            return []
        f = facts(period, where, reopens=False)
        current = self._conditions(f, period, "current", {}).of(Metric.CREATED)
        previous = self._conditions(f, period, "previous", {}).of(Metric.CREATED)
        created = select(
            *(dimension_key(f.c, d).label(d.value) for d in dimensions),
            case((current, "current"), else_="previous").label("period"),
        ).where(_spanning(f.c.first_seen, period), current | previous)
        query = _counted(created, *(d.value for d in dimensions), "period")
        totals: dict[tuple[Dimension, str, PeriodName], int] = defaultdict(int)
        for row in await self._conn.execute(query):
            *keys, which, count = row
            for dimension, key in zip(dimensions, keys, strict=True):
                totals[(dimension, str(key), which)] += int(count)
        return [TotalRow(d, k, p, n) for (d, k, p), n in totals.items()]

    async def dedup(self, period: Period, where: ReportFilter) -> list[DedupRow]:
        """Alerts that went to a ticket and the distinct tickets they went to, per route and
        period (one statement: each period's range counted apart, so each sorts only its own
        alerts for the distinct count — a third of the time of one grouping by period at 30
        days on both databases)."""
        parts = [
            select(
                alerts.c.route,
                literal(which, String).label("period"),
                func.count(),
                func.count(alerts.c.ticket_id.distinct()),
            )
            .where(alert_condition(period, which, where))
            .group_by(alerts.c.route)
            for which in PERIODS
        ]
        result = await self._conn.execute(union_all(*parts))
        return [DedupRow(r, p, int(a), int(t)) for r, p, a, t in result]

    async def dead_letters(self, period: Period, where: ReportFilter) -> dict[PeriodName, int]:
        """Jobs dead now that died in each period (one statement)."""
        scope = facts(period, where, reopens=False) if _narrows_tickets(where) else None
        current = dead_condition(period, "current", where, scope)
        previous = dead_condition(period, "previous", where, scope)
        row = (await self._conn.execute(select(_count(current), _count(previous)))).one()
        return {"current": int(row[0] or 0), "previous": int(row[1] or 0)}

    async def rows(
        self,
        drill: Drill,
        period: Period,
        where: ReportFilter,
        sla: Mapping[str, timedelta],
        *,
        limit: int,
        before: int | None = None,
    ) -> list[ReportRow]:
        """The rows behind one figure, newest first, `limit` of them below position `before`."""
        kind = ROWS[drill.metric]
        if kind == "alerts":
            return await self._alert_rows(drill, period, where, limit, before)
        if kind == "jobs":
            return await self._job_rows(drill, period, where, limit, before)
        return await self._ticket_rows(drill, period, where, sla, limit, before)

    async def _ticket_rows(
        self,
        drill: Drill,
        period: Period,
        where: ReportFilter,
        sla: Mapping[str, timedelta],
        limit: int,
        before: int | None,
    ) -> list[ReportRow]:
        counted_apart = drill.metric is Metric.BACKLOG or drill.day is not None  # "none"
        f = facts(period, where, opening="outer" if counted_apart else "inner")
        when = self._conditions(f, period, drill.period, sla)
        condition = when.of(drill.metric, drill.bucket)
        bounds = day_bounds(drill)
        if bounds is not None:
            moment = f.c.done_at if drill.metric is Metric.RESOLVED else f.c.first_seen
            condition = and_(condition, moment >= at(bounds[0]), moment < at(bounds[1]))
        if before is not None:
            condition = and_(condition, f.c.id < before)
        secs = self._dialect.seconds(f.c.done_at, f.c.first_seen)
        columns = [c for c in f.c if not c.key.startswith("reopens_")]
        query = (
            select(*columns, f.c.reopens_current.label("reopens"), secs.label("resolution_s"))
            .where(condition)
            .order_by(f.c.id.desc())
            .limit(limit)
        )
        if drill.metric in (Metric.SLA_MET, Metric.SLA_BREACHED, Metric.SLA_AT_RISK):
            query = query.add_columns(when.target().label("sla_target_s"))
        result = await self._conn.execute(query)
        return [ReportRow(int(r.id), _plain(r._mapping)) for r in result]

    async def _alert_rows(
        self, drill: Drill, period: Period, where: ReportFilter, limit: int, before: int | None
    ) -> list[ReportRow]:
        a = alerts.c
        condition = alert_condition(period, drill.period, where)
        if before is not None:
            condition = and_(condition, a.pk < before)
        columns = (a.pk, a.source, a.alert_id, a.kind, a.severity, a.route, a.decision)
        query = (
            select(*columns, a.ticket_id, a.occurred_at, a.received_at)
            .where(condition)
            .order_by(a.pk.desc())
            .limit(limit)
        )
        result = await self._conn.execute(query)
        return [ReportRow(int(r.pk), _plain(r._mapping)) for r in result]

    async def _job_rows(
        self, drill: Drill, period: Period, where: ReportFilter, limit: int, before: int | None
    ) -> list[ReportRow]:
        j = outbox_jobs.c
        scope = facts(period, where, reopens=False) if _narrows_tickets(where) else None
        condition = dead_condition(period, drill.period, where, scope)
        if before is not None:
            condition = and_(condition, j.id < before)
        columns = (j.id, j.kind, j.ordering_key, j.ticket_id, j.project, j.attempts)
        query = (
            select(*columns, j.created_at, j.updated_at, j.last_error, j.hint)
            .where(condition)
            .order_by(j.id.desc())
            .limit(limit)
        )
        result = await self._conn.execute(query)
        return [ReportRow(int(r.id), _plain(r._mapping)) for r in result]


def _spanning(column: Any, period: Period) -> ColumnElement[bool]:
    """Both periods at once: a range an index serves (the periods' own conditions, ORed, do
    not reach it)."""
    return and_(column >= at(period.previous_start), column < at(period.end))


def _not_done_before(f: Any, moment: datetime) -> ColumnElement[bool]:
    """What can be open at `moment` or later (a prefilter on the ticket's own columns, read
    before its opening alert is joined)."""
    return or_(f.status_category.is_(None), f.status_category != "done", f.done_at >= at(moment))


def _counted(rows: Any, *keys: str) -> Any:
    """Rows counted per `keys`: grouped outside the statement that computes them, as
    PostgreSQL will not match a grouped expression that carries bound values."""
    inner = rows.subquery("counted")
    columns = [inner.c[k] for k in keys]
    return select(*columns, func.count()).group_by(*columns)


def _narrows_tickets(where: ReportFilter) -> bool:
    return any(
        value is not None
        for value in (where.route, where.source, where.kind, where.severity, where.state)
    )


def _plain(row: RowMapping) -> dict[str, object]:
    return {str(key): value for key, value in row.items()}


def report_reader(database: Database) -> Callable[[], AbstractAsyncContextManager[SqlReports]]:
    """The `services.ports.ReportReader` of `database`: reports on a read snapshot."""

    @asynccontextmanager
    async def reader() -> AsyncIterator[SqlReports]:
        async with database.snapshot() as conn:
            yield SqlReports(conn, postgres=database.dialect == "postgresql")

    return reader
