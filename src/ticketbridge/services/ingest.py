"""Ingest: validate, persist durably, answer — then the decider routes and decides (SPEC §4).

`accept` commits the alerts undecided in one statement and answers with what it knows now: each
alert's fingerprint, `duplicate` when (source, id) was seen before (that alert's stored answer,
nothing changed), and no decision yet for new ones. `Decider.decide_pending` (deciding.py)
routes and decides them after, in ingest order. `ingest` does both and answers with the
decisions: the library and `POST /v1/alerts?wait=true` use it.

Idempotent on (source, id), held by the database's unique constraint (inserts skip a stored key;
on PostgreSQL a concurrent insert of one key waits for the other's commit, then skips).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ticketbridge.clock import Clock
from ticketbridge.domain import Alert, AlertState, DecisionKind, Ticket
from ticketbridge.domain.records import StoredAlert
from ticketbridge.services.deciding import Decider, DecideRound
from ticketbridge.services.ports import RouteSeam, UnitOfWorkFactory
from ticketbridge.services.settings import PipelineSettings

_DECIDE_BATCH = 1000


@dataclass(frozen=True)
class IngestResult:
    """The answer for one alert: what was decided (None: not yet), why, and where its ticket
    is (if known)."""

    source: str
    alert_id: str
    fingerprint: str
    decision: DecisionKind | None
    reasons: tuple[str, ...]
    state: AlertState
    ticket_key: str | None
    ticket_url: str | None
    duplicate: bool  # True: seen before, nothing was changed
    ticket_error: str | None = None  # `?wait=ticket`: why the issue will not come


class IngestService:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        router: RouteSeam,
        settings: PipelineSettings,
        clock: Clock,
        on_decided: Callable[[DecideRound], None] | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self.decider = Decider(uow_factory, router, settings, clock, on_decided)

    async def accept(self, alerts: Sequence[Alert]) -> list[IngestResult]:
        """Persist `alerts` undecided; one result per alert, in order, after the commit."""
        keys = [(a.source, a.id) for a in alerts]
        async with self._uow_factory() as uow:
            first: dict[tuple[str, str], Alert] = {}
            for key, alert in zip(keys, alerts, strict=True):
                first.setdefault(key, alert)  # the first of each key, as ingested
            inserted = await uow.alerts.append(list(first.values()))
            await uow.commit()
        answered: set[tuple[str, str]] = set()
        duplicates: list[bool] = []  # stored before, or a repeat of a key earlier in the batch
        for key in keys:
            duplicates.append(key not in inserted or key in answered)
            answered.add(key)
        if len(inserted) < len(first):  # some were stored before: answer with what is stored
            return await self.answer(alerts, duplicates)
        return [_received(a, duplicate=d) for a, d in zip(alerts, duplicates, strict=True)]

    async def ingest(self, alerts: Sequence[Alert]) -> list[IngestResult]:
        """Accept `alerts`, decide everything pending, and answer with the decisions."""
        accepted = await self.accept(alerts)
        await self.decide_all()
        return await self.answer(alerts, [r.duplicate for r in accepted])

    async def decide_all(self) -> int:
        """Decide until nothing is pending; returns how many alerts were decided."""
        return await self.decider.decide_all(_DECIDE_BATCH)

    async def answer(
        self, alerts: Sequence[Alert], duplicates: Sequence[bool]
    ) -> list[IngestResult]:
        """The current answer for stored alerts (their decision and ticket as they are now)."""
        keys = [(a.source, a.id) for a in alerts]
        async with self._uow_factory() as uow:
            stored = await uow.alerts.find(keys)
            ids = [row.ticket_id for row in stored.values() if row.ticket_id is not None]
            tickets = await uow.tickets.get_many(ids)
        results = []
        for alert, key, duplicate in zip(alerts, keys, duplicates, strict=True):
            found = stored.get(key)
            if found is None:  # not stored: cannot happen after accept; answer what was sent
                results.append(_received(alert, duplicate=duplicate))
                continue
            ticket = tickets.get(found.ticket_id) if found.ticket_id is not None else None
            results.append(result_for(found, ticket, duplicate=duplicate))
        return results


def _received(alert: Alert, *, duplicate: bool) -> IngestResult:
    """The answer for an alert just accepted: stored, not decided yet."""
    return IngestResult(
        source=alert.source,
        alert_id=alert.id,
        fingerprint=alert.fingerprint,
        decision=None,
        reasons=(),
        state=AlertState.OPEN,
        ticket_key=None,
        ticket_url=None,
        duplicate=duplicate,
    )


def result_for(stored: StoredAlert, ticket: Ticket | None, *, duplicate: bool) -> IngestResult:
    """The answer for a stored alert, its state taken from its ticket unless it has its own."""
    return replace(
        _received(stored.alert, duplicate=duplicate),
        decision=stored.decision,
        reasons=stored.reasons,
        state=stored.state(ticket),
        ticket_key=ticket.issue_key if ticket else None,
        ticket_url=ticket.issue_url if ticket else None,
    )
