"""Report metrics on SQLite and PostgreSQL, on the fixed data set of report_data.py: one table
row per metric (current and previous period), the edges (no data, one alert, tickets resolved
before the period, reopened tickets, dead tickets), and every number equal to the rows behind
it and to its CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools

import pytest
from report_data import NOW, SLA, T, add_tickets, day, load

from ticketbridge.domain import AlertState, Severity, Ticket, TicketStatus
from ticketbridge.domain.reports import Bucket, Dimension, Drill, Metric, Period, ReportFilter
from ticketbridge.services.reports import ReportService
from ticketbridge.storage import Database
from ticketbridge.storage.reports import SqlReports, report_reader

SEVERITY_SLA = {Severity(k): v for k, v in SLA.items()}

# metric, bucket → (current, previous); docs/metrics.md defines each.
EXPECTED: dict[tuple[Metric, Bucket | None], tuple[int, int]] = {
    (Metric.CREATED, None): (4, 1),  # T1 T2 T7 T8 | T5 (T3, T4, T6: before both periods)
    (Metric.RESOLVED, None): (2, 1),  # T1 T3 | T5 (T4 resolved before the periods)
    (Metric.FALSE_POSITIVES, None): (1, 0),  # T3
    (Metric.REOPENED, None): (1, 0),  # T6, reopened by an alert on 03-07
    (Metric.BACKLOG, None): (3, 2),  # T2 T6 T8 now (T7 is dead) | T3 T6 at 03-04
    (Metric.BACKLOG, Bucket.DAYS_1_5): (1, 0),  # T2, 2.5 days
    (Metric.BACKLOG, Bucket.DAYS_6_10): (1, 0),  # T8, 6.25 days
    (Metric.BACKLOG, Bucket.DAYS_11_30): (0, 1),  # T3, 12 days old at 03-04
    (Metric.BACKLOG, Bucket.OVER_30): (1, 1),  # T6
    (Metric.SLA_MET, None): (1, 1),  # T1 (1 day of 7) | T5
    (Metric.SLA_BREACHED, None): (1, 0),  # T2: critical, open 2.5 days of 1
    (Metric.SLA_AT_RISK, None): (1, 0),  # T8: 6.25 of 7 days
    (Metric.DEAD_LETTERS, None): (1, 1),  # T7's create | T4's job on 02-28
}


def _service(db: Database) -> ReportService:
    return ReportService(report_reader(db), lambda: NOW, SEVERITY_SLA)


@pytest.fixture
async def loaded(database: Database) -> Database:
    await load(database)
    return database


@pytest.mark.parametrize(("metric", "bucket"), list(EXPECTED))
async def test_each_count_in_both_periods(
    loaded: Database, metric: Metric, bucket: Bucket | None
) -> None:
    summary = await _service(loaded).summary(7)
    count = summary.count(metric, bucket)
    assert (count.current, count.previous) == EXPECTED[(metric, bucket)]


async def test_time_to_resolution_median_and_p90_per_severity(loaded: Database) -> None:
    summary = await _service(loaded).summary(7)
    spreads = {
        (f.dimension, f.key): f for f in summary.durations if f.metric is Metric.TIME_TO_RESOLUTION
    }
    overall = spreads[("all", "")]
    # T1 took 1 day, T3 17 days: the median interpolates, p90 is 90 % of the way
    assert (overall.current.count, overall.current.median, overall.current.p90) == (
        2,
        pytest.approx(9 * 86400),
        pytest.approx(86400 + 0.9 * 16 * 86400),
    )
    assert (overall.previous.count, overall.previous.median) == (1, pytest.approx(86400))
    assert spreads[("severity", "medium")].current.median == pytest.approx(17 * 86400)
    assert spreads[("route", "r1")].current.p90 == pytest.approx(86400)
    first_response = [f for f in summary.durations if f.metric is Metric.TIME_TO_FIRST_RESPONSE]
    assert first_response[0].current.count == 0
    assert any("first response" in note for note in summary.notes)


async def test_rates_per_route(loaded: Database) -> None:
    summary = await _service(loaded).summary(7)
    rates = {(r.name, r.route): r for r in summary.rates}
    assert rates[("false_positive_rate", "r2")].counts == (1, 1)
    assert rates[("false_positive_rate", "r2")].current == 1.0
    assert rates[("false_positive_rate", "")].current == 0.5
    assert rates[("reopen_rate", "r1")].counts == (1, 1)
    assert rates[("sla_success_rate", "")].counts == (1, 2)
    assert rates[("sla_success_rate", "")].previous == 1.0
    assert rates[("dedup_ratio", "r1")].counts == (6, 4)  # T1 ×3, T2, T6's reopen, T7
    assert rates[("dedup_ratio", "r1")].current == 1.5
    assert rates[("dedup_ratio", "(none)")].previous_counts == (1, 1)  # T5


async def test_per_day_and_totals(loaded: Database) -> None:
    summary = await _service(loaded).summary(7)
    assert summary.per_day[0].day.isoformat() == "2026-03-04"
    assert len(summary.per_day) == 7
    created = {d.day.isoformat(): d.created for d in summary.per_day if d.created}
    resolved = {d.day.isoformat(): d.resolved for d in summary.per_day if d.resolved}
    assert created == {"2026-03-04": 1, "2026-03-05": 1, "2026-03-08": 1, "2026-03-09": 1}
    assert resolved == {"2026-03-06": 1, "2026-03-09": 1}
    totals = {(t.dimension, t.key): (t.current, t.previous) for t in summary.totals}
    assert totals[(Dimension.STATUS, "resolved")] == (1, 1)
    assert totals[(Dimension.STATUS, "dead")] == (1, 0)
    assert totals[(Dimension.STATUS, "in_progress")] == (1, 0)
    assert totals[(Dimension.PROJECT, "AIGOV")] == (1, 0)
    assert totals[(Dimension.PRIORITY, "Unknown")] == (4, 1)
    assert totals[(Dimension.ROUTE, "(none)")] == (0, 1)


async def test_filters_narrow_every_figure(loaded: Database) -> None:
    summary = await _service(loaded).summary(7, ReportFilter(project="AIGOV"))
    assert summary.count(Metric.CREATED).current == 1  # T8
    assert summary.count(Metric.RESOLVED).current == 1  # T3
    assert summary.count(Metric.DEAD_LETTERS).previous == 1  # T4's job
    by_source = await _service(loaded).summary(7, ReportFilter(source="truthvouch"))
    assert by_source.count(Metric.CREATED).current == 3
    assert by_source.count(Metric.DEAD_LETTERS).current == 1  # T7's create


async def test_verification_report_by_alert_state(loaded: Database) -> None:
    by = (Dimension.STATUS, Dimension.PRIORITY, Dimension.ASSIGNEE)
    report = await _service(loaded).totals_report(7, ReportFilter(project="OPS"), by)
    assert report == {
        "period": "Last 7 days",
        "total_issues": 3,
        "by_status": {"resolved": 1, "ticketed": 1, "dead": 1},
        "by_priority": {"Unknown": 3},
        "by_assignee": {"Unassigned": 3},
    }


async def test_every_number_equals_its_rows_and_its_csv(loaded: Database) -> None:
    service = _service(loaded)
    summary = await service.summary(7)
    for count in summary.counts:
        for period, number in (("current", count.current), ("previous", count.previous)):
            drill = Drill(count.metric, period, count.bucket)  # type: ignore[arg-type]
            rows = await _all_rows(service, drill)
            exported = list(csv.DictReader(io.StringIO(await service.csv(drill, 7))))
            assert (len(rows), len(exported)) == (number, number), (count, period)
    for figure in summary.per_day:
        day_drill = Drill(Metric.CREATED, day=figure.day.isoformat())
        assert len(await _all_rows(service, day_drill)) == figure.created


async def _all_rows(service: ReportService, drill: Drill) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    cursor = None
    while True:
        page = await service.rows(drill, 7, limit=2, cursor=cursor)  # small pages: paging too
        rows += page.items
        if page.next_cursor is None:
            return rows
        cursor = page.next_cursor


async def test_no_data_gives_zeros_and_empty_spreads(database: Database) -> None:
    summary = await _service(database).summary(30)
    assert len(summary.counts) == len(EXPECTED)  # every figure, each at 0
    assert all((c.current, c.previous) == (0, 0) for c in summary.counts)
    assert summary.durations[0].current.median is None
    assert [r.current for r in summary.rates if r.route == ""] == [None, None, None]
    assert sum(d.created for d in summary.per_day) == 0


async def test_one_alert(database: Database) -> None:
    one = T("ONE", "r", "low", "generic", "k", day(3, 10, 11))
    await add_tickets(database, (one,))
    summary = await _service(database).summary(1)
    assert summary.count(Metric.CREATED).current == 1
    assert summary.count(Metric.BACKLOG, Bucket.DAYS_1_5).current == 1
    rates = {(r.name, r.route): r for r in summary.rates}
    assert rates[("dedup_ratio", "r")].current == 1.0


async def test_the_sql_alert_state_is_the_tickets(database: Database) -> None:
    """storage.report_queries.alert_state mirrors Ticket.alert_state for every combination,
    two-way sync's synced state and deletion included."""
    combos = list(
        itertools.product(
            ["pending", "linked", "dead", "detached"],
            [None, "new", "indeterminate", "done"],
            [None, "false_positive", "accepted"],
            [None, "open", "in_progress", "resolved"],
            [None, day(3, 10, 1)],
        )
    )
    rows = tuple(
        T(f"S{n}", None, "low", "generic", "k", day(3, 10), status=status, category=category,
          outcome=outcome, synced_state=synced, deleted_at=deleted)
        for n, (status, category, outcome, synced, deleted) in enumerate(combos)
    )  # fmt: skip
    await add_tickets(database, rows)
    service = _service(database)
    for n, (status, category, outcome, synced, deleted) in enumerate(combos):
        ticket = Ticket(
            f"S{n}", 1, "OPS", TicketStatus(status), NOW, NOW,
            issue_key=None if status == "dead" else f"OPS-S{n}",
            status_category=category, outcome=AlertState(outcome) if outcome else None,
            synced_state=AlertState(synced) if synced else None, deleted_at=deleted,
        )  # fmt: skip
        expected = ticket.alert_state().value
        page = await service.rows(
            Drill(Metric.CREATED), 1, ReportFilter(state=expected), limit=1000
        )
        assert f"S{n}-a0" in {r["alert_id"] for r in page.items}, combos[n]


# What Jira told two-way sync → the ticket's key in the totals (the TruthVouch seed's
# spelling: `Unknown` / `Unassigned` only when Jira has told none).
MIRRORED = (
    # name, priority, assignee account id, assignee display name → priority key, assignee key
    ("M1", "High", "acc-1", "Ana Ops", "High", "Ana Ops"),
    ("M2", None, None, None, "Unknown", "Unassigned"),  # never observed, or told none
    ("M3", "", "acc-3", None, "Unknown", "acc-3"),  # the name hidden: its account id
    ("M4", "Highest", "acc-4", "", "Highest", "acc-4"),
    ("M5", "High", "acc-5", "Ana Ops", "High", "Ana Ops"),  # same name, another account
)


async def test_totals_by_jiras_priority_and_assignee(database: Database) -> None:
    rows = tuple(
        T(name, "r1", "high", "truthvouch", "k", day(3, 9), priority=priority,
          assignee_id=account, assignee_name=shown)
        for name, priority, account, shown, _, _ in MIRRORED
    )  # fmt: skip
    gone = T("M6", "r1", "high", "truthvouch", "k", day(3, 9), priority="Low",
             assignee_id="acc-1", assignee_name="Ana Ops", deleted_at=day(3, 10, 1))  # fmt: skip
    await add_tickets(database, (*rows, gone))
    summary = await _service(database).summary(7)
    totals = {(t.dimension, t.key): t.current for t in summary.totals}
    by_priority = {k: n for (d, k), n in totals.items() if d is Dimension.PRIORITY}
    by_assignee = {k: n for (d, k), n in totals.items() if d is Dimension.ASSIGNEE}
    assert by_priority == {"High": 2, "Unknown": 2, "Highest": 1, "Low": 1}
    assert by_assignee == {"Ana Ops": 3, "Unassigned": 1, "acc-3": 1, "acc-4": 1}
    assert totals[(Dimension.STATUS, "ticket_deleted")] == 1
    assert not any("priority" in note or "assignee" in note for note in summary.notes)


async def test_verification_report_reproduces_the_seed_with_jiras_fields(
    database: Database,
) -> None:
    """The seed's dict: Jira's status name, priority and assignee (`Unknown` for a status
    Jira has not told yet)."""
    statuses = ("In Progress", None, "To Do")
    rows = tuple(
        T(name, "r1", "high", "truthvouch", "k", day(3, 9), priority=priority,
          assignee_id=account, assignee_name=shown, status_name=status)
        for (name, priority, account, shown, *_), status in zip(MIRRORED[:3], statuses, strict=True)
    )  # fmt: skip
    await add_tickets(database, rows)
    report = await _service(database).totals_report(7, ReportFilter(source="truthvouch"))
    assert report == {
        "period": "Last 7 days",
        "total_issues": 3,
        "by_status": {"In Progress": 1, "To Do": 1, "Unknown": 1},
        "by_priority": {"High": 1, "Unknown": 2},
        "by_assignee": {"Ana Ops": 1, "Unassigned": 1, "acc-3": 1},
    }


async def test_a_deleted_issue_leaves_the_backlog_when_deleted(database: Database) -> None:
    """Deleted in Jira on 03-06: open at the previous period's end (03-04), not now; neither
    resolved nor judged by SLA; counted as created, under status `ticket_deleted`."""
    gone = T("D1", "r1", "critical", "generic", "k", day(3, 1), deleted_at=day(3, 6))
    later = T("D2", "r1", "critical", "generic", "k", day(3, 5), deleted_at=day(3, 6))
    await add_tickets(database, (gone, later))
    summary = await _service(database).summary(7)
    assert (summary.count(Metric.BACKLOG).current, summary.count(Metric.BACKLOG).previous) == (
        0,
        1,
    )
    assert summary.count(Metric.CREATED).current == 1
    assert summary.count(Metric.RESOLVED).current == 0
    assert summary.count(Metric.SLA_BREACHED).current == 0
    state = await _service(database).rows(
        Drill(Metric.CREATED), 7, ReportFilter(state="ticket_deleted")
    )
    assert [r["issue_key"] for r in state.items] == ["OPS-2"]


async def test_a_report_reads_a_snapshot_and_never_holds_up_writers(loaded: Database) -> None:
    """While a report reads, a writer commits (SQLite: no write lock held by the reader); the
    report's statements all see the data as it was when it began."""
    before = await _service(loaded).summary(7)
    async with loaded.snapshot() as conn:
        reports = SqlReports(conn, postgres=loaded.dialect == "postgresql")
        period = Period.ending_today(7, NOW)
        first = await reports.route_counts(period, ReportFilter(), SLA)
        late = T("LATE", "r1", "high", "generic", "k", day(3, 10, 11))
        await asyncio.wait_for(add_tickets(loaded, (late,)), timeout=10)
        second = await reports.route_counts(period, ReportFilter(), SLA)
    assert first == second
    after = await _service(loaded).summary(7)
    created = after.count(Metric.CREATED).current
    assert created == before.count(Metric.CREATED).current + 1
