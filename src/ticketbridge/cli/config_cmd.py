"""`ticketbridge config jira …` and `ticketbridge config check`."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from ticketbridge import bootstrap
from ticketbridge.api.jira_connection import StoredConnection
from ticketbridge.cli import config_oauth, config_oauth1, operations
from ticketbridge.cli.common import (
    Exit,
    JsonOption,
    console,
    err_console,
    fail,
    print_json,
    report_error,
    translate_errors,
)
from ticketbridge.cli.jira_cmd import webhook_check, webhook_verdict
from ticketbridge.config.inactive import inactive_settings
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.config.settings import Settings
from ticketbridge.config.sla_check import due_after_resolution, on_breach_without_settings
from ticketbridge.errors import ConfigError, Problem, TicketBridgeError, validated

config_app = typer.Typer(help="Configure and check ticketbridge.", no_args_is_help=True)

ConfigPath = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="ticketbridge.yaml (default: $TICKETBRIDGE_CONFIG)."),
]


_CREDENTIAL_HELP = (
    "{what}. Prefer ${env} or the prompt: a value on the command line is visible to other "
    "users (ps) and stays in the shell's history."
)
_SECRETS = {  # option → (variable, what the prompt asks for)
    "api_token": ("TICKETBRIDGE_JIRA_API_TOKEN", "Jira API token"),
    "pat": ("TICKETBRIDGE_JIRA_PAT", "Jira personal access token"),
    "password": ("TICKETBRIDGE_JIRA_PASSWORD", "Jira password"),
    "client_secret": ("TICKETBRIDGE_JIRA_CLIENT_SECRET", "OAuth 2.0 client secret"),
}


def _secret_option(name: str, what: str) -> Any:
    env = _SECRETS[name][0]
    return typer.Option(
        envvar=env, show_envvar=False, help=_CREDENTIAL_HELP.format(what=what, env=env)
    )


@config_app.command("jira")
@translate_errors
def config_jira(
    ctx: typer.Context,
    cloud_url: Annotated[str | None, typer.Option(help="Jira Cloud site URL.")] = None,
    email: Annotated[str | None, typer.Option(help="Cloud: Atlassian account email.")] = None,
    api_token: Annotated[str | None, _secret_option("api_token", "Cloud: API token")] = None,
    server_url: Annotated[str | None, typer.Option(help="Jira Data Center base URL.")] = None,
    pat: Annotated[str | None, _secret_option("pat", "Data Center: personal access token")] = None,
    username: Annotated[str | None, typer.Option(help="Data Center: username.")] = None,
    password: Annotated[str | None, _secret_option("password", "Data Center: password")] = None,
    project_key: Annotated[str | None, typer.Option(help="Default project, e.g. OPS.")] = None,
    oauth: Annotated[
        bool, typer.Option("--oauth", help="Cloud: connect over OAuth 2.0 (3LO) in a browser.")
    ] = False,
    client_id: Annotated[str | None, typer.Option(help="OAuth 2.0: the app's client id.")] = None,
    client_secret: Annotated[
        str | None, _secret_option("client_secret", "OAuth 2.0: the app's client secret")
    ] = None,
    redirect_uri: Annotated[
        str | None,
        typer.Option(
            help="OAuth 2.0: the app's callback URL (default: serve's, from "
            "TICKETBRIDGE_PUBLIC_URL or host and port)."
        ),
    ] = None,
    callback_url: Annotated[
        str | None,
        typer.Option(help="OAuth 2.0: finish with the URL the browser was sent back to."),
    ] = None,
    wait: Annotated[
        bool, typer.Option(help="OAuth 2.0: wait for the callback after printing the URL.")
    ] = True,
    scoped: Annotated[
        bool,
        typer.Option(
            "--scoped",
            help="Cloud: --api-token is a scoped API token (sent through api.atlassian.com).",
        ),
    ] = False,
    oauth1: Annotated[
        bool, typer.Option("--oauth1", help="Data Center: connect over OAuth 1.0a (app link).")
    ] = False,
    consumer_key: Annotated[
        str | None, typer.Option(help="OAuth 1.0a: the application link's consumer key.")
    ] = None,
    private_key_file: Annotated[
        Path | None, typer.Option(help="OAuth 1.0a: our RSA private key (PEM).")
    ] = None,
    request_token: Annotated[
        str | None, typer.Option(help="OAuth 1.0a: the request token approved (second run).")
    ] = None,
    verifier: Annotated[
        str | None, typer.Option(help="OAuth 1.0a: the verification code Jira showed.")
    ] = None,
    auth_url: Annotated[
        str | None, typer.Option(help="OAuth 2.0: authorization server (an emulator's URL).")
    ] = None,
    api_url: Annotated[
        str | None, typer.Option(help="OAuth 2.0, scoped tokens: API gateway (an emulator's URL).")
    ] = None,
    allow_private: Annotated[
        bool,
        typer.Option(
            "--allow-private",
            help="The URL may be on loopback or a private network (your own Jira Data Center).",
        ),
    ] = False,
    allow_plain_http: Annotated[
        bool,
        typer.Option(
            "--allow-plain-http", help="Allow http:// to a remote host (credentials in clear)."
        ),
    ] = False,
    test: Annotated[
        bool,
        typer.Option(
            "--test",
            help="Test the connection (and its projects) first; save it only when the test passes.",
        ),
    ] = False,
    save_anyway: Annotated[
        bool, typer.Option("--save-anyway", help="With --test: save even when the test fails.")
    ] = False,
    config: ConfigPath = None,
    as_json: JsonOption = False,
) -> None:
    """Store the Jira connection (secrets encrypted), and/or test it (--test).

    With --test a new connection is tested before it is saved, and saved only when the test
    passes (or with --save-anyway): a failing test never replaces a working connection.
    Secrets come from TICKETBRIDGE_JIRA_API_TOKEN / _PAT / _PASSWORD or a hidden prompt."""
    settings = _settings(config)
    _warn_secrets_on_command_line(ctx)
    if oauth1:
        if oauth or cloud_url or test:
            fail(
                "--oauth1 goes with --server-url, --consumer-key and --private-key-file", Exit.USAGE
            )
        link = config_oauth1.OAuth1Options(
            server_url, consumer_key, private_key_file, request_token, verifier,
            allow_private, allow_plain_http, project_key,
        )  # fmt: skip
        config_oauth1.connect(settings, link, as_json)
        return
    if oauth or callback_url:
        if test or server_url or email or api_token or scoped:
            fail("--oauth goes with --client-id, --client-secret and --cloud-url only", Exit.USAGE)
        secret = client_secret or (None if callback_url else _prompt_secret("client_secret"))
        given = config_oauth.OAuthOptions(
            client_id, secret, cloud_url, redirect_uri, auth_url, api_url, callback_url, wait,
            allow_private, allow_plain_http, project_key,
        )  # fmt: skip
        config_oauth.connect(settings, given, as_json)
        return
    options = _ConnectionOptions(
        cloud_url, email, api_token, server_url, pat, username, password, scoped, api_url
    )
    jira = _connection_from_options(options, allow_private, allow_plain_http)
    if jira is None and not test:
        fail("give --cloud-url … or --server-url … to store a connection, or --test", Exit.USAGE)
    if save_anyway and not test:
        fail("--save-anyway goes with --test", Exit.USAGE)
    connection = None
    if jira is not None:
        refused = bootstrap.jira_url_problem(jira, settings.outbound_allow)
        if refused is not None:
            flag = "--cloud-url" if cloud_url else "--server-url"
            raise ConfigError("the Jira URL is refused", [Problem(flag, refused.message)])
        connection = StoredConnection(jira, project_key)
    if not test:
        assert connection is not None
        _save(settings, connection, as_json)
        if as_json:
            print_json({"saved": True})
        return
    _test_then_save(settings, connection, project_key, save_anyway, as_json)


def _test_then_save(
    settings: Settings,
    connection: StoredConnection | None,
    project_key: str | None,
    save_anyway: bool,
    as_json: bool,
) -> None:
    """Test `connection` (None: the one configured, with `project_key` when given) and save it
    when the test passes, or fails with `save_anyway`."""
    candidate = connection or _configured(settings, project_key)
    try:
        report = bootstrap.run(operations.check_jira_connection(settings, candidate))
    except (TicketBridgeError, httpx.HTTPError) as error:
        code = report_error(error)
        saved = connection is not None and save_anyway
        if connection is not None:
            if saved:
                _save(settings, connection, as_json=True)  # quiet: the verdict follows
            err_console.print(_verdict(settings, saved))
        if as_json:
            print_json({"connected": False, "saved": saved})
        raise typer.Exit(int(code)) from None
    if connection is not None:
        _save(settings, connection, as_json)
    hooks = webhook_check(settings, candidate)
    if as_json:
        print_json(report.model_dump() | {"saved": connection is not None, "webhooks": hooks})
        return
    console.print("[green]✓ Connected successfully to Jira[/green]")
    console.print(f"  user:     {report.user}")
    console.print(f"  flavour:  {report.flavor} ({report.deployment})")
    console.print(f"  API:      REST v{report.api_version}, Jira {report.version}")
    console.print(f"  projects: {', '.join(report.projects) or '(none visible)'}")
    console.print(f"  webhook:  {webhook_verdict(hooks)}", markup=False)


def _configured(settings: Settings, project_key: str | None) -> StoredConnection | None:
    """The connection in effect, its default project replaced by `project_key` when given."""
    current = bootstrap.effective_jira(settings, bootstrap.load_configured(settings))
    if current is None or project_key is None:
        return current
    return replace(current, project_key=project_key)


def _save(settings: Settings, connection: StoredConnection, as_json: bool) -> None:
    store = bootstrap.connection_store(settings)
    store.save(connection)
    if not as_json:
        console.print(f"[green]✓[/green] Jira connection saved to {store.path} (secrets encrypted)")


def _verdict(settings: Settings, saved: bool) -> str:
    if saved:
        return "[yellow]![/yellow] saved anyway (--save-anyway), although the test failed"
    kept = bootstrap.connection_store(settings).path
    in_use = str(kept) if kept.exists() else "none"
    return (
        f"[yellow]![/yellow] not saved: the test failed, so the connection in use ({in_use}) "
        "is unchanged; fix it, or add --save-anyway"
    )


def _warn_secrets_on_command_line(ctx: typer.Context) -> None:
    for name, (env, _) in _SECRETS.items():
        source = ctx.get_parameter_source(name)
        if source is not None and source.name == "COMMANDLINE":  # typer's own click enum
            flag = "--" + name.replace("_", "-")
            err_console.print(
                f"[yellow]![/yellow] {flag} on the command line is visible to other users and "
                f"kept in shell history; set {env} or leave it out to be prompted",
                markup=True,
            )


@dataclass(frozen=True)
class _ConnectionOptions:
    cloud_url: str | None
    email: str | None
    api_token: str | None
    server_url: str | None
    pat: str | None
    username: str | None
    password: str | None
    scoped: bool = False
    api_url: str | None = None


def _connection_from_options(
    given: _ConnectionOptions, allow_private: bool, allow_plain_http: bool
) -> JiraConfig | None:
    if given.cloud_url and given.server_url:
        fail("--cloud-url and --server-url exclude each other", Exit.USAGE)
    if given.cloud_url:
        _need(("--email", given.email))
        token = given.api_token or _prompt_secret("api_token")
        auth: dict[str, object] = {"type": "token", "email": given.email, "api_token": token}
        if given.scoped:
            auth["type"] = "scoped_token"
            if given.api_url:
                auth["api_url"] = given.api_url
        data: dict[str, object] = {"flavor": "cloud", "url": given.cloud_url, "auth": auth}
    elif given.server_url:
        if given.pat and (given.username or given.password):
            fail("use --pat or --username/--password, not both", Exit.USAGE)
        if given.pat or not given.username:
            auth = {"type": "pat", "token": given.pat or _prompt_secret("pat")}
        else:
            password = given.password or _prompt_secret("password")
            auth = {"type": "basic", "username": given.username, "password": password}
        data = {"flavor": "datacenter", "url": given.server_url, "auth": auth}
    else:
        return None
    data |= {"allow_private": allow_private, "allow_plain_http": allow_plain_http}
    return validated(JiraConfig, data, "the Jira connection is not valid")


def _prompt_secret(name: str) -> str:
    """The secret from a hidden prompt; on no terminal, a usage error naming the variable."""
    env, what = _SECRETS[name]
    if not sys.stdin.isatty():
        flag = "--" + name.replace("_", "-")
        fail(f"missing the {what}: set {env} (or run in a terminal to be prompted; {flag} "
             "works but shows it to other users)", Exit.USAGE)  # fmt: skip
    value = str(typer.prompt(what, hide_input=True)).strip()
    if not value:
        fail(f"the {what} is empty", Exit.USAGE)
    return value


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
    """Load and validate ticketbridge.yaml as `serve` does; list every problem with its path
    and line, and every setting that is set but not active yet."""
    settings = bootstrap.load_settings()
    path = file or config or settings.config
    if not path.exists():
        fail(f"{path} does not exist; pass the file or set TICKETBRIDGE_CONFIG", Exit.USAGE)
    try:
        loaded = bootstrap.load_config(path, settings=settings)
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
        "jira": loaded.primary_jira.flavor if loaded.primary_jira else None,
    }
    inactive = inactive_settings(loaded, settings)
    stored = operations.stored_database(settings)
    drifts = (bootstrap.run(operations.fingerprint_drift(stored, loaded)) if stored else None) or []
    changed = [
        Problem(f"sources.{d.source}.fingerprint", d.message, loaded.line_of("sources", d.source))
        for d in drifts
    ]
    warnings = [*due_after_resolution(loaded), *on_breach_without_settings(loaded)]
    if as_json:
        listed = {
            "inactive": [vars(p) for p in inactive],
            "fingerprint_changes": [vars(p) for p in changed],
            "warnings": [vars(p) for p in warnings],
        }
        print_json(summary | listed)
        return
    console.print(
        f"[green]✓[/green] {path} is valid: {summary['routes']} route(s), "
        f"{summary['templates']} template(s), jira: {summary['jira'] or 'not configured'}"
    )
    for problem in [*inactive, *changed, *warnings]:
        err_console.print(f"[yellow]![/yellow] {problem}", highlight=False)


def _settings(config: Path | None) -> Settings:
    settings = bootstrap.load_settings()
    return settings.model_copy(update={"config": config}) if config else settings
