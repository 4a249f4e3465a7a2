"""`outbox list` for people: one block per job, its error and hint wrapped to the terminal.

A table cannot show Jira's messages at 80 columns (seven columns leave each message a dozen
characters, cut into fragments); a block gives them the full width and wraps them whole."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ticketbridge.api.schemas import OutboxJobView


def job_blocks(jobs: Sequence[OutboxJobView]) -> RenderableType:
    """Each job: a header line (id, kind, state, attempts, fingerprint), then its error and
    hint on their own lines, wrapped at word boundaries (long tokens folded, never cut)."""
    blocks: list[RenderableType] = []
    for job in jobs:
        attempts = "1 attempt" if job.attempts == 1 else f"{job.attempts} attempts"
        blocks.append(
            Text.from_markup(
                f"[bold]job {job.id}[/bold]  {job.kind}  {job.state}  {attempts}  "
                f"[dim]{escape(job.ordering_key)}[/dim]",
                overflow="fold",
            )
        )
        details = Table.grid(padding=(0, 1))
        details.add_column(style="dim", no_wrap=True)
        details.add_column(overflow="fold")
        for label, value in (("error", job.last_error), ("hint", job.hint)):
            if value:
                details.add_row(f"  {label}", Text(value))
        if details.row_count:
            blocks.append(details)
    return Group(*blocks)
