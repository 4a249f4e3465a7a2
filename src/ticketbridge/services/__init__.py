"""ticketbridge.services: the pipeline's use cases, on Protocols only (`services.ports`).

The outside (api, cli, ui) builds on:

- `parse_alerts(payload, now=...)` → `list[Alert]` or `InputError` with field paths (422);
- `IngestService.accept(alerts)` → `list[IngestResult]` after the commit, undecided;
  `Decider.decide_pending(n)` routes and decides them (run by `workers.DecisionLoop`);
  `IngestService.ingest(alerts)` does both and answers with the decisions;
- `AlertQueries` (alerts, one alert, tickets) and `OutboxAdmin` (dead-letter list/retry/drop);
- `OutboxProcessor` (run by `workers.Dispatcher`) executes the Jira writes;

`bootstrap` wires them with `storage.Database.unit_of_work`, a provider, a `RouteSeam` and an
`IssueComposer` (`bootstrap.routing(config)`: the CEL rules and the templates).
"""

from ticketbridge.clock import Clock
from ticketbridge.domain.records import ApiKey, Job
from ticketbridge.domain.route import Route
from ticketbridge.services.compose import DefaultComposer
from ticketbridge.services.deciding import Decider, DecideRound
from ticketbridge.services.ingest import IngestResult, IngestService
from ticketbridge.services.intake import parse_alert, parse_alerts
from ticketbridge.services.outbox import OutboxProcessor
from ticketbridge.services.ports import (
    ApiKeyRepository,
    IssueComposer,
    RouteSeam,
    UnitOfWork,
    UnitOfWorkFactory,
)
from ticketbridge.services.queries import AlertQueries, AlertView, JobView, OutboxAdmin, TicketView
from ticketbridge.services.routing import RulesRouter
from ticketbridge.services.settings import PipelineSettings, WorkerSettings

__all__ = [
    "AlertQueries",
    "AlertView",
    "ApiKey",
    "ApiKeyRepository",
    "Clock",
    "DecideRound",
    "Decider",
    "DefaultComposer",
    "IngestResult",
    "IngestService",
    "IssueComposer",
    "Job",
    "JobView",
    "OutboxAdmin",
    "OutboxProcessor",
    "PipelineSettings",
    "Route",
    "RouteSeam",
    "RulesRouter",
    "TicketView",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "WorkerSettings",
    "parse_alert",
    "parse_alerts",
]
