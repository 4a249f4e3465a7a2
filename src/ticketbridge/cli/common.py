"""What every command shares: exit codes, consoles, error translation, `--json` output.

Exit codes (SPEC §10): 0 ok, 1 failed, 2 bad usage or config (a Jira URL the outbound guard
refuses included), 3 Jira unreachable or refused.
Errors of `ticketbridge.errors` are translated here, once, so commands just raise.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable, Coroutine
from enum import IntEnum
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import httpx
import typer
from rich.console import Console
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

__all__ = [
    "Exit",
    "JsonOption",
    "console",
    "err_console",
    "fail",
    "print_json",
    "print_problems",
    "run_async",
    "translate_errors",
]

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


def print_problems(title: str, problems: tuple[Problem, ...] | list[Problem]) -> None:
    err_console.print(f"[red]✗[/red] {title}")
    for problem in problems:
        err_console.print(f"  • {problem}", markup=False)


def print_json(data: Any) -> None:
    """JSON on stdout, unstyled, so it pipes into jq."""
    typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def translate_errors(func: Callable[P, T]) -> Callable[P, T]:
    """Run a command; turn our error tree into the documented exit codes and a clear message."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            print_problems(_head(exc, exc.problems), exc.problems)
            raise typer.Exit(int(Exit.USAGE)) from None
        except InputError as exc:
            print_problems(_head(exc, exc.problems), exc.problems)
            raise typer.Exit(int(Exit.USAGE)) from None
        except DestinationRefused as exc:  # our guard, not Jira: the URL needs changing
            fail(f"not connecting: {exc}", Exit.USAGE)
        except (TransientError, OutcomeUnknown) as exc:
            fail(f"Jira is unreachable: {exc}", Exit.JIRA)
        except JiraError as exc:
            fail(f"Jira refused the request: {exc}", Exit.JIRA)
        except TicketBridgeError as exc:
            fail(str(exc))
        except httpx.HTTPError as exc:
            fail(f"HTTP request failed: {exc!r}")
        except SQLAlchemyError as exc:  # the database said no: its own words, no trace
            fail(f"database error: {getattr(exc, 'orig', None) or type(exc).__name__}")

    return wrapper


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def _head(exc: Exception, problems: tuple[Problem, ...]) -> str:
    text = str(exc)
    detail = "; ".join(str(p) for p in problems)
    return text.removesuffix(f": {detail}") if detail else text
