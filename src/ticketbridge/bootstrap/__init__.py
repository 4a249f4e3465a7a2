"""Composition root: the one place that picks concrete storage, providers and services and wires
them together. Everything else depends on Protocols.

A process starts from `Settings` (environment) and `Config` (ticketbridge.yaml);
`open_container` builds the object graph for them (database, services, the API's adapters) and
closes it again; `cli.server` runs the API on uvicorn with the outbox workers in the same
process. The package is one layer (SPEC §13, `[tool.importlinter]`): only `cli` and `library`
import it.

- `wiring`: configuration loading, routing, the worker settings (`worker_settings_from`),
  `Container`, `open_container`, `build_app`.
- `jira`: the Jira connection (stored or in ticketbridge.yaml), `build_provider`, `check_jira`
  and the API's `JiraIntegrationService`.
- `heap`: `settle_heap`, the garbage collector set for a long-running service.
- `database`: migrations (`upgrade_database`, `head_revision`) and the API's `DatabaseHealth`.
"""

from ticketbridge.bootstrap.database import (
    DatabaseHealth,
    current_revision,
    head_revision,
    upgrade_database,
)
from ticketbridge.bootstrap.heap import settle_heap
from ticketbridge.bootstrap.jira import (
    NO_JIRA,
    JiraIntegrationService,
    NotBuiltYet,
    build_provider,
    check_jira,
    connection_store,
    effective_jira,
)
from ticketbridge.bootstrap.wiring import (
    Container,
    build_app,
    build_metrics_app,
    load_config_file,
    load_configured,
    load_settings,
    open_container,
    outbox_provider,
    pipeline_settings,
    routing,
    run,
    worker_settings_from,
)

__all__ = [
    "NO_JIRA",
    "Container",
    "DatabaseHealth",
    "JiraIntegrationService",
    "NotBuiltYet",
    "build_app",
    "build_metrics_app",
    "build_provider",
    "check_jira",
    "connection_store",
    "current_revision",
    "effective_jira",
    "head_revision",
    "load_config_file",
    "load_configured",
    "load_settings",
    "open_container",
    "outbox_provider",
    "pipeline_settings",
    "routing",
    "run",
    "settle_heap",
    "upgrade_database",
    "worker_settings_from",
]
