"""`ticketbridge site status|rebind|separate`: which Jira site the tickets belong to, and what
to do when the connection now points at another one (issue 11, item 10; services.site)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from ticketbridge import bootstrap
from ticketbridge.cli import operations
from ticketbridge.cli.common import Exit, JsonOption, console, fail, print_json, translate_errors

site_app = typer.Typer(
    help="The Jira site the tickets belong to (after moving to another site).",
    no_args_is_help=True,
)
YesOption = Annotated[bool, typer.Option("--yes", help="Do it (without: say what would change).")]


@site_app.command("status")
@translate_errors
def site_status(as_json: JsonOption = False) -> None:
    """The connection's Jira site and how many tickets each site holds. Exit 1 while tickets
    of another site wait for `rebind` or `separate` (nothing is written meanwhile)."""
    report = bootstrap.run(operations.site_report(bootstrap.load_settings()))
    if as_json:
        print_json(
            {
                "site": report.current,
                "tickets": report.here,
                "other_sites": report.others,
                "unbound": report.unbound,
                "changed": report.changed,
            }
        )
    else:
        console.print(f"site {escape(report.current)}: {report.here} ticket(s)")
        for site, count in sorted(report.others.items()):
            console.print(f"[yellow]![/yellow] {count} ticket(s) belong to {escape(site)}")
        if report.changed:
            console.print(
                "nothing is written until you decide: `ticketbridge site rebind --yes` if the "
                "issues moved here with their keys, `ticketbridge site separate --yes` to keep "
                "the sites apart"
            )
    if report.changed:
        raise typer.Exit(int(Exit.FAILED))


@site_app.command("rebind")
@translate_errors
def site_rebind(yes: YesOption = False, as_json: JsonOption = False) -> None:
    """The other sites' tickets now belong to the connection's site: for a migration that
    kept the issue keys (Server to Cloud, a restored backup)."""
    _confirmed(yes)
    site, moved = bootstrap.run(operations.site_rebind(bootstrap.load_settings()))
    _done(as_json, site, moved, f"{moved} ticket(s) now belong to {site}")


@site_app.command("separate")
@translate_errors
def site_separate(yes: YesOption = False, as_json: JsonOption = False) -> None:
    """Keep the sites apart: the other sites' tickets are never written again, and the next
    alert of each of their fingerprints gets a fresh issue on the connection's site."""
    _confirmed(yes)
    site, kept = bootstrap.run(operations.site_separate(bootstrap.load_settings()))
    _done(as_json, site, kept, f"{kept} ticket(s) of other sites are kept apart from {site}")


def _confirmed(yes: bool) -> None:
    if not yes:
        fail("this changes which Jira issues the tickets write to: add --yes", Exit.USAGE)


def _done(as_json: bool, site: str, count: int, message: str) -> None:
    if as_json:
        print_json({"site": site, "tickets": count})
    else:
        console.print(f"[green]✓[/green] {escape(message)}")
