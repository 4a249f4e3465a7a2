"""Composition root: the one place that picks concrete storage, providers and services and wires
them together. Everything else depends on Protocols.

A process starts from `Settings` (environment) and `Config` (ticketbridge.yaml);
`open_container` builds the object graph for them (database, services, the API's adapters) and
closes it again; `cli.server` runs the API on uvicorn with the outbox workers in the same
process. The package is one layer (SPEC §13, `[tool.importlinter]`): only `cli` and `library`
import it.

- `loading`: `load_config`, the one loader of ticketbridge.yaml (and `load_configured`),
  `routing`, the services' and the workers' settings (`pipeline_settings`,
  `worker_settings_from`).
- `container`: `Container`, the wired graph, and `Core`, what its parts are built over.
- `wiring`: `open_container`, the graph built in named steps and closed again; `background`
  (dispatchers, decision loop, periodic jobs) and `adapters` (the UI's stored defaults and
  previews) are its parts.
- `apps`: `build_app`, `build_metrics_app`, and `run` (a command's coroutine, on uvloop).
- `configuration`: what the loader checks beyond the schema (sources, templates, the Jira URL).
- `jira`: the Jira connection (stored or in ticketbridge.yaml), `build_provider`, `check_jira`
  and the API's `JiraIntegrationService`.
- `heap`: `settle_heap`, the garbage collector set for a long-running service.
- `database`: migrations (`upgrade_database`, `head_revision`) and the API's `DatabaseHealth`.
- `library`: `open_library`, the same graph for `ticketbridge.library` (its seams, one
  dispatcher the caller drives), and `library_settings` (defaults, no environment read).
"""

from ticketbridge.bootstrap.apps import build_app, build_metrics_app, run
from ticketbridge.bootstrap.background import sla_clocks
from ticketbridge.bootstrap.configuration import warn_inactive
from ticketbridge.bootstrap.container import Container, uow_factory
from ticketbridge.bootstrap.database import (
    DatabaseHealth,
    current_revision,
    head_revision,
    upgrade_database,
)
from ticketbridge.bootstrap.fingerprints import fingerprint_settings, warn_fingerprint_drift
from ticketbridge.bootstrap.fleet import heartbeat
from ticketbridge.bootstrap.heap import settle_heap
from ticketbridge.bootstrap.jira import (
    JiraIntegrationService,
    build_provider,
    check_jira,
    effective_jira,
    jira_url_problem,
    outbound_policy,
)
from ticketbridge.bootstrap.jira_live import NO_JIRA, connection_store
from ticketbridge.bootstrap.jira_oauth import stored_tokens
from ticketbridge.bootstrap.jira_oauth1 import ApplicationLink, oauth1_finish, oauth1_start
from ticketbridge.bootstrap.jira_oauth_connect import (
    CALLBACK_PATH,
    CONNECTED,
    OAuthConnector,
    PendingConnection,
)
from ticketbridge.bootstrap.library import LibraryServices, library_settings, open_library
from ticketbridge.bootstrap.loading import (
    load_config,
    load_configured,
    pipeline_settings,
    routing,
    worker_settings_from,
)
from ticketbridge.bootstrap.wiring import open_container
from ticketbridge.config.settings import load_settings

__all__ = [
    "CALLBACK_PATH",
    "CONNECTED",
    "NO_JIRA",
    "ApplicationLink",
    "Container",
    "DatabaseHealth",
    "JiraIntegrationService",
    "LibraryServices",
    "OAuthConnector",
    "PendingConnection",
    "build_app",
    "build_metrics_app",
    "build_provider",
    "check_jira",
    "connection_store",
    "current_revision",
    "effective_jira",
    "fingerprint_settings",
    "head_revision",
    "heartbeat",
    "jira_url_problem",
    "library_settings",
    "load_config",
    "load_configured",
    "load_settings",
    "oauth1_finish",
    "oauth1_start",
    "open_container",
    "open_library",
    "outbound_policy",
    "pipeline_settings",
    "routing",
    "run",
    "settle_heap",
    "sla_clocks",
    "stored_tokens",
    "uow_factory",
    "upgrade_database",
    "warn_fingerprint_drift",
    "warn_inactive",
    "worker_settings_from",
]
