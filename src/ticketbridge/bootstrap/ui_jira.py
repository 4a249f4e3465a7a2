"""The admin UI's Jira page over the connection in effect (`LiveConnection`) and the API's
`JiraIntegrationService` (the same store, validation and SSRF guard as `config jira` and
`PUT /v1/integrations/jira`), and Test Connection: a handful of read requests (myself,
serverInfo, projects, createmeta per route target), each answer a check green or red with
its fix. A red check says what was asked and a fixed hint, never what the target answered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta

import httpx
from pydantic import SecretStr

from ticketbridge.api.jira_connection import StoredConnection
from ticketbridge.api.jira_routes import site_webhook_path
from ticketbridge.api.metrics import Metrics
from ticketbridge.api.schemas import JiraConnectionIn
from ticketbridge.bootstrap.jira import (
    _HINTS,
    JiraIntegrationService,
    build_provider,
    jira_url_problem,
)
from ticketbridge.bootstrap.jira_live import LiveConnection
from ticketbridge.bootstrap.jira_oauth import OAuthTokens
from ticketbridge.bootstrap.jira_oauth_connect import OAuthConnector, PendingConnection
from ticketbridge.bootstrap.ui_metadata import assignable_users, read_metadata
from ticketbridge.config.integrations import ATLASSIAN_API, ATLASSIAN_AUTH, JiraConfig
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings
from ticketbridge.errors import ConfigError, InputError, JiraError, NotFound, Problem
from ticketbridge.providers.base import Provider
from ticketbridge.providers.jira import JiraProvider
from ticketbridge.providers.jira.retry import CLIENT_BACKOFF, RetryPolicy
from ticketbridge.ui.ports import (
    Check,
    CheckReport,
    ConnectionState,
    JiraUser,
    Metadata,
    SiteState,
)

UI_CALLBACK_PATH = "/ui/jira/oauth/callback"  # the API's own callback serves the CLI
_SECRET_FIELDS = {"token": "api_token", "pat": "token", "basic": "password"}
_MAX_TARGETS = 2  # createmeta of at most this many route targets: at most 8 reads in all
# What ticketbridge does in a project: find, create, edit, transition, comment, link issues.
_PERMISSIONS = {
    "BROWSE_PROJECTS": "browse",
    "CREATE_ISSUES": "create",
    "EDIT_ISSUES": "edit",
    "TRANSITION_ISSUES": "transition",
    "ADD_COMMENTS": "comment",
    "LINK_ISSUES": "link",
}
_UNREACHABLE_FIX = (
    "check the URL, DNS and firewall from this server; for a private CA set jira.ca_bundle "
    "(TLS verification always stays on)"
)


def _web_url(text: str) -> bool:
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL:
        return False
    return url.scheme in ("http", "https") and bool(url.host)


def _hint(secret: SecretStr | None) -> str | None:
    if secret is None:
        return None
    value = secret.get_secret_value()
    return "••••" + value[-4:] if len(value) >= 12 else "••••"


class UiJira:
    def __init__(
        self,
        settings: Settings,
        config: Config,
        live: LiveConnection,
        service: JiraIntegrationService,
        transport: httpx.AsyncBaseTransport | None,
        *,
        oauth: OAuthTokens | None = None,
        connector: OAuthConnector | None = None,
    ) -> None:
        self._settings = settings
        self._config = config
        self._live = live
        self._service = service
        self._transport = transport
        self._oauth = oauth  # an OAuth 2.0 connection's tokens (Test Connection, pickers)
        self._connector = connector

    def current(self) -> ConnectionState:
        connection = self._live.current()
        sites = tuple(
            SiteState(name, site.flavor, str(site.url), site.auth.type, site_webhook_path(name))
            for name, site in self._config.other_sites.items()
        )
        if connection is None:
            return ConnectionState(configured=False, other_sites=sites)
        jira, auth = connection.jira, connection.jira.auth
        secret_name = _SECRET_FIELDS.get(auth.type)
        secret = getattr(auth, secret_name) if secret_name else None
        return ConnectionState(
            configured=True,
            origin=self._live.origin(),
            flavor=jira.flavor,
            url=str(jira.url),
            auth_type=auth.type,
            user=getattr(auth, "email", None) or getattr(auth, "username", None) or "",
            secret_hint=_hint(secret),
            project_key=connection.project_key or "",
            read_only=self._live.fixed,
            other_sites=sites,
        )

    def save(self, values: Mapping[str, str]) -> ConnectionState:
        auth_type = values.get("auth_type", "token")
        secret_name = _SECRET_FIELDS.get(auth_type)
        if secret_name is None:
            raise InputError("invalid auth type", [Problem("auth_type", "token, pat or basic")])
        secret = values.get("secret", "")
        if not secret:  # "replace" left empty: keep the stored secret of the same kind
            secret = self._stored_secret(auth_type)
        auth = {"type": auth_type, secret_name: secret}
        if auth_type == "token":
            auth["email"] = values.get("user", "")
        elif auth_type == "basic":
            auth["username"] = values.get("user", "")
        connection = JiraConnectionIn(
            flavor=values.get("flavor", "cloud"),
            url=values.get("url", ""),
            auth=auth,
            project_key=values.get("project_key") or None,
        )
        self._service.store(connection)
        return self.current()

    def _stored_secret(self, auth_type: str) -> str:
        connection = self._live.current()
        auth = connection.jira.auth if connection is not None else None
        if auth is None or auth.type != auth_type:
            problem = "required (no stored secret of this kind to keep)"
            raise InputError("the secret is missing", [Problem("secret", problem)])
        value = getattr(auth, _SECRET_FIELDS[auth_type])
        assert isinstance(value, SecretStr)
        return value.get_secret_value()

    async def test(self) -> CheckReport:
        connection = self._live.current()
        if connection is None:
            fix = "fill in the form above and save"
            return CheckReport([Check("configured", False, "no Jira connection", fix)])
        return CheckReport(await self._checks(connection))

    async def metadata(self, project: str, users: Sequence[str] = ()) -> Metadata:
        connection = self._live.current()
        if connection is None:
            return Metadata(error="no Jira connection: connect one on the Jira page first")
        provider = self._provider(connection.jira)
        try:
            return await read_metadata(provider, project, users)
        finally:
            await provider.aclose()

    async def users(self, project: str, query: str) -> list[JiraUser]:
        connection = self._live.current()
        if connection is None or not project or not query:
            return []
        provider = self._provider(connection.jira)
        try:
            return await assignable_users(provider, project, query)
        except JiraError:
            return []
        finally:
            await provider.aclose()

    async def start_oauth(self, values: Mapping[str, str], ui_base: str) -> str:
        """ "Connect with Atlassian": the authorization URL to send the browser to; the
        callback comes back to the UI (`/ui/jira/oauth/callback`, under
        TICKETBRIDGE_PUBLIC_URL when set, else the address the UI was reached at)."""
        if self._connector is None:
            raise ConfigError("OAuth needs the database", [Problem("oauth", "not available")])
        client_id, secret = values.get("client_id", "").strip(), values.get("client_secret", "")
        problems = [Problem("client_id", "required")] * (not client_id)
        problems += [Problem("client_secret", "required (write-only)")] * (not secret)
        auth_url = values.get("auth_url", "").strip() or ATLASSIAN_AUTH
        api_url = values.get("api_url", "").strip() or ATLASSIAN_API
        problems += [
            Problem(name, "an http(s) URL")
            for name, url in (("auth_url", auth_url), ("api_url", api_url))
            if not _web_url(url)
        ]
        if problems:
            raise InputError("cannot start the authorization", problems)
        base = (self._settings.public_url or ui_base).rstrip("/")
        pending = PendingConnection(
            client_id=client_id[:255],
            client_secret=secret,
            verifier="",  # made by start
            redirect_uri=base + UI_CALLBACK_PATH,
            auth_url=auth_url,
            api_url=api_url,
            site_url=values.get("url", "").strip().rstrip("/") or None,
            allow_private=values.get("allow_private") == "on",
            project_key=values.get("project_key", "").strip() or None,
        )
        return await self._connector.start(pending)

    async def complete_oauth(self, state: str, code: str | None, error: str | None) -> str:
        """The site connected (the same `OAuthConnector.complete` as the API's callback)."""
        return await self._service.complete_oauth(state, code, error)

    def _provider(self, jira: JiraConfig, retry: RetryPolicy | None = None) -> JiraProvider:
        allowed = self._settings.outbound_allow
        return build_provider(
            jira, Metrics(), self._transport, retry=retry, allowed=allowed, oauth=self._oauth
        )

    async def _checks(self, connection: StoredConnection) -> list[Check]:
        jira = connection.jira
        refused = jira_url_problem(jira, self._settings.outbound_allow)
        if refused is not None:
            return [Check("reachable", False, refused.message, "use the Jira's https:// URL")]
        quick = RetryPolicy(
            max_retries=0, backoff=replace(CLIENT_BACKOFF, base=timedelta(seconds=0.2))
        )
        provider = self._provider(jira, retry=quick)
        try:
            return await self._steps(provider, jira, connection)
        finally:
            await provider.aclose()

    async def _steps(
        self, provider: Provider, jira: JiraConfig, connection: StoredConnection
    ) -> list[Check]:
        checks: list[Check] = []
        tls = jira.url.scheme == "https"
        try:
            me = await provider.myself()
        except JiraError as error:
            if error.status is None:
                return [
                    Check("reachable", False, f"no answer from {jira.url}", _UNREACHABLE_FIX),
                    Check("TLS", False, "not checked: nothing answered", _UNREACHABLE_FIX),
                ]
            checks += [_reached(jira), _tls(tls)]
            fix = _HINTS.get(error.status or 0, "check the URL and the credentials")
            return [*checks, Check("authenticated", False, f"Jira answered {error.status}", fix)]
        checks += [_reached(jira), _tls(tls)]
        who = me.email or me.account_id or me.name
        checks.append(Check("authenticated", True, f"as {me.display_name} <{who}>"))
        checks.append(await _api_version(provider))
        checks += await self._projects_and_screens(provider, connection)
        return checks

    async def _projects_and_screens(
        self, provider: Provider, connection: StoredConnection
    ) -> list[Check]:
        try:
            visible = {p.key.upper() for p in await provider.projects()}
        except JiraError as error:
            return [Check("projects", False, f"Jira answered {error.status}", _HINTS.get(0, ""))]
        shown = ", ".join(sorted(visible)[:20]) or "none"
        targets = self._targets(connection)
        missing = sorted({p for p, _ in targets if p.upper() not in visible})
        checks = [
            Check(
                "projects",
                not missing,
                f"visible: {shown}" + (f"; missing: {', '.join(missing)}" if missing else ""),
                "grant this account Browse projects on them, or fix the project key"
                * bool(missing),
            )
        ]
        if targets and targets[0][0].upper() in visible:
            checks.append(await _permissions(provider, targets[0][0]))
        for project, issue_type in targets[:_MAX_TARGETS]:
            if project.upper() in visible:
                checks.append(await _create_screen(provider, project, issue_type))
        return checks

    def _targets(self, connection: StoredConnection) -> list[tuple[str, str]]:
        """(project, issue type) of the defaults and of each ticketing route, in order."""
        defaults = self._config.defaults
        project = connection.project_key or defaults.project
        targets = [(project, defaults.issue_type)]
        for route in self._config.routes:
            if route.action == "ticket":
                target = (route.project or project, route.issue_type or defaults.issue_type)
                if target not in targets and "{" not in "".join(target):
                    targets.append(target)
        return targets


async def _permissions(provider: Provider, project: str) -> Check:
    name = f"permissions in {project}"
    if not isinstance(provider, JiraProvider):
        return Check(name, True, "not checked for this provider")
    try:
        held = await provider.my_permissions(project, list(_PERMISSIONS))
    except JiraError as error:
        return Check(name, False, f"mypermissions answered {error.status}", "check the URL")
    missing = [word for key, word in _PERMISSIONS.items() if not held.get(key)]
    if missing:
        fix = f"grant this account {', '.join(missing)} in {project}'s permission scheme"
        return Check(name, False, f"missing: {', '.join(missing)}", fix)
    return Check(name, True, ", ".join(_PERMISSIONS.values()))


def _reached(jira: JiraConfig) -> Check:
    return Check("reachable", True, f"{jira.url} answered")


def _tls(tls: bool) -> Check:
    if tls:
        return Check("TLS", True, "certificate verified")
    return Check("TLS", True, "plain http, allowed for this URL (loopback or allow_plain_http)")


async def _api_version(provider: Provider) -> Check:
    try:
        info = await provider.server_info()
    except JiraError as error:
        return Check("API version", False, f"serverInfo answered {error.status}", "check the URL")
    caps = provider.capabilities
    detail = f"{info.deployment_type} {info.version}, REST v{caps.api_version} ({caps.flavor})"
    return Check("API version", True, detail)


async def _create_screen(provider: Provider, project: str, issue_type: str) -> Check:
    name = f"create screen {project}/{issue_type}"
    try:
        fields = await provider.create_meta(project, issue_type)
    except NotFound:
        fix = f"add issue type {issue_type!r} to the project's scheme, or route to another type"
        return Check(name, False, f"{project} has no issue type {issue_type!r}", fix)
    except JiraError as error:
        return Check(name, False, f"createmeta answered {error.status}", "grant Create issues")
    on_screen = {f.field.id for f in fields}
    ours = {"summary", "description", "priority", "labels"}
    absent = sorted(ours - on_screen)
    ignored = {"summary", "issuetype", "project", "reporter", *ours}
    required = sorted(f.field.name for f in fields if f.required and f.field.id not in ignored)
    problems = [f"field {f!r} is not on the create screen" for f in absent]
    problems += [f"field {f!r} is required and no route sets it" for f in required]
    if problems:
        fix = "add the fields to the screen in Jira, or set them in defaults.fields / the route"
        return Check(name, False, "; ".join(problems), fix)
    return Check(name, True, f"{len(fields)} fields; summary, description, priority, labels on it")
