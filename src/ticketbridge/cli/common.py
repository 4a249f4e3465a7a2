"""What every command shares: exit codes, consoles, error translation, `--json` output.

Exit codes (SPEC §10): 0 ok, 1 failed, 2 bad usage or config (a Jira URL the outbound guard
refuses included, and an id that names nothing: `not_found`, the CLI's 404), 3 Jira unreachable
or refused.
Errors of `ticketbridge.errors` are translated here, once, so commands just raise.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from enum import IntEnum
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from ticketbridge.errors import (
    ConfigError,
    DestinationRefused,
    InputError,
    JiraError,
    OutcomeUnknown,
    Problem,
    TicketBridgeError,
    TransientError,
)

P = ParamSpec("P")
T = TypeVar("T")

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]


class Exit(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    JIRA = 3


def fail(message: str, code: Exit = Exit.FAILED) -> NoReturn:
    err_console.print(f"[red]✗[/red] {message}")
    raise typer.Exit(int(code))


def not_found(message: str) -> NoReturn:
    """An id (alert, job, API key) that names nothing: bad usage, exit 2, in every command."""
    fail(message, Exit.USAGE)


def print_problems(title: str, problems: tuple[Problem, ...] | list[Problem]) -> None:
    err_console.print(f"[red]✗[/red] {title}")
    for problem in problems:
        err_console.print(f"  • {problem}", markup=False)


def wrapping_table(*headers: str) -> Table:
    """A table that fits the terminal by wrapping its cells, never by cutting them ("…")."""
    table = Table()
    for header in headers:
        table.add_column(header, overflow="fold")
    return table


def print_json(data: Any) -> None:
    """JSON on stdout, unstyled, so it pipes into jq."""
    typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def translate_errors(func: Callable[P, T]) -> Callable[P, T]:
    """Run a command; turn our error tree into the documented exit codes and a clear message."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except (TicketBridgeError, httpx.HTTPError, SQLAlchemyError) as exc:
            raise typer.Exit(int(report_error(exc))) from None

    return wrapper


def report_error(exc: TicketBridgeError | httpx.HTTPError | SQLAlchemyError) -> Exit:
    """Print what went wrong, in the user's terms; the exit code for it."""
    if isinstance(exc, ConfigError | InputError):
        print_problems(_head(exc, exc.problems), exc.problems)
        return Exit.USAGE
    message, code = _described(exc)
    err_console.print(f"[red]✗[/red] {escape(message)}")
    return code


def _described(exc: TicketBridgeError | httpx.HTTPError | SQLAlchemyError) -> tuple[str, Exit]:
    if isinstance(exc, DestinationRefused):  # our guard, not Jira: the URL needs changing
        return f"not connecting: {exc}", Exit.USAGE
    if isinstance(exc, TransientError | OutcomeUnknown):
        return f"Jira is unreachable: {exc}", Exit.JIRA
    if isinstance(exc, JiraError):
        return f"Jira refused the request: {exc}", Exit.JIRA
    if isinstance(exc, TicketBridgeError):
        return str(exc), Exit.FAILED
    if isinstance(exc, httpx.HTTPError):
        return f"HTTP request failed: {exc!r}", Exit.FAILED
    # the database said no: its own words, no trace
    return f"database error: {getattr(exc, 'orig', None) or type(exc).__name__}", Exit.FAILED


def _head(exc: Exception, problems: tuple[Problem, ...]) -> str:
    text = str(exc)
    detail = "; ".join(str(p) for p in problems)
    return text.removesuffix(f": {detail}") if detail else text
