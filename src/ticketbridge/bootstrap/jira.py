"""The Jira side of the composition root: which Jira to talk to (ticketbridge.yaml's `jira:` or
the connection `ticketbridge config jira` stored), the `JiraProvider` built for it with every
request metered and guarded (`providers.outbound`: no private, loopback or metadata target, no
plain http, unless the connection allows it), the quick connection test behind
`ticketbridge config jira --test` and `POST /v1/integrations/jira/test`, and the API's
`JiraIntegrationService` over all of these."""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from ipaddress import IPv4Network, IPv6Network
from typing import TypeVar

import httpx

from ticketbridge.api.jira_connection import StoredConnection
from ticketbridge.api.metrics import MeteredTransport, Metrics
from ticketbridge.api.schemas import JiraConnectionIn, JiraConnectionView, JiraTestReport
from ticketbridge.bootstrap.jira_live import NO_JIRA, LiveConnection, connection_store
from ticketbridge.bootstrap.jira_oauth import OAuthTokens
from ticketbridge.bootstrap.jira_oauth_connect import OAuthConnector
from ticketbridge.config.integrations import AuditConfig, JiraConfig, OAuth2Auth
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings
from ticketbridge.errors import (
    ConfigError,
    FieldErrors,
    InputError,
    JiraError,
    Problem,
    RateLimited,
    validated,
)
from ticketbridge.providers.jira import JiraProvider, api_token, basic, personal_access_token
from ticketbridge.providers.jira.client import HttpSettings
from ticketbridge.providers.jira.oauth1 import OAuth1Signer
from ticketbridge.providers.jira.oauth2 import AtlassianEndpoints, CloudIdRouting, GatewayBearer
from ticketbridge.providers.jira.retry import CLIENT_BACKOFF, RetryPolicy
from ticketbridge.providers.outbound import GuardedTransport, OutboundPolicy, url_refusal

Networks = Sequence[IPv4Network | IPv6Network]
T = TypeVar("T")


def other_site(config: Config, site: str) -> JiraConfig:
    """Another site of `jira.sites` by name, for a command's `--site`; InputError naming
    `--site` when there is none of that name."""
    found = config.other_sites.get(site)
    if found is None:
        names = ", ".join(config.sites) or "none (`jira.sites` names them)"
        problem = Problem("--site", f"no other site {site!r}; the sites: {names}")
        raise InputError("unknown Jira site", [problem])
    return found


def effective_jira(settings: Settings, config: Config) -> StoredConnection | None:
    """The Jira to talk to: ticketbridge.yaml's `jira:` wins over `ticketbridge config jira`."""
    return LiveConnection(settings, config).read()


def outbound_policy(jira: JiraConfig, allowed: Networks = ()) -> OutboundPolicy:
    """What the connection's URL may reach: its own switches and TICKETBRIDGE_OUTBOUND_ALLOW."""
    return OutboundPolicy(
        label="jira.url",
        allow_private=jira.allow_private,
        allow_plain_http=jira.allow_plain_http,
        allowed_networks=tuple(allowed),
        switches="jira.allow_private: true (`config jira --allow-private`)",
    )


def jira_url_problem(jira: JiraConfig, allowed: Networks = ()) -> Problem | None:
    """What is wrong with the connection's URLs before any DNS (scheme, an IP literal): the
    site's, and the authorization server's and gateway's of OAuth and scoped tokens."""
    policy = outbound_policy(jira, allowed)
    for path, url in _urls(jira):
        reason = url_refusal(url, policy)
        if reason is not None:
            return Problem(path, reason)
    return None


def _urls(jira: JiraConfig) -> list[tuple[str, str]]:
    urls = [("jira.url", str(jira.url))]
    for name in ("auth_url", "api_url"):
        url = getattr(jira.auth, name, None)
        if url is not None:
            urls.append((f"jira.auth.{name}", str(url)))
    return urls


def build_provider(
    jira: JiraConfig,
    metrics: Metrics,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    retry: RetryPolicy | None = None,
    allowed: Networks = (),
    oauth: OAuthTokens | None = None,
) -> JiraProvider:
    """The Jira client for a connection; every request on the wire is metered and, on the
    real network, guarded. `transport` replaces the network (tests, an emulator in process).
    OAuth 2.0 connections take their tokens from `oauth` (the database)."""
    site_url = str(jira.url).rstrip("/")
    ca_bundle = str(jira.ca_bundle) if jira.ca_bundle else None
    inner = transport or GuardedTransport(
        httpx.AsyncHTTPTransport(
            verify=ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True,
            limits=httpx.Limits(max_connections=20),
        ),
        outbound_policy(jira, allowed),
    )
    wire: httpx.AsyncBaseTransport = MeteredTransport(inner, metrics)
    credentials, base_url, wire = _credentials(jira, site_url, wire, oauth)
    http = HttpSettings(
        base_url=base_url, auth=credentials, ca_bundle=ca_bundle, read_timeout=jira.timeout
    )
    return JiraProvider(
        flavor=jira.flavor,
        base_url=base_url,
        auth=credentials,
        transport=wire,
        browse_url=site_url,
        http=http,
        retry=retry,
    )


def _credentials(
    jira: JiraConfig,
    site_url: str,
    wire: httpx.AsyncBaseTransport,
    oauth: OAuthTokens | None,
) -> tuple[httpx.Auth, str, httpx.AsyncBaseTransport]:
    """The auth, the URL requests go to, and the transport they go through."""
    auth = jira.auth
    if auth.type == "token":
        return api_token(auth.email, auth.api_token.get_secret_value()), site_url, wire
    if auth.type == "pat":
        return personal_access_token(auth.token.get_secret_value()), site_url, wire
    if auth.type == "basic":
        return basic(auth.username, auth.password.get_secret_value()), site_url, wire
    if auth.type == "oauth1":
        signer = OAuth1Signer(
            auth.consumer_key,
            auth.private_key.get_secret_value(),
            auth.access_token.get_secret_value(),
        )
        return signer, site_url, wire
    if auth.type == "scoped_token":
        endpoints = AtlassianEndpoints(api_url=str(auth.api_url))
        scoped = api_token(auth.email, auth.api_token.get_secret_value())
        if auth.cloud_id:
            return scoped, endpoints.gateway(auth.cloud_id), wire
        return scoped, site_url, CloudIdRouting(wire, site_url, endpoints)
    if oauth is None:
        raise ConfigError(
            "an OAuth 2.0 connection keeps its tokens in the database",
            [Problem("jira.auth", "this command cannot use it; use `ticketbridge serve`")],
        )
    endpoints = AtlassianEndpoints(str(auth.auth_url), str(auth.api_url))
    return GatewayBearer(oauth.source(auth, site_url, wire)), endpoints.gateway(auth.cloud_id), wire


async def check_jira(
    jira: JiraConfig,
    transport: httpx.AsyncBaseTransport | None = None,
    allowed: Networks = (),
    projects: Mapping[str, str] | None = None,
    oauth: OAuthTokens | None = None,
) -> JiraTestReport:
    """Who we are on this Jira, its flavour, version and visible projects (JiraError if not);
    ConfigError naming the setting when one of `projects` (setting → key) is not visible.

    A failure says what was asked, the status and a fixed hint, never what the target answered:
    whoever can set the URL must not be able to read another service's answers through it."""
    # One quick retry: someone is waiting for the answer, and a down Jira stays down.
    quick = RetryPolicy(max_retries=1, backoff=replace(CLIENT_BACKOFF, base=timedelta(seconds=0.2)))
    provider = build_provider(jira, Metrics(), transport, retry=quick, allowed=allowed, oauth=oauth)
    try:
        me = await _step("GET myself", provider.myself)
        info = await _step("GET serverInfo", provider.server_info)
        projects_seen = await _step("GET projects", provider.projects)
    finally:
        await provider.aclose()
    caps = provider.capabilities
    user = f"{me.display_name} <{me.email or me.account_id or me.name}>"
    _require_projects(projects or {}, [p.key for p in projects_seen], user)
    return JiraTestReport(
        user=user,
        flavor=caps.flavor,
        deployment=info.deployment_type,
        api_version=caps.api_version,
        version=info.version,
        base_url=info.base_url,
        projects=[p.key for p in projects_seen],
    )


def _require_projects(wanted: Mapping[str, str], visible: Sequence[str], user: str) -> None:
    known = {key.upper() for key in visible}
    missing = [
        Problem(setting, f"Jira has no project {key!r} that {user} can see")
        for setting, key in wanted.items()
        if key.upper() not in known
    ]
    if missing:
        shown = ", ".join(visible[:20]) or "none"
        raise ConfigError(
            f"the connection works, but a project is missing (visible: {shown})", missing
        )


_HINTS = {
    401: "check the credentials (email and API token, PAT, or username and password)",
    403: "the account may not use Jira's REST API (no product access, or a CAPTCHA after "
    "failed logins: sign in once in a browser)",
    404: "check the URL: it must be the Jira base URL, e.g. https://acme.atlassian.net",
    429: "Jira is rate limiting this account; try again later",
}


async def _step(name: str, call: Callable[[], Awaitable[T]]) -> T:
    try:
        return await call()
    except JiraError as error:
        if error.status is None:  # no answer at all: our own words (connect, refused, timeout)
            raise
        raise _without_answer(error, name) from None


def _without_answer(error: JiraError, step: str) -> JiraError:
    """The same kind of error, its message the status and a fixed hint only."""
    status = error.status or 0
    default = "Jira is unavailable; try again later" if status >= 500 else "an unexpected answer"
    message = f"Jira answered {status} to {step}: {_HINTS.get(status, default)}"
    if isinstance(error, RateLimited):
        return RateLimited(message, retry_after=error.retry_after)
    if isinstance(error, FieldErrors):
        return FieldErrors(message, status=status)
    return type(error)(message, status=status)


class JiraIntegrationService:
    """`api.ports.JiraIntegration` over the connection in effect (`LiveConnection`)."""

    def __init__(
        self,
        settings: Settings,
        live: LiveConnection,
        transport: httpx.AsyncBaseTransport | None,
        default_project: str | None = None,
        *,
        oauth: OAuthTokens | None = None,
        connector: OAuthConnector | None = None,
    ) -> None:
        self._settings = settings
        self._live = live
        self._transport = transport
        self._default_project = default_project
        self._oauth = oauth
        self._connector = connector

    def current(self) -> JiraConnectionView:
        connection = self._live.read()
        if connection is None:
            return JiraConnectionView(configured=False)
        jira, auth = connection.jira, connection.jira.auth
        user = getattr(auth, "email", None) or getattr(auth, "username", None)
        return JiraConnectionView(
            configured=True,
            origin=self._live.origin(),
            flavor=jira.flavor,
            url=str(jira.url),
            auth_type=auth.type,
            user=user,
            project_key=connection.project_key,
            projects=list(connection.projects),
            link_pattern=connection.link_pattern,
            capture_fields=_listed(connection.capture_fields),
        )

    async def save(self, connection: JiraConnectionIn) -> JiraConnectionView:
        """The API's PUT: an OAuth 2.0 connection only with tokens behind it (a grant stored by
        `config jira --oauth`, or a refresh token to start from), else every call would fail."""
        jira = self._validated(connection)
        if isinstance(jira.auth, OAuth2Auth) and not await self._has_tokens(jira.auth):
            raise InputError("no OAuth 2.0 tokens are stored", [NO_OAUTH_GRANT])
        return self._stored(connection, jira)

    async def _has_tokens(self, auth: OAuth2Auth) -> bool:
        if auth.refresh_token is not None:  # stored as the first grant at the first call
            return True
        return self._oauth is not None and await self._oauth.granted()

    def store(self, connection: JiraConnectionIn) -> JiraConnectionView:
        """The admin UI's form (token, PAT or basic: never OAuth)."""
        return self._stored(connection, self._validated(connection))

    def _validated(self, connection: JiraConnectionIn) -> JiraConfig:
        if self._live.fixed:
            raise ConfigError(
                "ticketbridge.yaml defines the Jira connection",
                [Problem("jira", "edit the file; a stored connection would be ignored")],
            )
        data = connection.model_dump(include={"flavor", "url", "auth"})
        jira = validated(JiraConfig, data, "the Jira connection is not valid", InputError)
        refused = jira_url_problem(jira, self._settings.outbound_allow)
        if refused is not None:
            problem = Problem("url", refused.message)
            raise InputError("the Jira URL is refused", [problem])
        return jira

    def _stored(self, connection: JiraConnectionIn, jira: JiraConfig) -> JiraConnectionView:
        audit = _audit_part(connection)
        stored = StoredConnection(
            jira,
            connection.project_key,
            tuple(connection.projects),
            audit.link_pattern if connection.link_pattern is not None else None,
            tuple(audit.capture_fields) if connection.capture_fields is not None else None,
        )
        connection_store(self._settings).save(stored)
        return self.current()

    async def test(self) -> JiraTestReport:
        connection = self._live.read()
        if connection is None:
            raise ConfigError("no Jira is configured", [NO_JIRA])
        wanted = projects_to_check(connection, self._default_project)
        allowed = self._settings.outbound_allow
        return await check_jira(connection.jira, self._transport, allowed, wanted, self._oauth)

    async def complete_oauth(self, state: str, code: str | None, error: str | None) -> str:
        if self._connector is None:
            raise ConfigError("OAuth callbacks need the database", [NO_JIRA])
        return await self._connector.complete(state, code, error)


NO_OAUTH_GRANT = Problem(
    "auth.refresh_token",
    "no OAuth 2.0 tokens are stored: run `ticketbridge config jira --oauth` (or Connect in the "
    "admin UI) to authorize, or give a refresh_token to start from",
)


def projects_to_check(connection: StoredConnection, default_project: str | None) -> dict[str, str]:
    """The projects a connection test must find, by the setting that names them: the stored
    default project and Audital's `projects`, and the configuration's `defaults.project`."""
    wanted = {f"projects[{n}]": key for n, key in enumerate(connection.projects)}
    if connection.project_key:
        wanted["project_key"] = connection.project_key
    if default_project:
        wanted["defaults.project"] = default_project
    return wanted


def _audit_part(connection: JiraConnectionIn) -> AuditConfig:
    """The audit settings a connection carries, checked as ticketbridge.yaml's `audit:` is."""
    given = connection.model_dump(include={"link_pattern", "capture_fields"}, exclude_none=True)
    return validated(AuditConfig, given, "the audit settings are not valid", InputError)


def _listed(values: tuple[str, ...] | None) -> list[str] | None:
    return list(values) if values is not None else None
