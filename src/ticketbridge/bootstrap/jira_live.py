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
        self._fixed = StoredConnection(config.jira, None) if config.jira is not None else None
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


class ReloadingProvider(DelegatingProvider):
    """A `Provider` over the connection in effect; a new client when it changed. Clients of
    earlier connections may be in the middle of a call, so they are closed with this one."""

    def __init__(self, live: LiveConnection, build: Callable[[JiraConfig], Provider]) -> None:
        # No inner provider yet: `_target` picks one per call.
        self._live = live
        self._build = build
        self._jira: JiraConfig | None = None
        self._provider: Provider | None = None
        self._retired: list[Provider] = []

    def ready(self) -> bool:
        """A Jira is configured: the workers may claim jobs."""
        return self._live.current() is not None

    def _target(self) -> Provider:
        connection = self._live.current()
        if connection is None:
            raise ConfigError("no Jira is configured", [NO_JIRA])
        if self._provider is None or connection.jira is not self._jira:
            if self._provider is not None:
                self._retired.append(self._provider)
            self._provider, self._jira = self._build(connection.jira), connection.jira
        return self._provider

    async def aclose(self) -> None:
        for provider in [*self._retired, *([self._provider] if self._provider else [])]:
            await provider.aclose()
        self._retired, self._provider, self._jira = [], None, None
