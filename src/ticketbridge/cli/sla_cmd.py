"""`ticketbridge sla recompute`: every issue's SLA clocks computed again from its stored events
(after adding or changing `sla:`), which Jira Service Management's counters cannot do."""

from __future__ import annotations

import typer

from ticketbridge import bootstrap
from ticketbridge.cli import operations
from ticketbridge.cli.common import JsonOption, console, print_json, translate_errors

sla_app = typer.Typer(help="SLA clocks (sla: in defaults and routes).", no_args_is_help=True)


@sla_app.command("recompute")
@translate_errors
def sla_recompute(as_json: JsonOption = False) -> None:
    """Compute every issue's clocks again with the SLA configured now (history kept: the
    issues' transitions, assignments and comments are stored as two-way sync applies them)."""
    settings = bootstrap.load_settings()
    run = bootstrap.run(operations.sla_recompute(settings))
    if as_json:
        print_json(vars(run))
        return
    console.print(f"[green]✓[/green] {run.line()}")
