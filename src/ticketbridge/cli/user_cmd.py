"""`ticketbridge user create|passwd|list`: the admin UI's people (Argon2id hashes; SPEC §10).

The password is asked for twice without echo, or read from stdin with `--password-stdin`
(scripts); it never appears on the command line, where `ps` would show it.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from ticketbridge import bootstrap
from ticketbridge.cli import operations
from ticketbridge.cli.common import JsonOption, console, print_json, translate_errors
from ticketbridge.services.accounts import check_password, check_username, parse_role

user_app = typer.Typer(help="Admin UI users (roles read, admin).", no_args_is_help=True)

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from stdin (one line).")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return check_password(sys.stdin.readline().rstrip("\r\n"))
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return check_password(str(password))


@user_app.command("create")
@translate_errors
def user_create(
    username: Annotated[str, typer.Argument(help="The sign-in name.")],
    role: Annotated[str, typer.Option(help="read (sees every page) or admin.")] = "read",
    password_stdin: PasswordStdin = False,
    as_json: JsonOption = False,
) -> None:
    """Create a user who signs in to the admin UI at /ui."""
    name, chosen = check_username(username), parse_role(role)  # bad usage before the prompt
    password = _password(password_stdin)
    user = bootstrap.run(operations.create_user(bootstrap.load_settings(), name, password, chosen))
    if as_json:
        print_json({"username": user.username, "role": user.role.value})
        return
    console.print(f"[green]✓[/green] user {escape(user.username)!r} ({user.role.value})")


@user_app.command("passwd")
@translate_errors
def user_passwd(
    username: Annotated[str, typer.Argument(help="The sign-in name.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a user's password; the user's open sessions end."""
    password = _password(password_stdin)
    user = bootstrap.run(operations.set_password(bootstrap.load_settings(), username, password))
    console.print(f"[green]✓[/green] new password for {escape(user.username)!r}")


@user_app.command("list")
@translate_errors
def user_list(as_json: JsonOption = False) -> None:
    """The users and their roles."""
    users = bootstrap.run(operations.list_users(bootstrap.load_settings()))
    if as_json:
        print_json(
            [{"username": u.username, "role": u.role.value, "disabled": u.disabled} for u in users]
        )
        return
    for user in users:
        state = " (disabled)" if user.disabled else ""
        console.print(f"{escape(user.username)}  {user.role.value}{state}")
