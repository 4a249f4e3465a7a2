"""`ticketbridge dev` (what `make run` calls): everything a new user needs, on one machine.

It starts `serve` with SQLite under ./var and, when no Jira is configured, the Jira emulator as a
child process (Cloud flavour, projects OPS, AIGOV, COMPLIANCE, SEC, INFRA, or what `--seed`
says) with a webhook back to the service; it creates a dev API key and prints the URLs and a
curl that creates a ticket. Ctrl-C stops the server, the workers and the emulator. Busy ports
stop it before anything starts (`dev_emulator`).

The emulator is the fallback connection: one saved meanwhile (`config jira`, the API) is used
instead, from the next Jira call. The emulator keeps its issues in memory, so with it dev mode
uses its own database (`<data_dir>/dev.db`), emptied at start: the local store never points at
issues that vanished; the other commands find it while dev runs (`dev_session`).
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from ticketbridge import bootstrap
from ticketbridge.api.jira_connection import StoredConnection
from ticketbridge.bootstrap.jira_webhooks import (
    WEBHOOK_PATH,
    WebhookPlan,
    our_projects,
    project_jql,
    register_plan,
)
from ticketbridge.cli import dev_session, server
from ticketbridge.cli.common import Exit, console, fail, translate_errors
from ticketbridge.cli.dev_emulator import (
    EMULATOR_EMAIL,
    EMULATOR_TOKEN,
    Emulator,
    ensure_free,
    start_emulator,
)
from ticketbridge.cli.logs import configure_logging
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings
from ticketbridge.errors import TicketBridgeError

_DEMO_ALERT = {
    "source": "generic",
    "id": "demo-1",
    "kind": "policy_violation",
    "title": "PII sent to an external model",
    "description": "The AI gateway blocked a prompt containing a customer email address.",
    "severity": "high",
    "attributes": {"policy_name": "no-pii", "model": "gpt-4o", "action": "block"},
}


@translate_errors
def dev(
    port: Annotated[int | None, typer.Option(help="API port (default TICKETBRIDGE_PORT).")] = None,
    emulator_port: Annotated[int, typer.Option(help="Port of the Jira emulator.")] = 8081,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    seed: Annotated[
        Path | None,
        typer.Option(
            help="Seed the emulator (YAML/JSON: projects, components, issue types, workflows).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Run ticketbridge for development: serve + workers (+ the Jira emulator)."""
    settings = bootstrap.load_settings()
    settings = settings.model_copy(update={"host": host, "port": port or settings.port})
    configure_logging(settings.log_level, json_logs=False)
    config = bootstrap.load_configured(settings)
    bootstrap.warn_inactive(config, settings)  # the user's file, before the emulator is added
    configured = bootstrap.effective_jira(settings, config)
    if configured is not None and seed is not None:
        fail("--seed seeds the emulator, and a Jira is configured: dev starts none", Exit.USAGE)
    ensure_free(host, settings.port, "API", "ticketbridge dev --port 8090 (make run PORT=8090)")
    emulator: Emulator | None = None
    fallback: StoredConnection | None = None
    if configured is None:
        how = "ticketbridge dev --emulator-port 8091 (make run EMULATOR_PORT=8091)"
        ensure_free("127.0.0.1", emulator_port, "Jira emulator", how)
        secret = secrets.token_urlsafe(24)
        emulator = start_emulator(settings.data_dir, emulator_port, seed)
        fallback = StoredConnection(_emulator_jira(emulator.url, secret), None)
        _register_webhook(settings, config, fallback, secret, emulator)
        settings = _fresh_dev_database(settings)
    try:
        bootstrap.run(
            server.serve(
                settings,
                config=config,
                on_ready=lambda container: _announce(container, settings, emulator),
                jira_fallback=fallback,
            )
        )
    finally:
        dev_session.clear(settings.data_dir)
        if emulator is not None:
            emulator.stop()


def _register_webhook(
    settings: Settings,
    config: Config,
    emulator_jira: StoredConnection,
    secret: str,
    emulator: Emulator,
) -> None:
    """The emulator's webhook back to us, signed with `secret` (the one the fallback connection
    verifies deliveries with): registered as `ticketbridge jira webhook register` does, so the
    demo is two-way out of the box."""
    hook = f"http://{settings.host}:{settings.port}{WEBHOOK_PATH}"
    plan = WebhookPlan(hook, secret, project_jql(our_projects(config, emulator_jira)))
    try:
        done = bootstrap.run(register_plan(settings, emulator_jira.jira, plan))
    except TicketBridgeError:
        emulator.stop()
        raise
    if done.outcome == "not_permitted":  # the emulator's admin always may: a broken seed
        emulator.stop()
        fail("the emulator refused to register the webhook back to ticketbridge", Exit.JIRA)


def _emulator_jira(url: str, webhook_secret: str) -> JiraConfig:
    return JiraConfig.model_validate(
        {
            "flavor": "cloud",
            "url": url,
            "auth": {"type": "token", "email": EMULATOR_EMAIL, "api_token": EMULATOR_TOKEN},
            "webhook": {"secret": webhook_secret},
            "allow_private": True,  # the emulator is on loopback: dev opts in, nothing else
            "timeout": 10.0,
        }
    )


def _fresh_dev_database(settings: Settings) -> Settings:
    if "database_url" in settings.model_fields_set:
        return settings  # the user chose a database: never touch it
    db = settings.data_dir / "dev.db"
    for path in (db, db.with_name("dev.db-wal"), db.with_name("dev.db-shm")):
        path.unlink(missing_ok=True)
    url = f"sqlite+aiosqlite:///{db.as_posix()}"
    dev_session.record(settings.data_dir, url, f"http://{settings.host}:{settings.port}")
    return settings.model_copy(update={"database_url": url})


async def _announce(
    container: bootstrap.Container, settings: Settings, emulator: Emulator | None
) -> None:
    token = await _dev_api_key(container, settings.data_dir)
    base = f"http://{settings.host}:{settings.port}"
    console.print()
    console.print("[bold green]ticketbridge is running[/bold green]")
    console.print(f"  API        {base}")
    console.print(f"  API docs   {base}/docs")
    console.print(f"  Admin UI   {base}/ui")
    if first := await container.accounts.first_admin():
        user, password = first
        console.print(f"  UI login   {user} / {password}  (shown once; `ticketbridge user passwd`)")
    if emulator is not None:
        console.print(
            f"  Jira       {emulator.url}  (emulator; {EMULATOR_EMAIL} / {EMULATOR_TOKEN})"
        )
        console.print(f"  Issues     {emulator.url}/rest/api/3/search/jql?jql=project%3DOPS")
    else:
        console.print(f"  Jira       {container.jira.current().url}")
    console.print(f"  API key    {token}  (admin; saved in {settings.data_dir / 'dev-api-key'})")
    console.print()
    console.print("Create a ticket:")
    typer.echo(demo_curl(base, token))
    console.print()
    console.print("Ctrl-C stops everything.", style="dim")
    sys.stdout.flush()  # the banner must show even when stdout is a pipe


def demo_curl(base_url: str, token: str) -> str:
    body = json.dumps(_DEMO_ALERT, separators=(",", ":"))
    return (
        f"curl -sS -X POST '{base_url}/v1/alerts?wait=ticket'"
        f" -H {shlex.quote('Authorization: Bearer ' + token)}"
        f" -H 'Content-Type: application/json' -d {shlex.quote(body)}"
    )


async def _dev_api_key(container: bootstrap.Container, data_dir: Path) -> str:
    """The dev key from <data_dir>/dev-api-key when the database still knows it, else a new one."""
    key_file = data_dir / "dev-api-key"
    if key_file.exists():
        token = key_file.read_text().strip()
        if await container.api_keys.authenticate(token) is not None:
            return token
    token = (await container.api_keys.issue("dev", ["ingest", "read", "admin"])).token
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token
