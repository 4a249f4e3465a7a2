"""The admin UI's and the audit intake's adapters over ticketbridge.yaml and the connection in
effect: the stored `defaults:` (`stored_defaults`), the route and template previews
(`previews`) and the audit trail's link pattern (`link_pattern`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ticketbridge.bootstrap.jira_live import LiveConnection
from ticketbridge.bootstrap.live_settings import ConfigApplier, SwitchableRouting
from ticketbridge.config.durations import format_duration
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings
from ticketbridge.config.teams import team_document
from ticketbridge.services import (
    Clock,
    IssueComposer,
    PipelineSettings,
    RouteSeam,
    UnitOfWorkFactory,
)
from ticketbridge.services.observing import ObservationApplier
from ticketbridge.services.planning import Planner
from ticketbridge.services.previews import Previews
from ticketbridge.services.stored_settings import EDITABLE, StoredDefaults


def stored_defaults(
    settings: Settings,
    config: Config,
    switchable: SwitchableRouting,
    uow: UnitOfWorkFactory,
    clock: Clock,
    enabled: bool,
    observations: ObservationApplier,
) -> StoredDefaults:
    """`defaults:` and two-way sync's mappings edited in the admin UI; ticketbridge.yaml's
    own values win."""
    applier = ConfigApplier(
        settings, switchable, enabled=enabled, use_policy=observations.use_policy
    )
    in_yaml = (
        config.defaults.model_fields_set
        | {f"sync.{n}" for n in config.sync.model_fields_set}
        | ({"assignments", "teams"} & config.model_fields_set)
    ) & set(EDITABLE)
    effective: dict[str, Any] = {
        name: getattr(config.defaults, name) for name in EDITABLE if hasattr(config.defaults, name)
    }
    effective["assignments"] = [a.model_dump(exclude_none=True) for a in config.assignments]
    effective["priority"] = {str(k): v for k, v in config.defaults.priority.items()}
    effective["due"] = {str(k): format_duration(v) for k, v in config.defaults.due.items()}
    effective["sync.status_ids"] = {k: v.value for k, v in config.sync.status_ids.items()}
    effective["sync.resolutions"] = {k: v.value for k, v in config.sync.resolutions.items()}
    effective["teams"] = {name: team_document(team) for name, team in config.teams.items()}
    return StoredDefaults(uow, clock, applier, in_yaml, effective)


def previews(
    config: Config,
    pipeline: PipelineSettings,
    router: RouteSeam,
    composer: IssueComposer,
    uow: UnitOfWorkFactory,
    clock: Clock,
    live: LiveConnection,
) -> Previews:
    """The admin UI's route test and template preview (`plan --offline`'s Planner)."""

    def flavor() -> str:
        connection = live.current()
        return connection.jira.flavor if connection is not None else "cloud"

    planner = Planner(router, composer, pipeline)
    fields = pipeline.fingerprint_fields
    return Previews(planner, config.routes, config.templates, uow, clock, fields, flavor)


def link_pattern(config: Config, live: LiveConnection) -> Callable[[], str]:
    """audit.link_pattern: ticketbridge.yaml's when it sets one, else the stored connection's
    (Audital's `linkPattern`), else the default."""
    if "link_pattern" in config.audit.model_fields_set:
        return lambda: config.audit.link_pattern

    def pattern() -> str:
        connection = live.current()
        stored = connection.link_pattern if connection is not None else None
        return stored or config.audit.link_pattern

    return pattern
