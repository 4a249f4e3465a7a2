"""Signed checkpoints: due every 60 s or 1,000 events (a virtual clock), one at shutdown,
stored and appended to the sink in order; an HTTP sink goes through the SSRF guard and one that
refuses gets the checkpoint again later; the key is stored encrypted and one per database."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

import httpx
import pytest
from audit_harness import T0, append

from ticketbridge.api.jira_connection import ConnectionStore
from ticketbridge.bootstrap.audit import FernetCipher, FileSink
from ticketbridge.domain.audit_notes import open_checkpoint, parse_verifier_key, split_notes
from ticketbridge.errors import ConfigError
from ticketbridge.providers.audit_sink import HttpSink
from ticketbridge.services.audit_checkpoints import AuditKeys, Checkpointer, CheckpointSink
from ticketbridge.services.ports import UnitOfWorkFactory
from ticketbridge.storage import Database
from ticketbridge.workers.audit_loop import AuditLoop


class Clock:
    """A virtual clock: moved by the test only."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _keys(database: Database, tmp_path: Path, clock: Clock) -> AuditKeys:
    uow = cast(UnitOfWorkFactory, database.unit_of_work)
    return AuditKeys(uow, clock, FernetCipher(ConnectionStore(tmp_path, "s3cret")))


def _checkpointer(
    database: Database, tmp_path: Path, clock: Clock, sink: CheckpointSink | None
) -> Checkpointer:
    uow = cast(UnitOfWorkFactory, database.unit_of_work)
    return Checkpointer(uow, _keys(database, tmp_path, clock), clock, sink)


async def _sizes(database: Database) -> list[int]:
    async with database.unit_of_work() as uow:
        return [c.size for c in await uow.audit.checkpoints()]


async def test_due_every_thousand_events_or_sixty_seconds(
    database: Database, tmp_path: Path
) -> None:
    clock = Clock()
    sink = FileSink(tmp_path / "sink" / "checkpoints.txt")
    checkpointer = _checkpointer(database, tmp_path, clock, sink)
    assert await checkpointer.checkpoint() is None  # an empty log is not signed
    await append(database, 10)
    assert (await checkpointer.checkpoint()) is not None  # the first one
    await append(database, 999, per_batch=100, start=10)
    assert await checkpointer.checkpoint() is None  # 999 more, 0 s later: not due
    await append(database, 1, start=1009)
    made = await checkpointer.checkpoint()
    assert made is not None
    assert made.size == 1010
    await append(database, 5, start=1010)
    clock.now += timedelta(seconds=59)
    assert await checkpointer.checkpoint() is None
    clock.now += timedelta(seconds=1)
    made = await checkpointer.checkpoint()
    assert made is not None
    assert made.size == 1015
    assert await _sizes(database) == [10, 1010, 1015]
    notes = split_notes(sink.path.read_text())
    public = await _keys(database, tmp_path, clock).public()
    assert public is not None
    verifier = parse_verifier_key(public.vkey)
    assert [open_checkpoint(n, verifier).size for n in notes] == [10, 1010, 1015]


async def test_the_loop_signs_what_was_appended_at_shutdown(
    database: Database, tmp_path: Path
) -> None:
    clock = Clock()
    loop = AuditLoop(_checkpointer(database, tmp_path, clock, None), tick=timedelta(hours=1))
    await loop.run_once()
    await append(database, 3)
    await loop.run_once()  # the first events: signed at once
    await append(database, 2, start=3)
    await loop.run_once()  # 2 more, 0 s later: not due
    assert await _sizes(database) == [3]
    stop = asyncio.Event()
    stop.set()  # shutting down: the loop's last round signs whatever was appended
    await loop.run_forever(stop)
    assert await _sizes(database) == [3, 5]


async def test_an_http_sink_gets_each_checkpoint_once_and_in_order(
    database: Database, tmp_path: Path
) -> None:
    received: list[str] = []
    answers = [503, 200, 200]

    def sink(request: httpx.Request) -> httpx.Response:
        status = answers.pop(0)
        if status == 200:
            received.append(request.content.decode())
        return httpx.Response(status)

    async def public(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    http = HttpSink(
        "https://audit.example/checkpoints", transport=httpx.MockTransport(sink), resolver=public
    )
    clock = Clock()
    checkpointer = _checkpointer(database, tmp_path, clock, http)
    await append(database, 3)
    assert await checkpointer.checkpoint() is not None  # the sink answers 503: kept, not sent
    assert received == []
    await append(database, 2, start=3)
    clock.now += timedelta(minutes=1)
    await checkpointer.checkpoint()
    assert [n.split("\n")[1] for n in received] == ["3", "5"]


async def test_a_private_sink_address_is_refused_by_the_guard(
    database: Database, tmp_path: Path
) -> None:
    sent: list[httpx.Request] = []
    http = HttpSink(
        "http://169.254.169.254/latest", transport=httpx.MockTransport(lambda r: sent.append(r))
    )
    checkpointer = _checkpointer(database, tmp_path, Clock(), http)
    await append(database, 1)
    await checkpointer.checkpoint()
    assert sent == []
    async with database.unit_of_work() as uow:
        [pending] = await uow.audit.checkpoints(unsunk=True)
    assert pending.sunk_at is None


async def test_one_key_per_database_stored_encrypted(database: Database, tmp_path: Path) -> None:
    first, second = await asyncio.gather(
        _keys(database, tmp_path, Clock()).signing(), _keys(database, tmp_path, Clock()).signing()
    )
    assert first.public == second.public
    async with database.unit_of_work() as uow:
        stored = await uow.audit.signing_key()
    assert stored is not None
    assert stored[2].startswith("gAAAA")  # a Fernet token, not the raw key
    wrong = AuditKeys(
        cast(UnitOfWorkFactory, database.unit_of_work),
        Clock(),
        FernetCipher(ConnectionStore(tmp_path, "another secret")),
    )
    with pytest.raises(ConfigError, match="decrypt"):
        await wrong.signing()
