"""The `ticketbridge` command line (Typer). Exit codes: 0 ok, 1 failed, 2 bad usage or config,
3 Jira unreachable or refused."""

from ticketbridge.cli.app import app, main

__all__ = ["app", "main"]
