"""`ticketbridge report`: the period's figures beside the period before, as an 80-column table,
JSON, CSV or an HTML page with charts; `--by` totals per dimension (by status, priority and
assignee: the TruthVouch seed's verification report); `--rows METRIC` the rows behind a
number. Figures and their definitions: docs/metrics.md."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ticketbridge import bootstrap
from ticketbridge.cli import operations
from ticketbridge.cli.common import (
    Exit,
    JsonOption,
    console,
    err_console,
    fail,
    print_json,
    translate_errors,
)
from ticketbridge.domain import AlertState, Severity
from ticketbridge.domain.reports import (
    DAY,
    MAX_DAYS,
    TOTAL_DIMENSIONS,
    Bucket,
    Dimension,
    Drill,
    Metric,
    ReportFilter,
)
from ticketbridge.services.report_charts import report_html
from ticketbridge.services.reports import Count, Summary

_LABELS = {
    Metric.CREATED: "created",
    Metric.RESOLVED: "resolved",
    Metric.BACKLOG: "open backlog",
    Metric.FALSE_POSITIVES: "false positives",
    Metric.REOPENED: "reopened",
    Metric.SLA_MET: "SLA met",
    Metric.SLA_BREACHED: "SLA breached",
    Metric.SLA_AT_RISK: "SLA at risk",
    Metric.DEAD_LETTERS: "dead letters",
}


def _dimensions(text: str | None) -> list[Dimension]:
    if not text:
        return []
    chosen = []
    for name in (part.strip() for part in text.split(",")):
        try:
            chosen.append(Dimension(name))
        except ValueError:
            known = ", ".join(d.value for d in Dimension)
            fail(f"--by: unknown dimension {name!r} (one of: {known})", Exit.USAGE)
    return chosen


@translate_errors
def report(
    days: Annotated[int, typer.Option(min=1, max=MAX_DAYS, help="UTC days ending today.")] = 7,
    by: Annotated[
        str | None, typer.Option(help="Totals by: status,priority,assignee,source,kind,…")
    ] = None,
    project: Annotated[str | None, typer.Option(help="Only this Jira project.")] = None,
    route: Annotated[str | None, typer.Option(help="Only tickets opened on this route.")] = None,
    source: Annotated[str | None, typer.Option(help="Only this alert source.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this alert kind.")] = None,
    severity: Annotated[Severity | None, typer.Option(help="Only this severity.")] = None,
    state: Annotated[AlertState | None, typer.Option(help="Only tickets in this state.")] = None,
    rows: Annotated[
        Metric | None, typer.Option(help="List the rows behind this figure instead.")
    ] = None,
    previous: Annotated[bool, typer.Option(help="--rows: of the period before.")] = False,
    bucket: Annotated[Bucket | None, typer.Option(help="--rows backlog: this age.")] = None,
    as_json: JsonOption = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV output.")] = False,
    html: Annotated[
        Path | None, typer.Option(help="Write an HTML page with the charts here.")
    ] = None,
) -> None:
    """The reports of SPEC §9 from the local store: flow, backlog, SLA, false positives."""
    if as_json and as_csv:
        fail("--json and --csv: choose one", Exit.USAGE)
    where = ReportFilter(
        project, route, source, kind, severity.value if severity else None,
        state.value if state else None,
    )  # fmt: skip
    dimensions = _dimensions(by)
    if rows is not None:
        drill = Drill(rows, "previous" if previous else "current", bucket)
        _print_rows(drill, days, where, as_json=as_json)
        return
    if dimensions and as_json:
        print_json(bootstrap.run(_totals(days, where, dimensions)))
        return
    summary: Summary = bootstrap.run(_summary(days, where, dimensions or []))
    if html is not None:
        html.write_text(report_html(summary), encoding="utf-8")
        err_console.print(f"[green]✓[/green] wrote {html}")
    if as_json:
        print_json(_plain(summary))
    elif as_csv:
        typer.echo(_summary_csv(summary), nl=False)
    elif html is None:
        console.print(_table(summary))
        if dimensions:
            console.print(_totals_table(summary, dimensions))
        for note in summary.notes:  # wrapped at the console's width, unlike the default
            console.print(f"[dim]note: {escape(note)}[/dim]", soft_wrap=False)


async def _summary(days: int, where: ReportFilter, dimensions: list[Dimension]) -> Summary:
    async with operations.reports(bootstrap.load_settings()) as reports:
        return await reports.summary(days, where, dimensions or TOTAL_DIMENSIONS)


async def _totals(days: int, where: ReportFilter, dimensions: list[Dimension]) -> dict[str, Any]:
    async with operations.reports(bootstrap.load_settings()) as reports:
        return await reports.totals_report(days, where, dimensions)


async def _csv(drill: Drill, days: int, where: ReportFilter) -> str:
    async with operations.reports(bootstrap.load_settings()) as reports:
        return await reports.csv(drill, days, where)


def _print_rows(drill: Drill, days: int, where: ReportFilter, *, as_json: bool) -> None:
    text = bootstrap.run(_csv(drill, days, where))
    if as_json:
        print_json(list(csv.DictReader(io.StringIO(text))))
    else:
        typer.echo(text, nl=False)


def _plain(summary: Summary) -> Any:
    return dataclasses.asdict(summary)


def _change(count: Count) -> str:
    delta = count.current - count.previous
    return f"{delta:+d}" if delta else "="


def _table(summary: Summary) -> Table:
    period = summary.period
    last_day = (period.end - DAY).date()
    title = f"Last {period.days} days ({period.start.date()} – {last_day}, UTC)"
    table = Table(title=title, width=80)
    for header in ("figure", "this period", "before", "change"):
        table.add_column(header, justify="left" if header == "figure" else "right")
    for count in summary.counts:
        if count.bucket is not None:
            label = f"  aged {count.bucket.value} days"
        else:
            label = _LABELS.get(count.metric, count.metric.value)
        table.add_row(label, str(count.current), str(count.previous), _change(count))
    for rate in (r for r in summary.rates if r.route == ""):
        table.add_row(rate.name.replace("_", " "), _share(rate.current), _share(rate.previous), "")
    for figure in (f for f in summary.durations if f.dimension == "all"):
        name = figure.metric.value.replace("_", " ")
        table.add_row(
            f"{name} median", _span(figure.current.median), _span(figure.previous.median), ""
        )
        table.add_row(f"{name} p90", _span(figure.current.p90), _span(figure.previous.p90), "")
    return table


def _totals_table(summary: Summary, dimensions: list[Dimension]) -> Table:
    table = Table(title="Tickets created, by", width=80)
    for header in ("by", "value", "this period", "before"):
        table.add_column(header, justify="right" if header in ("this period", "before") else "left")
    for total in (t for t in summary.totals if t.dimension in dimensions):
        table.add_row(total.dimension.value, total.key, str(total.current), str(total.previous))
    return table


def _summary_csv(summary: Summary) -> str:
    """One line per count (metric, bucket) and per total (dimension, value)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["figure", "key", "current", "previous"])
    for count in summary.counts:
        key = count.bucket.value if count.bucket else ""
        writer.writerow([count.metric.value, key, count.current, count.previous])
    for total in summary.totals:
        writer.writerow([total.dimension.value, total.key, total.current, total.previous])
    return out.getvalue()


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _span(seconds: float | None) -> str:
    """A duration as people read it: 2d 3h, 4h 05m, 12m."""
    if seconds is None:
        return "–"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"
