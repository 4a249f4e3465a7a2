"""A create's deadline (`CreateLeases.before`): the request is cut off at it, and one that
reaches its send after it is never sent — its heir may be looking the marker up already."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from ticketbridge.errors import OutcomeUnknown
from ticketbridge.services.create_leases import CreateLeases
from ticketbridge.services.ports import UnitOfWorkFactory

START = datetime(2026, 3, 1, tzinfo=UTC)


class Jira:
    """What reached Jira: a create is stored when its request runs to the end."""

    def __init__(self) -> None:
        self.created: list[str] = []
        self.gate = asyncio.Event()

    async def create(self, name: str, *, held: bool = False) -> str:
        if held:
            await self.gate.wait()
        self.created.append(name)
        return name


class Time:
    """The test's clock; the deadline's timer fires when the test moves the clock past it."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.moved = asyncio.Event()

    def move_to(self, moment: datetime) -> None:
        self.now = moment
        self.moved.set()

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            await self.moved.wait()


def leases(time: Time) -> CreateLeases:
    no_database: UnitOfWorkFactory = None  # type: ignore[assignment]  # `before` needs none
    return CreateLeases(no_database, timedelta(seconds=5), lambda: time.now, time.sleep, "w1")


async def test_a_create_answered_before_its_deadline_returns_its_answer() -> None:
    jira, time = Jira(), Time(START)
    assert await leases(time).before(START + timedelta(seconds=5), jira.create("a")) == "a"
    assert jira.created == ["a"]


async def test_a_create_still_under_way_at_its_deadline_is_cut_off() -> None:
    jira, time = Jira(), Time(START)
    waiting = asyncio.ensure_future(
        leases(time).before(START + timedelta(seconds=5), jira.create("a", held=True))
    )
    await asyncio.sleep(0)
    time.move_to(START + timedelta(seconds=5))
    with pytest.raises(OutcomeUnknown, match="still under way"):
        await waiting
    jira.gate.set()
    await asyncio.sleep(0)
    assert jira.created == []


async def test_a_create_that_reaches_its_send_after_the_deadline_is_never_sent() -> None:
    jira, time = Jira(), Time(START + timedelta(seconds=6))
    with pytest.raises(OutcomeUnknown, match="not sent"):
        await leases(time).before(START + timedelta(seconds=5), jira.create("late"))
    await asyncio.sleep(0)
    assert jira.created == []
