"""Settings saved in the admin UI, applied without a restart: the routing and templates of a
process sit behind `SwitchableRouting`, and `ConfigApplier` rebuilds them from ticketbridge.yaml
with the stored `defaults:` (and `sync:` mappings) values laid under it (the file's own values
win), checked whole by
`load_config` — the loader every command uses — before anything changes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ticketbridge.bootstrap.loading import load_config, pipeline_settings, routing
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings
from ticketbridge.domain import Alert, Route, Ticket
from ticketbridge.domain.decision import TicketPolicy
from ticketbridge.providers.base import IssueDraft
from ticketbridge.services.ports import IssueComposer, RouteSeam

Seams = tuple[RouteSeam, IssueComposer]


class SwitchableRouting:
    """A `RouteSeam` and `IssueComposer` whose rules and templates can be replaced while the
    process runs; each alert is routed and drafted by whichever pair is current then."""

    def __init__(self, seams: Seams) -> None:
        self._seams = seams

    def route(self, alert: Alert) -> Route:
        return self._seams[0].route(alert)

    def draft(self, alert: Alert, route: Route, ticket: Ticket) -> IssueDraft:
        return self._seams[1].draft(alert, route, ticket)

    def switch(self, seams: Seams) -> None:
        self._seams = seams  # one assignment: no alert sees half of each


class ConfigApplier:
    """`services.stored_settings.SettingsApplier` over ticketbridge.yaml and the loader."""

    def __init__(
        self,
        settings: Settings,
        routing: SwitchableRouting,
        *,
        enabled: bool,
        use_policy: Callable[[TicketPolicy], None] | None = None,
    ) -> None:
        self._settings = settings
        self._routing = routing
        self._enabled = enabled  # off when the caller chose its own seams (the library)
        self._use_policy = use_policy  # two-way sync's mappings (`sync.status_ids`, …)

    def check(self, overlay: Mapping[str, Any]) -> Config:
        path = self._settings.config
        return load_config(
            path if path.exists() else None, defaults_under=overlay, settings=self._settings
        )

    def apply(self, checked: object) -> None:
        if self._enabled and isinstance(checked, Config):
            self._routing.switch(routing(checked))
        if self._use_policy is not None and isinstance(checked, Config):
            self._use_policy(pipeline_settings(checked).policy)
