"""Two-way sync's part of the object graph: the webhook intake, the observation sink, the
delivery applier and its loop, the delivery log (SPEC §6). `open_container` calls `build_sync`.

Here the services meet their adapters: the one parser (`providers.jira.observations`), the
provider for thin deliveries' GET and for who we are on Jira (the echo guard), the connection
in effect for the webhook's secret, the metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace

from ticketbridge.api.metrics import Metrics
from ticketbridge.bootstrap.jira_live import LiveConnection
from ticketbridge.clock import Clock
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
class Sync:
    webhook: JiraWebhookIntake
    observations: ObservationApplier  # the ObservationSink (reconcile feeds it too)
    applier: DeliveryApplier
    deliveries: DeliveryLog
    loop: DeliveryLoop | None  # built with workers


def build_sync(
    uow: UnitOfWorkFactory,
    clock: Clock,
    live: LiveConnection,
    policy: TicketPolicy,
    metrics: Metrics,
    provider: Provider | None,
    worker: WorkerSettings | None,
    approvals: ApprovalRules | None = None,
    connections: Collection[str] | None = None,
) -> Sync:
    """`connections`: the default site's tickets (`config.sites.claimed_by`), the only ones
    Jira's changes are read for — the webhook's secret and reconcile are the default site's."""
    observations = site_observations(uow, clock, policy, provider, approvals, connections)
    applier = DeliveryApplier(
        uow,
        observations,
        observation_from_delivery,
        _completer(provider),
        clock,
        counted=lambda outcome: metrics.jira_deliveries.labels(outcome=outcome).inc(),
    )
    # Each needs the other: the loop asks intake whether it is busy (the lambda reads
    # `webhook` when called), intake wakes the loop after storing a delivery.
    loop = (
        DeliveryLoop(applier, worker, intake_idle_for=lambda: webhook.idle_for())
        if worker is not None
        else None
    )
    webhook = JiraWebhookIntake(
        uow,
        clock,
        _credentials(live),
        refused=lambda reason: metrics.jira_webhooks_refused.labels(reason=reason).inc(),
        stored=loop.wake if loop is not None else lambda: None,
    )
    return Sync(webhook, observations, applier, DeliveryLog(uow), loop)


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
