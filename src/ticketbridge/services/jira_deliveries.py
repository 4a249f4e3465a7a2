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
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import structlog

from ticketbridge.clock import Clock
from ticketbridge.domain.deliveries import DeliveryOutcome, JiraDelivery
from ticketbridge.domain.observed import IssueObservation
from ticketbridge.errors import ConfigError, InputError, JiraError
from ticketbridge.services.observing import ObservationApplier
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

    async def apply_pending(self, limit: int = 100) -> list[JiraDelivery]:
        """One round; the deliveries it applied, with their outcomes."""
        async with self._uow_factory() as uow:
            batch = await uow.jira_deliveries.pending(limit, max_attempts=MAX_ATTEMPTS)
            parsed = [await _parsed(uow, self._parse, d) for d in batch]
        if not parsed:
            return []
        prepared = [await self._completed(item) for item in parsed]
        ours = await self._applier.our_account()
        done: list[JiraDelivery] = []
        async with self._uow_factory() as uow:
            for item in prepared:
                if item.failed is not None:
                    assert item.delivery.id is not None
                    await uow.jira_deliveries.failed(item.delivery.id, item.failed)
                    continue
                finished = await self._apply(uow, item, ours)
                if await uow.jira_deliveries.finish(finished, self._clock()):
                    done.append(finished)
            await uow.commit()
        for finished in done:
            self._counted(str(finished.outcome))
        return done

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

    async def _apply(self, uow: UnitOfWork, item: _Prepared, ours: str | None) -> JiraDelivery:
        delivery, observation = item.delivery, item.observation
        if observation is None:
            reason = (item.reason or "")[:_REASON_LIMIT]
            return replace(delivery, outcome=item.outcome, reason=reason, event=item.event)
        applied = await self._applier.apply_in(uow, observation, ours)
        ticket = applied.ticket
        return replace(
            delivery,
            event=item.event,
            outcome=DeliveryOutcome(applied.outcome),
            reason=None,
            issue_key=(ticket.issue_key if ticket else None) or observation.issue_key or None,
            ticket_id=ticket.id if ticket else None,
            alert=applied.alert,
        )


class DeliveryLog:
    """`GET /v1/jira/deliveries`, `ticketbridge sync deliveries`: newest first, paged."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def page(self, *, limit: int = 100, cursor: str | None = None) -> Page[JiraDelivery]:
        before = decode_cursor(cursor)
        async with self._uow_factory() as uow:
            rows = await uow.jira_deliveries.list(limit=limit + 1, before_id=before)
        return page_of(rows, limit, lambda d: d.id or 0)


async def _parsed(uow: UnitOfWork, parse: ParseDelivery, delivery: JiraDelivery) -> _Prepared:
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
        await uow.tickets.by_issue(observation.issue_id, observation.issue_key) is not None
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
