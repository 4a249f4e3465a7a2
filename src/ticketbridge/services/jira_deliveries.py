"""Applying stored Jira deliveries, and the delivery log (SPEC §6).

A round, run by the delivery loop (`workers.jira_deliveries`):
1. read a batch of deliveries not applied yet (a short transaction, nothing held);
2. outside any transaction: parse each (`parse`, the one parser in
   `providers.jira.observations`), and complete a thin Data Center delivery of one of *our*
   issues with one GET of the issue (`complete`, through the rate governor);
3. one transaction: claim those still not applied (on PostgreSQL locked, others skip them),
   apply each through the `ObservationApplier` and record its outcome, commit.
A crash before the commit leaves them pending (applied again by the next round: the watermark
makes that harmless); after it they are applied. Nothing is lost and nothing applied twice.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import structlog

from ticketbridge.clock import Clock
from ticketbridge.domain.deliveries import DeliveryOutcome, DeliveryResult, JiraDelivery
from ticketbridge.domain.observed import IssueObservation
from ticketbridge.errors import ConfigError, InputError, JiraError
from ticketbridge.services.observing import Applied, ObservationApplier
from ticketbridge.services.ports import UnitOfWork, UnitOfWorkFactory
from ticketbridge.services.queries import Page, decode_cursor, page_of

log = structlog.get_logger(__name__)

ParseDelivery = Callable[[Mapping[str, Any]], IssueObservation | None]
"""A delivery's body → its observation (None: an event sync does not use); `InputError`."""
CompleteThin = Callable[[IssueObservation], Awaitable[IssueObservation]]
"""A thin observation completed from the issue as Jira has it now (one GET)."""
MAX_ATTEMPTS = 20  # a thin delivery whose GET keeps failing is left (reconcile repairs it)
_REASON_LIMIT = 500


@dataclass(frozen=True)
class _Prepared:
    delivery: JiraDelivery
    event: str | None = None
    observation: IssueObservation | None = None
    outcome: DeliveryOutcome | None = None  # decided before applying (ignored, rejected)
    reason: str | None = None
    fetch: bool = False  # thin, and one of our issues: complete it with one GET
    failed: str | None = None  # could not be completed now: tried again later


class DeliveryApplier:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        applier: ObservationApplier,
        parse: ParseDelivery,
        complete: CompleteThin,
        clock: Clock,
        *,
        counted: Callable[[str], None] = lambda _outcome: None,
    ) -> None:
        self._uow_factory = uow_factory
        self._applier = applier
        self._parse = parse
        self._complete = complete
        self._clock = clock
        self._counted = counted  # each outcome, for metrics (unknown issues among them)

    async def apply_pending(self, limit: int = 100) -> list[DeliveryResult]:
        """One round; what each delivery it applied did."""
        async with self._uow_factory() as uow:
            sites = self._applier.connections
            batch = await uow.jira_deliveries.pending(
                limit, max_attempts=MAX_ATTEMPTS, connections=sites
            )
            parsed = [await _parsed(uow, self._parse, d, sites) for d in batch]
        if not parsed:
            return []
        prepared = [await self._completed(item) for item in parsed]
        ours = await self._applier.our_account()
        async with self._uow_factory() as uow:
            claimed = await uow.jira_deliveries.claim([i.delivery.id or 0 for i in prepared])
            mine = [i for i in prepared if i.delivery.id in claimed]
            for item in mine:
                if item.failed is not None:
                    await uow.jira_deliveries.failed(item.delivery.id or 0, item.failed)
            usable = [i for i in mine if i.failed is None]
            done = await self._apply(uow, usable, ours)
            await uow.jira_deliveries.finish(done, self._clock())
            await uow.commit()
        for _id, result in done:
            self._counted(result.outcome.value)
        return [result for _id, result in done]

    async def apply_all(self, limit: int = 100) -> int:
        """Rounds until none is pending (tests, drills)."""
        total = 0
        while applied := await self.apply_pending(limit):
            total += len(applied)
        return total

    async def _completed(self, item: _Prepared) -> _Prepared:
        if not item.fetch or item.observation is None:
            return item
        try:
            return replace(item, observation=await self._complete(item.observation))
        except (JiraError, ConfigError) as error:
            log.warning("thin_delivery_not_completed", error=type(error).__name__)
            return replace(item, failed=f"completing it from Jira failed: {error}"[:200])

    async def _apply(
        self, uow: UnitOfWork, items: Sequence[_Prepared], ours: str | None
    ) -> list[tuple[int, DeliveryResult]]:
        observed = [i for i in items if i.observation is not None]
        applied = await self._applier.apply_in(
            uow, [i.observation for i in observed if i.observation is not None], ours
        )
        by_delivery = {id(item): a for item, a in zip(observed, applied, strict=True)}
        results: list[tuple[int, DeliveryResult]] = []
        for item in items:
            one = by_delivery.get(id(item))
            results.append((item.delivery.id or 0, _result(item, one)))
        return results


def _result(item: _Prepared, applied: Applied | None) -> DeliveryResult:
    if applied is None or item.observation is None:
        assert item.outcome is not None
        reason = (item.reason or "")[:_REASON_LIMIT]
        return DeliveryResult(item.outcome, event=item.event, reason=reason)
    ticket = applied.ticket
    return DeliveryResult(
        DeliveryOutcome(applied.outcome),
        event=item.event,
        issue_key=(ticket.issue_key if ticket else None) or item.observation.issue_key or None,
        ticket_id=ticket.id if ticket else None,
    )


class DeliveryLog:
    """`GET /v1/jira/deliveries`, `ticketbridge sync deliveries`: newest first, paged, each with
    the latest alert of the ticket it touched."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def page(
        self,
        *,
        limit: int = 100,
        cursor: str | None = None,
        outcome: DeliveryOutcome | None = None,
    ) -> Page[JiraDelivery]:
        before = decode_cursor(cursor)
        wanted = outcome.value if outcome is not None else None
        async with self._uow_factory() as uow:
            rows = await uow.jira_deliveries.list(limit=limit + 1, before_id=before, outcome=wanted)
            alerts: dict[int, str] = {}
            for ticket_id in {r.ticket_id for r in rows if r.ticket_id is not None}:
                latest = await uow.alerts.latest_for_ticket(ticket_id)
                if latest is not None:
                    alerts[ticket_id] = f"{latest.alert.source}/{latest.alert.id}"
        named = [replace(r, alert=alerts.get(r.ticket_id or 0)) for r in rows]
        return page_of(named, limit, lambda d: d.id or 0)


async def _parsed(
    uow: UnitOfWork,
    parse: ParseDelivery,
    delivery: JiraDelivery,
    sites: Collection[str] | None,
) -> _Prepared:
    """Parsed, and for a thin delivery whether it names one of our issues (only those are
    ever fetched)."""
    try:
        data = _json(delivery.body)
        observation = parse(data)
    except InputError as refused:
        return _Prepared(delivery, outcome=DeliveryOutcome.REJECTED, reason=str(refused))
    event = data.get("webhookEvent")
    event = event[:64] if isinstance(event, str) else None
    if observation is None:
        return _Prepared(delivery, event, outcome=DeliveryOutcome.IGNORED, reason="event not used")
    fetch = observation.thin and (
        await uow.tickets.by_issue(observation.issue_id, observation.issue_key, sites) is not None
    )
    return _Prepared(delivery, event, observation, fetch=fetch)


def _json(body: bytes) -> Mapping[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InputError("the delivery is not JSON") from None
    if not isinstance(data, Mapping):
        raise InputError("the delivery is not a JSON object")
    return data
