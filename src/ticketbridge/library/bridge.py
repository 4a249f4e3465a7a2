"""`Bridge`: the async core of the library — one Jira connection plus the real pipeline.

    async with Bridge.connect(cloud_url=…, email=…, api_token=…) as bridge:
        issue = await bridge.sync_alert({"id": "a1", "title": "…"}, "OPS", "Incident")
        found = await bridge.search("project = OPS")

The bridge is built by `bootstrap.open_library`, the same object graph as `ticketbridge serve`:
alerts are parsed by a native source adapter (`truthvouch` unless told otherwise), stored and
decided in one transaction, and created by the outbox exactly once per fingerprint. The store
is a SQLite file, `./var/library.db` by default (`database_url=` for another file or
PostgreSQL): it is what makes a second handler, a second run of the script or a second thread
find the issue the first one created. Creates whose outcome is unknown are settled by the
provider's marker lookup, as in the service. Nothing reads the environment: process settings
are passed in (`settings=`, e.g. `ticketbridge.config.load_settings()`) or are the defaults.

Direct calls (`create_issue`, `update_issue`, `search`, …) go to Jira through the provider.
Every failure is a `ticketbridge.errors` type: `ConfigError` (connection arguments, rules,
templates), `InputError` (an alert or `fields` of the wrong shape, naming the field), and the
`JiraError` family (`AuthFailed`, `FieldErrors`, `NotFound`, `RateLimited`, `Unavailable`, …).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from types import TracebackType
from typing import Any, Unpack

import httpx
from sqlalchemy.engine import make_url

from ticketbridge.bootstrap import LibraryServices, library_settings, load_config, open_library
from ticketbridge.clock import system_clock
from ticketbridge.config import Config, Defaults, load_settings
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.config.settings import LIBRARY_DATABASE_URL, Settings
from ticketbridge.domain import Alert, Severity
from ticketbridge.errors import ConfigError, InputError, Problem
from ticketbridge.library.connection import Connection, connect
from ticketbridge.library.jira_calls import JiraCalls
from ticketbridge.library.pipeline import LibraryComposer, LibraryRouter, targeted
from ticketbridge.library.views import IssueView
from ticketbridge.providers.base import Issue, Provider
from ticketbridge.rules import route_from_rule
from ticketbridge.services import IngestResult, PipelineSettings, WorkerSettings
from ticketbridge.services.alert_sync import AlertSync, alert_sources, parse_native

DEFAULT_DATABASE_URL = LIBRARY_DATABASE_URL  # the library's public name for it
# What makes two alerts "the same" for a script. The service's truthvouch default (kind, policy,
# model) folds every hallucination into one ticket, which suits a monitoring stream but not a
# script that names its alerts: here an alert's `id` is its identity (seed 000's `alert_123`
# synced again is the same issue; its resolved delivery too), and an alert without one is keyed
# by its kind and title. A `sources.<name>.fingerprint` in the configuration wins.
_LIBRARY_FINGERPRINTS = {
    "truthvouch": ("source", "kind", "title"),
    "generic": ("source", "kind", "title"),
}
_BY_ID = ("source", "id")
_ID_KEYS = ("id", "alert_id", "alertId")


def _library_config() -> Config:
    """No YAML: every alert a call names a target for gets a ticket (min_severity info)."""
    return Config(defaults=Defaults(min_severity=Severity.INFO))


class Bridge(JiraCalls):
    """One Jira and one store; open it with `async with` (or `await open()` / `aclose()`).

    `settings` are the process settings (the store's `database_url`, the outbox workers'
    lease and limits); None: their defaults with the library's store. `worker` replaces the
    workers' settings they give."""

    def __init__(
        self,
        jira: JiraConfig,
        *,
        config: Config | None = None,
        settings: Settings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        source: str = "truthvouch",
        worker: WorkerSettings | None = None,
    ) -> None:
        if source not in alert_sources():
            problem = Problem("source", f"unknown alert source {source!r}; use {alert_sources()}")
            raise ConfigError("cannot open the bridge", [problem])
        self.jira = jira
        self.source = source
        given = config if config is not None else _library_config()
        self._config = given.model_copy(update={"jira": jira})
        self._settings = (
            settings if settings is not None else library_settings(DEFAULT_DATABASE_URL)
        )
        self._fingerprints = PipelineSettings.from_config(self._config).fingerprint_fields
        self._router = LibraryRouter(self._config)
        self._composer = LibraryComposer(self._config)
        self._transport = transport
        self._worker = worker
        self._opened: tuple[AsyncExitStack, LibraryServices] | None = None

    def __repr__(self) -> str:  # the connection's URL and flavour, never its credentials
        store = make_url(self._settings.database_url).render_as_string(hide_password=True)
        return f"<Bridge {self.jira.flavor} {self.jira.url} store={store}>"

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def connect(
        cls,
        *,
        database_url: str = DEFAULT_DATABASE_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        source: str = "truthvouch",
        **connection: Unpack[Connection],
    ) -> Bridge:
        """From the seeds' connection arguments (`cloud_url=`, `email=`, … as
        `library.connection.connect` takes them, with its defaults)."""
        jira = connect(**connection)
        settings = library_settings(database_url)
        return cls(jira, settings=settings, transport=transport, source=source)

    @classmethod
    def from_config(
        cls,
        config: Config | Path | str | None = None,
        settings: Settings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        source: str = "truthvouch",
    ) -> Bridge:
        """From a `ticketbridge.yaml` (path or loaded `Config`; None: the one `settings` names)
        with its `jira:`, defaults and routes; the store is `settings.database_url`. `settings`
        None: the defaults (`load_settings()` reads TICKETBRIDGE_* when you want them)."""
        settings = settings if settings is not None else load_settings({})
        if isinstance(config, Config):
            loaded = config
        else:
            path = Path(config) if config is not None else settings.config
            loaded = load_config(path, settings=settings)
        jira = loaded.primary_jira  # the default site's: the library writes to one Jira
        if jira is None:
            problem = Problem("jira", "the configuration has no `jira:` connection")
            raise ConfigError("cannot open the bridge", [problem])
        return cls(jira, config=loaded, settings=settings, transport=transport, source=source)

    async def open(self) -> Bridge:
        if self._opened is not None:
            return self
        stack = AsyncExitStack()
        seams = (self._router, self._composer)
        opening = open_library(
            self._settings, self._config, seams, transport=self._transport, worker=self._worker
        )
        self._opened = (stack, await stack.enter_async_context(opening))
        return self

    async def aclose(self) -> None:
        opened, self._opened = self._opened, None
        if opened is not None:
            await opened[0].aclose()

    async def __aenter__(self) -> Bridge:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def _services(self) -> LibraryServices:
        if self._opened is None:
            raise ConfigError("the bridge is not open", [Problem("bridge", "use `async with`")])
        return self._opened[1]

    @property
    def _provider(self) -> Provider:
        return self._services.provider

    @property
    def _pipeline(self) -> AlertSync:
        return self._services.sync

    # --- rules -----------------------------------------------------------------------------

    def configure_rule(self, name: str, trigger: str, action: Mapping[str, Any]) -> None:
        """Seed 000's rules: `trigger` (`confidence < 0.5`, `policy_violation = true`, any CEL)
        and an `action` dict; the first matching rule routes an alert (ConfigError when the
        trigger or an action key is invalid, naming it)."""
        self._router.add_rule(route_from_rule(name, trigger, action))

    # --- the pipeline ----------------------------------------------------------------------

    def parse(
        self, payload: Any, *, source: str | None = None, keyed_by_id: bool = False
    ) -> list[Alert]:
        """A native payload (a dict, a list, or the source's envelope) → alerts. The
        fingerprint is the configuration's fields for the source, else the one the alert gives, else
        the library's fields (the alert's id when `keyed_by_id`), else the source's default."""
        name = source or self.source
        fields = self._fingerprints.get(name)
        given = isinstance(payload, Mapping) and bool(payload.get("fingerprint"))
        if fields is None and not given and name in _LIBRARY_FINGERPRINTS:
            fields = _BY_ID if keyed_by_id else _LIBRARY_FINGERPRINTS[name]
        return parse_native(name, payload, now=system_clock(), fingerprint_fields=fields)

    async def ingest(
        self,
        alerts: Sequence[Alert],
        *,
        project_key: str | None = None,
        issue_type: str | None = None,
    ) -> list[IngestResult]:
        """Through the pipeline: stored, decided, and the Jira writes due now done; the results
        carry each alert's issue key (None when ignored or still queued after a failure)."""
        aimed = [targeted(a, project_key, issue_type) for a in alerts]
        for one in aimed:
            self._check_template(one)
        return await self._pipeline.ingest(aimed)

    async def sync_alert(
        self,
        alert: Mapping[str, Any] | Alert,
        project_key: str | None = None,
        issue_type: str | None = None,
        *,
        source: str | None = None,
    ) -> IssueView | None:
        """Create the alert's issue, or update it when the alert was seen before: one issue per
        fingerprint, across calls, handlers and processes sharing the store. None when routing
        ignored the alert."""
        return await self._through_pipeline(alert, project_key, issue_type, source, update=True)

    async def create_issue_from_alert(
        self,
        alert: Mapping[str, Any] | Alert,
        project_key: str | None = None,
        issue_type: str | None = None,
        *,
        source: str | None = None,
    ) -> IssueView | None:
        """The alert's issue, created through the pipeline (a repeat finds the same issue and
        leaves it as it is). None when routing ignored the alert."""
        return await self._through_pipeline(alert, project_key, issue_type, source, update=False)

    async def _through_pipeline(
        self,
        alert: Mapping[str, Any] | Alert,
        project_key: str | None,
        issue_type: str | None,
        source: str | None,
        *,
        update: bool,
    ) -> IssueView | None:
        one = targeted(self._one(alert, source), project_key, issue_type)
        self._check_template(one)
        return _view(await self._pipeline.sync(one, update=update))

    def _check_template(self, alert: Alert) -> None:
        """A rule may name a template defined after it (seed 000's order), so the template is
        looked for when an alert would use it: missing, the call fails here, naming it, and
        nothing is stored or queued (never a dead create reported as Jira's refusal)."""
        route = self._router.route(alert)
        missing = self._composer.missing_template(route)
        if missing is None:
            return
        message = (
            f"template {missing!r} is not defined: define JiraTemplate(name={missing!r}, …) "
            f"before sending alerts that rule {route.name!r} matches"
        )
        raise ConfigError(
            "template not defined", [Problem(f"rules.{route.name}.template", message)]
        )

    def _one(self, alert: Mapping[str, Any] | Alert, source: str | None) -> Alert:
        if isinstance(alert, Alert):
            return alert
        if not isinstance(alert, Mapping):
            raise InputError("cannot read the alert", [Problem("alert", "must be a dict")])
        keyed = any(isinstance(alert.get(key), str) and alert[key] for key in _ID_KEYS)
        alerts = self.parse(dict(alert), source=source, keyed_by_id=keyed)
        if len(alerts) != 1:
            raise InputError("one alert expected", [Problem("alert", f"{len(alerts)} alerts")])
        return alerts[0]


def _view(issue: Issue | None) -> IssueView | None:
    return IssueView.of(issue) if issue is not None else None
