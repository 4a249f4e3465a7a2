"""`ticketbridge sync …`: two-way sync's commands. `sync deliveries`: the Jira delivery log
(the same rows as `GET /v1/jira/deliveries`), newest first."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from ticketbridge import bootstrap
from ticketbridge.api.jira_routes import DeliveryOut, delivery_out
from ticketbridge.cli import operations
from ticketbridge.cli.common import JsonOption, console, print_json, translate_errors

sync_app = typer.Typer(help="Two-way sync with Jira: what Jira told us.", no_args_is_help=True)


@sync_app.command("deliveries")
@translate_errors
def deliveries(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """The Jira webhook deliveries, newest first: identifier, retry, flow, signature verdict,
    outcome (applied, unchanged, stale, echo, unknown_issue, ignored, rejected), the issue,
    ticket and alert each touched."""
    settings = bootstrap.load_settings()
    rows = [delivery_out(d) for d in bootstrap.run(operations.list_deliveries(settings, limit))]
    if as_json:
        print_json([r.model_dump(mode="json") for r in rows])
        return
    console.print(_lines(rows) if rows else "no deliveries yet")


def _lines(rows: list[DeliveryOut]) -> Text:
    """One block per delivery: what came in, then what it did (folded, never cut)."""
    text = Text(overflow="fold")
    for row in rows:
        came = f"{row.received_at:%Y-%m-%d %H:%M:%S}  {row.identifier}  {row.event or '?'}"
        text.append(came + "\n", style="bold")
        how = f"  retry {row.retry}  flow {row.flow or '-'}  signature {row.signature}"
        text.append(how + "\n")
        outcome = row.outcome or "pending"
        touched = "  ".join(
            f"{label} {value}"
            for label, value in (
                ("issue", row.issue_key),
                ("ticket", row.ticket_id),
                ("alert", row.alert),
            )
            if value
        )
        text.append(f"  {outcome}  {touched}".rstrip() + "\n")
        if row.reason:
            text.append(f"  {row.reason}\n", style="dim")
    return text
