"""`Bridge`: the async core of the library — one Jira connection plus the real pipeline.

    async with Bridge.connect(cloud_url=…, email=…, api_token=…) as bridge:
        issue = await bridge.sync_alert({"id": "a1", "title": "…"}, "OPS", "Incident")
        found = await bridge.search("project = OPS")

Alerts go through the same pipeline as `ticketbridge serve`: parsed by a native source adapter
(`truthvouch` unless told otherwise), stored and decided in one transaction, and created by the
outbox exactly once per fingerprint. The store is a SQLite file, `./var/library.db` by default
(`database_url=` for another file or PostgreSQL): it is what makes a second handler, a second
run of the script or a second thread find the issue the first one created. Creates whose
outcome is unknown are settled by the provider's marker lookup, as in the service.

Direct calls (`create_issue`, `update_issue`, `search`, …) go to Jira through the provider.
Every failure is a `ticketbridge.errors` type: `ConfigError` (connection arguments, rules,
templates), `InputError` (an alert or `fields` of the wrong shape, naming the field), and the
`JiraError` family (`AuthFailed`, `FieldErrors`, `NotFound`, `RateLimited`, `Unavailable`, …).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ticketbridge.api.metrics import Metrics
from ticketbridge.bootstrap import (
    build_provider,
    load_config,
    load_configured,
    load_settings,
    worker_settings_from,
)
from ticketbridge.config import Config, Defaults
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.config.settings import Settings
from ticketbridge.domain import Alert, Severity
from ticketbridge.errors import ConfigError, InputError, Problem
from ticketbridge.library.connection import connect
from ticketbridge.library.jira_calls import JiraCalls
from ticketbridge.library.pipeline import LibraryComposer, LibraryRouter
from ticketbridge.library.pipeline_run import PipelineRun
from ticketbridge.library.views import IssueView
from ticketbridge.providers.jira import JiraProvider
from ticketbridge.rules import route_from_rule
from ticketbridge.services import IngestResult, PipelineSettings, WorkerSettings
from ticketbridge.sources import SOURCES
from ticketbridge.storage import Database, upgrade

__all__ = ["DEFAULT_DATABASE_URL", "Bridge"]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/library.db"
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
    """One Jira and one store; open it with `async with` (or `await open()` / `aclose()`)."""

    def __init__(
        self,
        jira: JiraConfig,
        *,
        config: Config | None = None,
        database_url: str = DEFAULT_DATABASE_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        source: str = "truthvouch",
        worker: WorkerSettings | None = None,
    ) -> None:
        if source not in SOURCES or SOURCES[source].parse_alerts is None:
            alert_sources = sorted(n for n, s in SOURCES.items() if s.parse_alerts is not None)
            problem = Problem("source", f"unknown alert source {source!r}; use {alert_sources}")
            raise ConfigError("cannot open the bridge", [problem])
        self.jira = jira
        self.source = source
        self._config = config if config is not None else _library_config()
        self._settings = PipelineSettings.from_config(self._config)
        self._router = LibraryRouter(self._config, self._settings)
        self._database_url = database_url
        self._transport = transport
        settings = load_settings()
        self._worker = worker or worker_settings_from(settings)
        self._outbound_allow = settings.outbound_allow  # TICKETBRIDGE_OUTBOUND_ALLOW
        self._run: PipelineRun | None = None
        self._provider_or_none: JiraProvider | None = None

    def __repr__(self) -> str:  # the connection's URL and flavour, never its credentials
        store = make_url(self._database_url).render_as_string(hide_password=True)
        return f"<Bridge {self.jira.flavor} {self.jira.url} store={store}>"

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def connect(
        cls,
        *,
        cloud_url: str | None = None,
        server_url: str | None = None,
        email: str | None = None,
        api_token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        pat: str | None = None,
        verify: bool | str | Path = True,
        ca_bundle: str | Path | None = None,
        timeout: float = 30.0,
        database_url: str = DEFAULT_DATABASE_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        source: str = "truthvouch",
    ) -> Bridge:
        """From the seeds' connection arguments (see `library.connection.connect`)."""
        jira = connect(
            cloud_url=cloud_url,
            server_url=server_url,
            email=email,
            api_token=api_token,
            username=username,
            password=password,
            pat=pat,
            verify=verify,
            ca_bundle=ca_bundle,
            timeout=timeout,
        )
        return cls(jira, database_url=database_url, transport=transport, source=source)

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
        with its `jira:`, defaults and routes; the store is `settings.database_url`."""
        settings = settings or Settings()
        if config is None:
            loaded = load_configured(settings)
        elif isinstance(config, Config):
            loaded = config
        else:
            loaded = load_config(Path(config), settings=settings)
        if loaded.jira is None:
            problem = Problem("jira", "the configuration has no `jira:` connection")
            raise ConfigError("cannot open the bridge", [problem])
        return cls(
            loaded.jira,
            config=loaded,
            database_url=settings.database_url,
            transport=transport,
            source=source,
        )

    async def open(self) -> Bridge:
        if self._run is not None:
            return self
        database = await _open_store(self._database_url)
        provider = build_provider(
            self.jira, Metrics(), self._transport, allowed=self._outbound_allow
        )
        self._provider_or_none = provider
        self._run = PipelineRun(
            database,
            provider,
            self._router,
            LibraryComposer(self._config),
            self._settings,
            self._worker,
        )
        return self

    async def aclose(self) -> None:
        run, self._run = self._run, None
        provider, self._provider_or_none = self._provider_or_none, None
        try:
            if provider is not None:
                await provider.aclose()
        finally:
            if run is not None:
                await run.database.aclose()

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
    def _provider(self) -> JiraProvider:
        if self._provider_or_none is None:
            raise ConfigError("the bridge is not open", [Problem("bridge", "use `async with`")])
        return self._provider_or_none

    @property
    def _pipeline(self) -> PipelineRun:
        if self._run is None:
            raise ConfigError("the bridge is not open", [Problem("bridge", "use `async with`")])
        return self._run

    # --- rules -----------------------------------------------------------------------------

    def configure_rule(self, name: str, trigger: str, action: Mapping[str, Any]) -> None:
        """Seed 000's rules: `trigger` (`confidence < 0.5`, `policy_violation = true`, any CEL)
        and an `action` dict; the first matching rule routes an alert (ConfigError when the
        trigger or an action key is invalid, naming it)."""
        self._router = self._router.with_rule(route_from_rule(name, trigger, action))
        if self._run is not None:
            self._run.use_router(self._router)

    # --- the pipeline ----------------------------------------------------------------------

    def parse(
        self, payload: Any, *, source: str | None = None, keyed_by_id: bool = False
    ) -> list[Alert]:
        """A native payload (a dict, a list, or the source's envelope) → alerts. The
        fingerprint is the configuration's fields for the source, else the one the alert gives, else
        the library's fields (the alert's id when `keyed_by_id`), else the source's default."""
        name = source or self.source
        adapter = SOURCES.get(name)
        if adapter is None or adapter.parse_alerts is None:
            raise InputError("unknown source", [Problem("source", f"no alert source {name!r}")])
        fields = self._settings.fingerprint_fields.get(name)
        given = isinstance(payload, Mapping) and bool(payload.get("fingerprint"))
        if fields is None and not given and name in _LIBRARY_FINGERPRINTS:
            fields = _BY_ID if keyed_by_id else _LIBRARY_FINGERPRINTS[name]
        return adapter.parse_alerts(
            payload, received_at=datetime.now(UTC), fingerprint_fields=fields
        )

    async def ingest(
        self,
        alerts: Sequence[Alert],
        *,
        project_key: str | None = None,
        issue_type: str | None = None,
    ) -> list[IngestResult]:
        """Through the pipeline: stored, decided, and the Jira writes due now done; the results
        carry each alert's issue key (None when ignored or still queued after a failure)."""
        return await self._pipeline.ingest(alerts, project_key, issue_type)

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
        one = self._one(alert, source)
        return await self._pipeline.sync(one, project_key, issue_type, update=True)

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
        one = self._one(alert, source)
        return await self._pipeline.sync(one, project_key, issue_type, update=False)

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


async def _open_store(url: str) -> Database:
    """The store, migrated to the code's schema; ConfigError naming `database_url` when it
    cannot be opened (no server, no permission, an unknown driver)."""
    try:
        _make_sqlite_dir(url)
        await upgrade(url)
        return Database(url)
    except (OSError, SQLAlchemyError) as err:
        where = url.split("@")[-1]  # no credentials of a server URL in the message
        problem = Problem(
            "database_url", f"cannot open the store at {where}: {err.__class__.__name__}"
        )
        raise ConfigError("cannot open the library's store", [problem]) from None


def _make_sqlite_dir(url: str) -> None:
    """SQLite creates the file but not its directory (`./var` on a first run)."""
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and ":memory:" not in url:
        Path(url[len(prefix) :]).expanduser().parent.mkdir(parents=True, exist_ok=True)
