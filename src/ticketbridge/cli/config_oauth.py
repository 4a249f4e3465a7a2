"""`ticketbridge config jira --oauth`: connect Jira Cloud over OAuth 2.0 (3LO).

Prints Atlassian's authorization URL (state and PKCE kept in the database) and waits until the
callback — `GET /v1/integrations/jira/oauth/callback`, served by `ticketbridge serve` at the
redirect URL registered with the app — has stored the tokens and the connection. Without a
running `serve`, `--callback-url` finishes with the URL the browser was sent back to.
"""

from __future__ import annotations

from dataclasses import dataclass

from ticketbridge import bootstrap
from ticketbridge.cli import operations
from ticketbridge.cli.common import Exit, console, err_console, fail, print_json
from ticketbridge.config.integrations import ATLASSIAN_API, ATLASSIAN_AUTH
from ticketbridge.config.settings import Settings
from ticketbridge.errors import ConfigError, Problem


@dataclass(frozen=True)
class OAuthOptions:
    client_id: str | None
    client_secret: str | None
    cloud_url: str | None
    redirect_uri: str | None
    auth_url: str | None
    api_url: str | None
    callback_url: str | None
    wait: bool
    allow_private: bool
    allow_plain_http: bool
    project_key: str | None


def redirect_uri_of(settings: Settings, given: str | None) -> str:
    """The callback `serve` answers: TICKETBRIDGE_PUBLIC_URL's, else its host and port's."""
    if given:
        return given
    base = settings.public_url or f"http://{settings.host}:{settings.port}"
    return base.rstrip("/") + bootstrap.CALLBACK_PATH


def connect(settings: Settings, options: OAuthOptions, as_json: bool) -> None:
    if options.callback_url:
        _report(bootstrap.run(operations.finish_oauth(settings, options.callback_url)), as_json)
        return
    if not options.client_id or not options.client_secret:
        fail("--oauth needs --client-id and the client secret", Exit.USAGE)
    pending = bootstrap.PendingConnection(
        client_id=options.client_id,
        client_secret=options.client_secret,
        verifier="",  # made by start
        redirect_uri=redirect_uri_of(settings, options.redirect_uri),
        auth_url=options.auth_url or ATLASSIAN_AUTH,
        api_url=options.api_url or ATLASSIAN_API,
        site_url=options.cloud_url.rstrip("/") if options.cloud_url else None,
        allow_private=options.allow_private,
        allow_plain_http=options.allow_plain_http,
        project_key=options.project_key,
    )
    url = bootstrap.run(operations.start_oauth(settings, pending))
    if as_json and not options.wait:
        print_json({"authorization_url": url, "redirect_uri": pending.redirect_uri})
        return
    err_console.print(
        "Open this URL, sign in to Atlassian and accept; the callback "
        f"({pending.redirect_uri}) must reach `ticketbridge serve`:",
        highlight=False,
    )
    print(url, flush=True)  # alone on its line, for copying (and for scripts)
    if not options.wait:
        return
    outcome = bootstrap.run(operations.wait_oauth(settings, url))
    if not outcome.startswith(bootstrap.CONNECTED):
        raise ConfigError("the OAuth authorization failed", [Problem("oauth", outcome)])
    _report(outcome.removeprefix(bootstrap.CONNECTED), as_json)


def _report(site: str, as_json: bool) -> None:
    if as_json:
        print_json({"connected": True, "site": site, "auth": "oauth2"})
        return
    console.print(
        f"[green]✓[/green] Connected to Jira {site} over OAuth 2.0; the tokens are stored "
        "encrypted in the database and refreshed as they expire",
        highlight=False,
    )
