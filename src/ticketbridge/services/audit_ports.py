"""The audit trail's storage, as Protocols (re-exported by `services.ports`): the append-only
log of events with its checkpoints and signing key, and the GitHub pushes kept for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from ticketbridge.domain.audit import Head, NewEvent, SealedEvent, StoredCheckpoint
from ticketbridge.domain.pushes import RecordedPush


class AuditLog(Protocol):
    """The audit trail (SPEC §8), append-only. `record` is the one call a service makes: the
    events are sequenced and written when its unit of work commits, with its change."""

    def record(self, events: Sequence[NewEvent], *, later: bool = False) -> None:
        """`later`: written unsealed with the change, sealed after it (the decider's)."""
        ...

    def record_decisions(self, records: Sequence[Sequence[Any]]) -> None:
        """The decider's compact `domain.audit_decisions.decision_record`s, recorded `later`."""
        ...

    def seal_on_commit(self) -> None:
        """Seal every pending event when the unit of work commits."""
        ...

    async def pending_count(self) -> int: ...

    async def head(self) -> Head: ...

    def stream(self, first: int = 0, end: int | None = None) -> AsyncIterator[Any]:
        """(position, body, hash) rows in position order, `first` ≤ position < `end`."""
        ...

    async def event(self, event_id: str) -> SealedEvent | None: ...

    async def query(
        self,
        *,
        limit: int,
        after: int | None = None,
        types: Sequence[str] = (),
        alert: str | None = None,
        ticket_key: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[SealedEvent]:
        """In position order, keyset-paged by `after`."""
        ...

    async def add_checkpoint(self, size: int, note: str, now: datetime) -> int: ...

    async def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The checkpoint of the largest size."""
        ...

    async def checkpoints(self, *, unsunk: bool = False) -> list[StoredCheckpoint]: ...

    async def mark_sunk(self, checkpoint_id: int, now: datetime, error: str | None) -> None: ...

    async def signing_key(self) -> tuple[str, str, str] | None:
        """(install id, base64 public key, encrypted private key), once made."""
        ...

    async def add_signing_key(
        self, install_id: str, public_key: str, private_key: str, now: datetime
    ) -> tuple[str, str, str]:
        """Stores the key unless one is stored; returns the stored one."""
        ...

    async def pending_pushes(self, limit: int) -> list[RecordedPush]:
        """The oldest pushes not yet turned into CONFIG_CHANGE events."""
        ...

    async def mark_push_done(self, push_id: int, now: datetime) -> bool:
        """False when another process did it first."""
        ...


class PushEventRepository(Protocol):
    """GitHub pushes kept for the audit trail; one row per `X-GitHub-Delivery` and per push
    (`RecordedPush.content_key`)."""

    async def add(self, push: RecordedPush) -> RecordedPush | None:
        """Store (`id` ignored) and return it with its id; None if the delivery or the same
        push is stored."""
        ...

    async def same_as(self, push: RecordedPush) -> RecordedPush | None:
        """The stored push with `push`'s delivery id or content."""
        ...

    async def list(
        self,
        *,
        limit: int,
        before_id: int | None = None,
        repository: str | None = None,
        jira_key: str | None = None,
    ) -> list[RecordedPush]:
        """Newest first."""
        ...
