"""The Jira connection of a running process, kept current without a restart.

`LiveConnection` answers "which Jira now?": ticketbridge.yaml's `jira:` (fixed for the process:
the file is read at start), else the connection `ticketbridge config jira` or
`PUT /v1/integrations/jira` stored, else a fallback (`ticketbridge dev`'s emulator). The stored
file is checked with one `stat` per use and read again only when it was replaced, so every
process sharing the data directory — `serve`, `worker`s, on SQLite or PostgreSQL — follows a
save on its next Jira call. `ReloadingProvider` is the provider the outbox writes through: it
builds a client for the connection in effect and a new one when the connection changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

import structlog

from ticketbridge.api.jira_connection import ConnectionStore, Stamp, StoredConnection
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings
from ticketbridge.errors import ConfigError, Problem
from ticketbridge.providers.base import Provider
from ticketbridge.providers.delegating import DelegatingProvider

log = structlog.get_logger("ticketbridge")

NO_JIRA = Problem("jira", "run `ticketbridge config jira --cloud-url …` or add `jira:`")

_UNREAD = (-1, -1, -1)  # no stamp a file has: the store was never read


def connection_store(settings: Settings) -> ConnectionStore:
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    return ConnectionStore(settings.data_dir, secret)


class LiveConnection:
    def __init__(
        self, settings: Settings, config: Config, fallback: StoredConnection | None = None
    ) -> None:
        self._store = connection_store(settings)
        fixed = config.primary_jira  # the default site's: the one the stored connection manages
        self._fixed = StoredConnection(fixed, None) if fixed is not None else None
        self._fallback = fallback
        self._stamp: Stamp | None = _UNREAD
        self._stored: StoredConnection | None = None
        self._error: ConfigError | None = None

    @property
    def fixed(self) -> bool:
        """ticketbridge.yaml defines the connection: nothing stored applies."""
        return self._fixed is not None

    def origin(self) -> str | None:
        """Where the connection in effect comes from (None: there is none)."""
        connection = self.read()
        if connection is None:
            return None
        if connection is self._fixed:
            return "ticketbridge.yaml"
        return "dev emulator" if connection is self._fallback else "stored"

    def read(self) -> StoredConnection | None:
        """The connection in effect; ConfigError while the stored file cannot be used."""
        if self._fixed is not None:
            return self._fixed
        stamp = self._store.stamp()
        if stamp != self._stamp:
            self._load(stamp)
        if self._error is not None:
            raise self._error.with_traceback(None)
        return self._stored or self._fallback

    def current(self) -> StoredConnection | None:
        """The connection in effect, for the workers: while the stored file cannot be used
        (wrong secret key, hand-edited) the previous connection stays in use."""
        try:
            return self.read()
        except ConfigError:
            return self._stored or self._fallback

    def _load(self, stamp: Stamp | None) -> None:
        first = self._stamp == _UNREAD
        self._stamp = stamp
        try:
            loaded = self._store.load()
        except ConfigError as error:
            self._error = error
            if not first:  # at start the command itself reports it and stops
                log.error(
                    "jira_connection_unreadable",
                    detail=str(error),
                    keeping=str(self._stored.jira.url) if self._stored else None,
                )
            return
        self._error = None
        if not first and loaded is not None:
            log.info("jira_connection_changed", url=str(loaded.jira.url))
        self._stored = loaded


class _Closing(Protocol):
    async def aclose(self) -> None: ...


C = TypeVar("C", bound=_Closing)


class PerConnection(Generic[C]):
    """One client while the connection in effect stays the same, another when a new one is
    saved. Clients of earlier connections may be in the middle of a call, so they are closed
    with this holder, not when replaced."""

    def __init__(self, live: LiveConnection, build: Callable[[JiraConfig], C]) -> None:
        self._live = live
        self._build = build
        self._jira: JiraConfig | None = None
        self._client: C | None = None
        self._retired: list[C] = []

    def configured(self) -> bool:
        return self._live.current() is not None

    def current(self) -> C:
        connection = self._live.current()
        if connection is None:
            raise ConfigError("no Jira is configured", [NO_JIRA])
        if self._client is None or connection.jira is not self._jira:
            if self._client is not None:
                self._retired.append(self._client)
            self._client, self._jira = self._build(connection.jira), connection.jira
        return self._client

    async def aclose(self) -> None:
        for client in [*self._retired, *([self._client] if self._client else [])]:
            await client.aclose()
        self._retired, self._client, self._jira = [], None, None


class ReloadingProvider(DelegatingProvider):
    """A `Provider` over the connection in effect (`PerConnection`)."""

    def __init__(self, live: LiveConnection, build: Callable[[JiraConfig], Provider]) -> None:
        # No inner provider: `_target` picks the current one per call.
        self._clients = PerConnection(live, build)

    def ready(self) -> bool:
        """A Jira is configured: the workers may claim jobs."""
        return self._clients.configured()

    def _target(self) -> Provider:
        return self._clients.current()

    async def aclose(self) -> None:
        await self._clients.aclose()
