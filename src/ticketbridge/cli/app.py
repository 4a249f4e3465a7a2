"""The root Typer app; each command group lives in its own module and registers here."""

from __future__ import annotations

import typer

from ticketbridge.cli import emulator as emulator_cmd

app = typer.Typer(
    name="ticketbridge",
    help="Turn governance, security and compliance alerts into Jira issues.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("emulator", help="Run the local Jira emulator.")(emulator_cmd.emulator)


def main() -> None:
    app()
