"""Building an audit trail over a real database for the tests: the services as bootstrap wires
them (the Fernet cipher of a temporary data directory), events appended the way services do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

from ticketbridge.api.jira_connection import ConnectionStore
from ticketbridge.bootstrap.audit import FernetCipher
from ticketbridge.domain.audit import EventType, NewEvent, Subject
from ticketbridge.services.audit_checkpoints import AuditKeys, Checkpointer, CheckpointSink
from ticketbridge.services.audit_service import AuditTrail
from ticketbridge.services.ports import UnitOfWorkFactory
from ticketbridge.storage import Database

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


class Ticking:
    """A virtual clock: each reading one millisecond after the last."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


def trail_for(
    database: Database, data_dir: Path, sink: CheckpointSink | None = None, secret: str = "s3cret"
) -> AuditTrail:
    uow = cast(UnitOfWorkFactory, database.unit_of_work)
    clock = Ticking()
    keys = AuditKeys(uow, clock, FernetCipher(ConnectionStore(data_dir, secret)))
    return AuditTrail(uow, clock, keys, Checkpointer(uow, keys, clock, sink))


def event(n: int, kind: EventType = EventType.ALERT_RECEIVED) -> NewEvent:
    return NewEvent(
        kind,
        "test",
        T0 + timedelta(seconds=n),
        {"n": n, "text": f"event {n} \u00e9"},
        subject=Subject(alert=f"test/a{n % 7}", ticket_key=f"OPS-{n % 5}"),
    )


async def append(database: Database, count: int, *, per_batch: int = 10, start: int = 0) -> None:
    for first in range(start, start + count, per_batch):
        async with database.unit_of_work() as uow:
            last = min(first + per_batch, start + count)
            uow.audit.record([event(n) for n in range(first, last)])
            await uow.commit()
