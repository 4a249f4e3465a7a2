"""`ticketbridge config jira --oauth1`: connect Jira Data Center over OAuth 1.0a (an application
link with an incoming RSA key), for sites without personal access tokens.

Asks a request token, prints the URL where a Jira user approves it, and takes the verification
code Jira shows (prompted, or `--request-token … --verifier …` in a second run); the access token
is stored encrypted with the connection, like any other secret of it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import typer

from ticketbridge import bootstrap
from ticketbridge.api.jira_connection import StoredConnection
from ticketbridge.cli.common import Exit, console, err_console, fail, print_json
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.config.settings import Settings
from ticketbridge.errors import validated


@dataclass(frozen=True)
class OAuth1Options:
    server_url: str | None
    consumer_key: str | None
    private_key_file: Path | None
    request_token: str | None
    verifier: str | None
    allow_private: bool
    allow_plain_http: bool
    project_key: str | None


def connect(settings: Settings, given: OAuth1Options, as_json: bool) -> None:
    if not (given.server_url and given.consumer_key and given.private_key_file):
        fail("--oauth1 needs --server-url, --consumer-key and --private-key-file", Exit.USAGE)
    try:
        private_key = given.private_key_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"--private-key-file: cannot read it ({type(exc).__name__})", Exit.USAGE)
    link = bootstrap.ApplicationLink(
        given.server_url, given.consumer_key, private_key, given.allow_private,
        given.allow_plain_http, settings.outbound_allow,
    )  # fmt: skip
    token, verifier = given.request_token, given.verifier
    if not (token and verifier):
        token, url = bootstrap.run(bootstrap.oauth1_start(link))
        err_console.print("Open this URL as the Jira user to act as, and allow access:")
        print(url, flush=True)
        verifier = _verifier(token)
    access = bootstrap.run(bootstrap.oauth1_finish(link, token=token, verifier=verifier))
    jira = _connection(given, private_key, access)
    bootstrap.connection_store(settings).save(StoredConnection(jira, given.project_key))
    if as_json:
        print_json({"connected": True, "site": given.server_url, "auth": "oauth1"})
        return
    console.print(
        f"[green]✓[/green] Connected to Jira {given.server_url} over OAuth 1.0a; the access "
        "token is stored encrypted with the connection",
        highlight=False,
    )


def _verifier(token: str) -> str:
    if not sys.stdin.isatty():
        fail(
            "approve at the URL, then run again with --request-token "
            f"{token} --verifier <the code Jira shows>",
            Exit.USAGE,
        )
    code = str(typer.prompt("Verification code")).strip()
    if not code:
        fail("the verification code is empty", Exit.USAGE)
    return code


def _connection(given: OAuth1Options, private_key: str, access: str) -> JiraConfig:
    data = {
        "flavor": "datacenter",
        "url": given.server_url,
        "auth": {
            "type": "oauth1",
            "consumer_key": given.consumer_key,
            "private_key": private_key,
            "access_token": access,
        },
        "allow_private": given.allow_private,
        "allow_plain_http": given.allow_plain_http,
    }
    return validated(JiraConfig, data, "the Jira connection is not valid")
