"""Two-way sync's ports, as Protocols (re-exported by `services.ports`): the Jira webhook
deliveries kept raw, and the sink every observation of our issues goes through."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Literal, Protocol

from ticketbridge.domain.deliveries import DeliveryResult, JiraDelivery
from ticketbridge.domain.observed import IssueObservation


class JiraDeliveryRepository(Protocol):
    """Jira webhook deliveries (two-way sync): kept raw, applied once, listed."""

    async def add(self, delivery: JiraDelivery) -> bool:
        """Store unless its identifier is stored; True when this call stored it."""
        ...

    async def pending(
        self, limit: int, *, max_attempts: int, connections: Collection[str] | None = None
    ) -> list[JiraDelivery]:
        """Oldest first, not applied yet (nor given up after `max_attempts`), of the sites
        `connections` names (`JiraDelivery.connection`; None: all)."""
        ...

    async def claim(self, ids: Sequence[int]) -> set[int]:
        """Those not applied yet, held by this transaction."""
        ...

    async def finish(self, results: Sequence[tuple[int, DeliveryResult]], now: datetime) -> None:
        """Record what applying each claimed delivery did."""
        ...

    async def failed(self, delivery_id: int, reason: str) -> None: ...

    async def list(
        self, *, limit: int, before_id: int | None = None, outcome: str | None = None
    ) -> list[JiraDelivery]:
        """Newest first; with `outcome`, only those."""
        ...

    async def count(self) -> int: ...


class ObservationSink(Protocol):
    """Applies what Jira said about our issues (two-way sync): the one entry point for webhook
    deliveries and reconcile alike. Implemented in `services` (issue 14); each observation is
    applied in order of its watermark, stale ones are recorded and skipped, and the result
    says per observation what happened."""

    async def observe(self, observations: Sequence[IssueObservation]) -> list[ObservedOutcome]: ...


ObservedOutcome = Literal["applied", "stale", "echo", "unknown_issue", "unchanged"]
# (`domain.deliveries.DeliveryOutcome` adds what only a delivery can be: ignored, rejected)
"""What applying one observation did (the delivery log shows it)."""
