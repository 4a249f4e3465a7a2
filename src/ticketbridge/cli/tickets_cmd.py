"""`ticketbridge tickets refingerprint`: move open tickets to the keys a changed
`sources.<name>.fingerprint` gives, instead of letting their next alerts fork them
(issue 13, item 7; services.fingerprints)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from ticketbridge import bootstrap
from ticketbridge.cli import operations
from ticketbridge.cli.common import JsonOption, console, print_json, translate_errors
from ticketbridge.services.fingerprints import Refingerprinted

tickets_app = typer.Typer(help="The tickets in the store.", no_args_is_help=True)


@tickets_app.command("refingerprint")
@translate_errors
def tickets_refingerprint(
    source: Annotated[
        str | None,
        typer.Option(help="Only this source (default: each whose fingerprint setting changed)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would move; change nothing.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Give the open tickets of a source the keys its configured fingerprint fields give their
    first alert, so the next alerts fold into the same issues; then record those fields."""
    settings = bootstrap.load_settings()
    reports = bootstrap.run(operations.refingerprint(settings, source, dry_run))
    if as_json:
        print_json({"dry_run": dry_run, "sources": [_data(r) for r in reports]})
        return
    if not reports:
        console.print("[green]✓[/green] no source's fingerprint setting changed: nothing to move")
    for report in reports:
        _show(report, dry_run)


def _data(report: Refingerprinted) -> dict[str, object]:
    return {
        "source": report.source,
        "fields": list(report.fields),
        "moved": [vars(m) for m in report.moved],
        "skipped": [vars(s) for s in report.skipped],
        "unchanged": report.unchanged,
    }


def _show(report: Refingerprinted, dry_run: bool) -> None:
    verb = "would move" if dry_run else "moved"
    fields = ", ".join(report.fields)
    console.print(
        f"{escape(report.source)} [{escape(fields)}]: {verb} {len(report.moved)} ticket(s), "
        f"{report.unchanged} unchanged, {len(report.skipped)} left as they are"
    )
    for moved in report.moved:
        console.print(
            f"  {escape(moved.issue_key or '-')}: {escape(moved.old)} → {escape(moved.new)}"
        )
    for skipped in report.skipped:
        console.print(
            f"  [yellow]![/yellow] {escape(skipped.issue_key or skipped.fingerprint)}: "
            f"{escape(skipped.why)}"
        )
