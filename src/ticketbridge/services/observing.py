"""The `ObservationSink`: what Jira said about our issues, applied to their tickets (SPEC §6).

Webhook deliveries (`services.jira_deliveries`) and reconcile feed it alike. Per observation,
in one transaction with whatever else the caller records (a delivery marked applied):
the ticket of the issue is looked up (by issue id, else key; none: `unknown_issue`), locked,
read again, and handed to `domain.life.observed`, which compares watermarks (older: `stale`,
recorded and skipped) and records the watermark on every accepted one, even when nothing
else changes. What our own account caused (`echo`) moves no alert state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from ticketbridge.domain.decision import TicketPolicy
from ticketbridge.domain.life import observed
from ticketbridge.domain.observed import IssueObservation, ObservedVia
from ticketbridge.domain.ticket import Ticket
from ticketbridge.services.ports import ObservedOutcome, UnitOfWork, UnitOfWorkFactory

OurAccount = Callable[[], Awaitable[str | None]]
"""Who we are on Jira (`accountId`, or the Data Center user name); None when unknown."""


async def _nobody() -> str | None:
    return None


@dataclass(frozen=True)
class Applied:
    """What one observation did, and to which ticket and alert (the delivery log)."""

    outcome: ObservedOutcome
    ticket: Ticket | None = None
    alert: str | None = None  # "source/id" of the ticket's latest alert


class ObservationApplier:
    """`services.ports.ObservationSink`."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        policy: TicketPolicy,
        our_account: OurAccount = _nobody,
    ) -> None:
        self._uow_factory = uow_factory
        self._policy = policy
        self._our_account = our_account

    async def observe(self, observations: Sequence[IssueObservation]) -> list[ObservedOutcome]:
        """Apply in one transaction of its own (reconcile's way in)."""
        ours = await self._our_account()
        async with self._uow_factory() as uow:
            applied = [await self.apply_in(uow, o, ours) for o in observations]
            await uow.commit()
        return [a.outcome for a in applied]

    async def our_account(self) -> str | None:
        return await self._our_account()

    async def apply_in(
        self, uow: UnitOfWork, observation: IssueObservation, ours: str | None
    ) -> Applied:
        """Apply one observation inside the caller's transaction."""
        found = await uow.tickets.by_issue(observation.issue_id, observation.issue_key)
        if found is None:
            return Applied("unknown_issue")
        # The same lock the decider takes for this fingerprint, then the ticket as it is now.
        await uow.tickets.lock_fingerprints([found.fingerprint])
        ticket = await uow.tickets.get(found.id) if found.id is not None else None
        if ticket is None:
            return Applied("unknown_issue")
        echo = _is_echo(observation, ours)
        after, outcome = observed(ticket, observation, self._policy, ours=echo)
        if after != ticket:
            await uow.tickets.save_many([after])
        latest = await uow.alerts.latest_for_ticket(ticket.id) if ticket.id else None
        alert = f"{latest.alert.source}/{latest.alert.id}" if latest is not None else None
        return Applied(outcome, after, alert)


def _is_echo(observation: IssueObservation, ours: str | None) -> bool:
    """A webhook caused by our own account (our outbox writes as it). Reconcile's snapshots
    are never echoes: they are Jira's state now, and repair what an echo left alone."""
    return (
        ours is not None
        and observation.via is ObservedVia.WEBHOOK
        and observation.author_account_id == ours
    )
