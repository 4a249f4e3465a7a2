"""`api_keys.touch` records a use and never moves `last_used_at` back (servers with skewed
clocks each write it at most once a minute); `list` and `revoke` on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ticketbridge.storage import Database

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EARLIER, LATER = NOW - timedelta(minutes=1), NOW + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("before", "touched_at", "after"),
    [
        (None, NOW, NOW),
        (NOW, LATER, LATER),
        (NOW, EARLIER, NOW),  # a server whose clock is behind does not undo the last use
        (NOW, NOW, NOW),
    ],
)
async def test_touch_only_moves_forward(
    database: Database, before: datetime | None, touched_at: datetime, after: datetime
) -> None:
    async with database.unit_of_work() as uow:
        key = await uow.api_keys.add("ci", "hash-1", ["read"], EARLIER)
        other = await uow.api_keys.add("idle", "hash-2", ["read"], EARLIER)
        if before is not None:
            await uow.api_keys.touch(key.id, before)
        await uow.api_keys.touch(key.id, touched_at)
        await uow.commit()
    async with database.unit_of_work() as uow:
        listed = {k.id: k.last_used_at for k in await uow.api_keys.list()}
    assert listed == {key.id: after, other.id: None}


async def test_revoke_marks_only_that_key(database: Database) -> None:
    async with database.unit_of_work() as uow:
        keys = [await uow.api_keys.add(f"k{n}", f"hash-{n}", ["read"], NOW) for n in range(3)]
        assert await uow.api_keys.revoke(keys[1].id)
        assert not await uow.api_keys.revoke(999)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert [k.revoked for k in await uow.api_keys.list()] == [False, True, False]
