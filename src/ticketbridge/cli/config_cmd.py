"""`ticketbridge config jira …` and `ticketbridge config check`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from ticketbridge import bootstrap
from ticketbridge.cli import operations
from ticketbridge.cli.common import Exit, JsonOption, console, fail, print_json, translate_errors
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.config.settings import Settings
from ticketbridge.errors import ConfigError, Problem

__all__ = ["config_app"]

config_app = typer.Typer(help="Configure and check ticketbridge.", no_args_is_help=True)

ConfigPath = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="ticketbridge.yaml (default: $TICKETBRIDGE_CONFIG)."),
]


@config_app.command("jira")
@translate_errors
def config_jira(
    cloud_url: Annotated[str | None, typer.Option(help="Jira Cloud site URL.")] = None,
    email: Annotated[str | None, typer.Option(help="Cloud: Atlassian account email.")] = None,
    api_token: Annotated[str | None, typer.Option(help="Cloud: API token.")] = None,
    server_url: Annotated[str | None, typer.Option(help="Jira Data Center base URL.")] = None,
    pat: Annotated[str | None, typer.Option(help="Data Center: personal access token.")] = None,
    username: Annotated[str | None, typer.Option(help="Data Center: username.")] = None,
    password: Annotated[str | None, typer.Option(help="Data Center: password.")] = None,
    project_key: Annotated[str | None, typer.Option(help="Default project, e.g. OPS.")] = None,
    test: Annotated[bool, typer.Option("--test", help="Test the connection.")] = False,
    config: ConfigPath = None,
    as_json: JsonOption = False,
) -> None:
    """Store the Jira connection (secrets encrypted), and/or test it (--test)."""
    settings = _settings(config)
    connection = _connection_from_options(
        cloud_url, email, api_token, server_url, pat, username, password
    )
    if connection is not None:
        bootstrap.connection_store(settings).save(connection, project_key)
        if not as_json:
            where = bootstrap.connection_store(settings).path
            console.print(f"[green]✓[/green] Jira connection saved to {where} (secrets encrypted)")
    elif not test:
        fail("give --cloud-url … or --server-url … to store a connection, or --test", Exit.USAGE)
    if test:
        report = bootstrap.run(operations.check_jira_connection(settings))
        if as_json:
            print_json(report.model_dump())
            return
        console.print("[green]✓ Connected successfully to Jira[/green]")
        console.print(f"  user:     {report.user}")
        console.print(f"  flavour:  {report.flavor} ({report.deployment})")
        console.print(f"  API:      REST v{report.api_version}, Jira {report.version}")
        console.print(f"  projects: {', '.join(report.projects) or '(none visible)'}")
    elif as_json:
        print_json({"saved": True})


def _connection_from_options(
    cloud_url: str | None,
    email: str | None,
    api_token: str | None,
    server_url: str | None,
    pat: str | None,
    username: str | None,
    password: str | None,
) -> JiraConfig | None:
    if cloud_url and server_url:
        fail("--cloud-url and --server-url exclude each other", Exit.USAGE)
    if cloud_url:
        _need(("--email", email), ("--api-token", api_token))
        data: dict[str, object] = {
            "flavor": "cloud",
            "url": cloud_url,
            "auth": {"type": "token", "email": email, "api_token": api_token},
        }
    elif server_url:
        if pat and (username or password):
            fail("use --pat or --username/--password, not both", Exit.USAGE)
        if pat:
            auth: dict[str, object] = {"type": "pat", "token": pat}
        else:
            _need(("--username", username), ("--password", password))
            auth = {"type": "basic", "username": username, "password": password}
        data = {"flavor": "datacenter", "url": server_url, "auth": auth}
    else:
        return None
    try:
        return JiraConfig.model_validate(data)
    except ValidationError as exc:
        problems = [Problem(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
        raise ConfigError("the Jira connection is not valid", problems) from exc


def _need(*pairs: tuple[str, str | None]) -> None:
    missing = [name for name, value in pairs if not value]
    if missing:
        fail(f"missing {', '.join(missing)}", Exit.USAGE)


@config_app.command("check")
@translate_errors
def config_check(
    file: Annotated[Path | None, typer.Argument(help="The file (default: --config).")] = None,
    config: ConfigPath = None,
    as_json: JsonOption = False,
) -> None:
    """Load and validate ticketbridge.yaml; list every problem with its path and line."""
    path = file or config or bootstrap.load_settings().config
    if not path.exists():
        fail(f"{path} does not exist; pass the file or set TICKETBRIDGE_CONFIG", Exit.USAGE)
    try:
        loaded = bootstrap.load_config_file(path)
    except ConfigError as exc:
        if as_json:
            print_json({"valid": False, "problems": [vars(p) for p in exc.problems]})
            raise typer.Exit(int(Exit.USAGE)) from None
        raise
    summary = {
        "valid": True,
        "file": str(path),
        "routes": len(loaded.routes),
        "templates": len(loaded.templates),
        "jira": loaded.jira.flavor if loaded.jira else None,
    }
    if as_json:
        print_json(summary)
        return
    console.print(
        f"[green]✓[/green] {path} is valid: {summary['routes']} route(s), "
        f"{summary['templates']} template(s), jira: {summary['jira'] or 'not configured'}"
    )


def _settings(config: Path | None) -> Settings:
    settings = bootstrap.load_settings()
    return settings.model_copy(update={"config": config}) if config else settings
