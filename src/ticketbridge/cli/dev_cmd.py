"""`ticketbridge dev` (what `make run` calls): everything a new user needs, on one machine.

It starts `serve` with SQLite under ./var and, when no Jira is configured, the Jira emulator as a
child process (Cloud flavour, projects OPS, AIGOV, COMPLIANCE, SEC, INFRA) with a webhook back to
the service; it creates a dev API key and prints the URLs and a curl that creates a ticket.
Ctrl-C stops the server, the workers and the emulator.

The emulator keeps its issues in memory, so with the emulator dev mode uses its own database
(`<data_dir>/dev.db`), emptied at start: the local store never points at issues that vanished.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import httpx
import typer

from ticketbridge import bootstrap
from ticketbridge.api.jira_connection import StoredConnection, write_private
from ticketbridge.cli import server
from ticketbridge.cli.common import Exit, console, fail, translate_errors
from ticketbridge.cli.logs import configure_logging
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.config.settings import Settings

__all__ = ["EMULATOR_EMAIL", "EMULATOR_TOKEN", "demo_curl", "dev"]

EMULATOR_EMAIL = "admin@example.com"
EMULATOR_TOKEN = "emulator-token"  # noqa: S105 - the emulator's documented demo credential
_WEBHOOK_EVENTS = [
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
]
_DEMO_ALERT = {
    "source": "generic",
    "id": "demo-1",
    "kind": "policy_violation",
    "title": "PII sent to an external model",
    "description": "The AI gateway blocked a prompt containing a customer email address.",
    "severity": "high",
    "attributes": {"policy_name": "no-pii", "model": "gpt-4o", "action": "block"},
}


@dataclass
class _Emulator:
    process: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@translate_errors
def dev(
    port: Annotated[int | None, typer.Option(help="API port (default TICKETBRIDGE_PORT).")] = None,
    emulator_port: Annotated[int, typer.Option(help="Port of the Jira emulator.")] = 8081,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
) -> None:
    """Run ticketbridge for development: serve + workers (+ the Jira emulator)."""
    settings = bootstrap.load_settings()
    settings = settings.model_copy(update={"host": host, "port": port or settings.port})
    configure_logging(settings.log_level, json_logs=False)
    config = bootstrap.load_configured(settings)
    bootstrap.warn_inactive(config, settings)  # the user's file, before the emulator is added
    emulator: _Emulator | None = None
    if bootstrap.effective_jira(settings, config) is None:
        secret = secrets.token_urlsafe(24)
        emulator = _start_emulator(settings, emulator_port, secret)
        config = config.model_copy(update={"jira": _emulator_jira(emulator.url, secret)})
        settings = _fresh_dev_database(settings)
    try:
        bootstrap.run(
            server.serve(
                settings,
                config=config,
                on_ready=lambda container: _announce(container, settings, emulator),
            )
        )
    finally:
        if emulator is not None:
            emulator.stop()


def _start_emulator(settings: Settings, port: int, webhook_secret: str) -> _Emulator:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    seed = settings.data_dir / "dev-emulator-seed.json"
    hook_url = f"http://{settings.host}:{settings.port}/v1/jira/webhook"
    webhook = {"name": "ticketbridge-dev", "url": hook_url, "events": _WEBHOOK_EVENTS}
    write_private(seed, json.dumps({"webhooks": [webhook | {"secret": webhook_secret}]}, indent=2))
    command = [sys.executable, "-m", "jira_emulator", "--port", str(port), "--flavor", "cloud"]
    process = subprocess.Popen([*command, "--seed", str(seed)])  # noqa: S603 - our own module
    emulator = _Emulator(process, f"http://127.0.0.1:{port}")
    _wait_for_emulator(emulator)
    return emulator


def _wait_for_emulator(emulator: _Emulator, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    auth = (EMULATOR_EMAIL, EMULATOR_TOKEN)
    while time.monotonic() < deadline:
        if emulator.process.poll() is not None:
            fail(f"the Jira emulator exited (code {emulator.process.returncode})", Exit.JIRA)
        try:
            response = httpx.get(f"{emulator.url}/rest/api/3/myself", auth=auth, timeout=1.0)
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    emulator.stop()
    fail(f"the Jira emulator did not answer on {emulator.url} within {timeout:.0f}s", Exit.JIRA)


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
    return settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{db.as_posix()}"})


async def _announce(
    container: bootstrap.Container, settings: Settings, emulator: _Emulator | None
) -> None:
    token = await _dev_api_key(container, settings.data_dir)
    base = f"http://{settings.host}:{settings.port}"
    console.print()
    console.print("[bold green]ticketbridge is running[/bold green]")
    console.print(f"  API        {base}")
    console.print(f"  API docs   {base}/docs")
    console.print(f"  Admin UI   {base}/ui")
    if emulator is not None:
        console.print(
            f"  Jira       {emulator.url}  (emulator; {EMULATOR_EMAIL} / {EMULATOR_TOKEN})"
        )
        console.print(f"  Issues     {emulator.url}/rest/api/3/search/jql?jql=project%3DOPS")
    else:
        connection = bootstrap.effective_jira(settings, container.config)
        assert isinstance(connection, StoredConnection)
        console.print(f"  Jira       {connection.jira.url}")
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
        f"curl -sS -X POST '{base_url}/v1/alerts?wait=true'"
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
