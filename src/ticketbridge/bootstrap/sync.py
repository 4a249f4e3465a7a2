"""Two-way sync's part of the object graph: the webhook intake, the observation sink, the
delivery applier and its loop, the delivery log (SPEC §6). `open_container` calls `build_sync`.

Here the services meet their adapters: the one parser (`providers.jira.observations`), the
provider for thin deliveries' GET and for who we are on Jira (the echo guard), the connection
in effect for the webhook's secret, the metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace

from ticketbridge.api.metrics import Metrics
from ticketbridge.bootstrap.jira_live import LiveConnection
from ticketbridge.clock import Clock
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.config.schema import Config
from ticketbridge.domain.decision import TicketPolicy
from ticketbridge.domain.observed import IssueObservation
from ticketbridge.errors import ConfigError, JiraError
from ticketbridge.providers.base import Provider
from ticketbridge.providers.jira.observations import (
    observation_from_delivery,
    observation_from_issue,
)
from ticketbridge.services.audit_reviews import ApprovalRules
from ticketbridge.services.jira_deliveries import CompleteThin, DeliveryApplier, DeliveryLog
from ticketbridge.services.jira_webhook import JiraWebhookIntake, WebhookCredentials
from ticketbridge.services.observing import ObservationApplier
from ticketbridge.services.ports import UnitOfWorkFactory
from ticketbridge.services.settings import WorkerSettings
from ticketbridge.workers import DeliveryLoop


@dataclass
class SiteSync:
    """Another site's (`jira.sites`) webhook: its intake, and with workers the loop applying
    its deliveries to its own tickets."""

    webhook: JiraWebhookIntake
    loop: DeliveryLoop | None


@dataclass
class Sync:
    webhook: JiraWebhookIntake
    observations: ObservationApplier  # the ObservationSink (reconcile feeds it too)
    applier: DeliveryApplier
    deliveries: DeliveryLog
    loop: DeliveryLoop | None  # built with workers
    sites: dict[str, SiteSync] = field(default_factory=dict)  # the other sites', by name


@dataclass(frozen=True)
class SyncParts:
    """What every site's deliveries are applied with."""

    uow: UnitOfWorkFactory
    clock: Clock
    policy: TicketPolicy
    metrics: Metrics
    worker: WorkerSettings | None  # None: no workers, so no delivery loop
    approvals: ApprovalRules | None = None


def build_sync(
    parts: SyncParts,
    live: LiveConnection,
    provider: Provider | None,
    connections: Collection[str] | None = None,
) -> Sync:
    """The default site's: `connections` are its tickets (`Config.default_connections`), the
    credentials its connection's in effect."""
    observations = site_observations(
        parts.uow, parts.clock, parts.policy, provider, parts.approvals, connections
    )
    webhook, applier, loop = _deliveries(parts, observations, provider, _credentials(live), "")
    return Sync(webhook, observations, applier, DeliveryLog(parts.uow), loop)


def site_sync(parts: SyncParts, name: str, jira: JiraConfig, provider: Provider | None) -> SiteSync:
    """Another site's webhook (`POST /v1/jira/sites/<name>/webhook`), with its own secret or
    token, its deliveries applied to its own tickets through its own provider."""
    observations = site_observations(
        parts.uow, parts.clock, parts.policy, provider, parts.approvals, (name,)
    )
    credentials = WebhookCredentials(secret=jira.webhook.secret, token=jira.webhook.token)
    webhook, _, loop = _deliveries(parts, observations, provider, lambda: credentials, name)
    return SiteSync(webhook, loop)


def _deliveries(
    parts: SyncParts,
    observations: ObservationApplier,
    provider: Provider | None,
    credentials: Callable[[], WebhookCredentials],
    connection: str,
) -> tuple[JiraWebhookIntake, DeliveryApplier, DeliveryLoop | None]:
    metrics = parts.metrics
    applier = DeliveryApplier(
        parts.uow,
        observations,
        observation_from_delivery,
        _completer(provider),
        parts.clock,
        counted=lambda outcome: metrics.jira_deliveries.labels(outcome=outcome).inc(),
    )
    # Each needs the other: the loop asks intake whether it is busy (the lambda reads
    # `webhook` when called), intake wakes the loop after storing a delivery.
    loop = (
        DeliveryLoop(applier, parts.worker, intake_idle_for=lambda: webhook.idle_for())
        if parts.worker is not None
        else None
    )
    webhook = JiraWebhookIntake(
        parts.uow,
        parts.clock,
        credentials,
        refused=lambda reason: metrics.jira_webhooks_refused.labels(reason=reason).inc(),
        stored=loop.wake if loop is not None else lambda: None,
        connection=connection,
    )
    return webhook, applier, loop


def site_observations(
    uow: UnitOfWorkFactory,
    clock: Clock,
    policy: TicketPolicy,
    provider: Provider | None,
    approvals: ApprovalRules | None,
    connections: Collection[str] | None,
) -> ObservationApplier:
    """What Jira's changes do to the tickets of the sites `connections` names, `provider`
    being the site's (our account there tells its echoes)."""
    return ObservationApplier(
        uow, policy, _OurAccount(provider), clock, approvals=approvals, connections=connections
    )


def approval_rules(config: Config) -> ApprovalRules:
    """`sync.approvals` as the audit trail's reviews read them."""
    approvals = config.sync.approvals
    return ApprovalRules(tuple(approvals.statuses), approvals.comment)


def _credentials(live: LiveConnection) -> Callable[[], WebhookCredentials]:
    def current() -> WebhookCredentials:
        connection = live.current()
        if connection is None:
            return WebhookCredentials()
        webhook = connection.jira.webhook
        return WebhookCredentials(secret=webhook.secret, token=webhook.token)

    return current


class _OurAccount:
    """Who we are on Jira, asked once (`myself`) and kept; unknown while Jira is not reachable
    (then nothing is taken for an echo)."""

    def __init__(self, provider: Provider | None) -> None:
        self._provider = provider
        self._known: str | None = None

    async def __call__(self) -> str | None:
        if self._known is None and self._provider is not None:
            try:
                me = await self._provider.myself()
            except (JiraError, ConfigError):
                return None
            self._known = me.account_id or me.name
        return self._known


def _completer(provider: Provider | None) -> CompleteThin:
    async def complete(thin: IssueObservation) -> IssueObservation:
        """The issue as Jira has it now (one GET, through the provider's rate governor)."""
        if provider is None:
            raise ConfigError("no Jira is configured to complete a thin delivery")
        issue = await provider.get_issue(thin.issue_key or thin.issue_id)
        full = observation_from_issue(
            {"id": issue.id, "key": issue.key, "fields": issue.fields},
            via=thin.via,
            changelog=None,
            author_account_id=thin.author_account_id,
        )
        same = full.updated == thin.updated
        return replace(full, changelog_id=thin.changelog_id if same else None)

    return complete
