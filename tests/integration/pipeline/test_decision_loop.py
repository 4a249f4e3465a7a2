"""The decision loop (workers.DecisionLoop) on SQLite and PostgreSQL: accepted alerts are
decided in ingest order when it is woken, pending ones are found without a wake (a crash or
another process), a router failure keeps that one alert as dead and decides the rest, and
while alerts are being accepted it lets them go first. Routing "takes" virtual time
(`VirtualTime`), so the decider's share is measured on the times the test states."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from pipeline_harness import START, FakeClock, alert, config, settings

from support.virtual_time import VirtualTime
from ticketbridge.bootstrap import routing
from ticketbridge.domain import Alert, AlertState, DecisionKind
from ticketbridge.services import (
    AlertQueries,
    IngestService,
    OutboxAdmin,
    Route,
    RouteSeam,
    WorkerSettings,
    parse_alerts,
)
from ticketbridge.storage import Database
from ticketbridge.workers import DecisionLoop
from ticketbridge.workers.decisions import BUSY_ROUND_SIZE, ROUND_SIZE

QUICK = WorkerSettings(idle_sleep=timedelta(milliseconds=20))


class BrokenForSomeRouter:
    """A router that fails on alerts titled "boom" (a route crashing on odd input)."""

    def __init__(self) -> None:
        self._inner = default_router()

    def route(self, alert: Alert) -> Route:
        if alert.title == "boom":
            raise RecursionError("maximum recursion depth exceeded")
        return self._inner.route(alert)


def default_router() -> RouteSeam:
    """The router `serve` runs for a configuration with no routes."""
    return routing(config())[0]


def service(database: Database, router: RouteSeam | None = None) -> IngestService:
    seam = router or default_router()
    return IngestService(database.unit_of_work, seam, settings(), FakeClock())  # type: ignore[arg-type]


async def accept(ingest: IngestService, *payloads: dict[str, object]) -> None:
    await ingest.accept(parse_alerts(list(payloads), now=START))


async def until(condition: Callable[[], Awaitable[bool]]) -> None:
    """Poll the database until `condition` holds (a loop that never gets there times out)."""
    while not await condition():  # noqa: ASYNC110 - polls the database, the end state
        await asyncio.sleep(0.01)


async def decisions(database: Database) -> dict[str, str | None]:
    views = (await AlertQueries(database.unit_of_work).page(limit=100)).items
    return {v.id: v.decision.value if v.decision else None for v in views}


async def test_the_loop_decides_what_was_pending_before_it_started_and_what_it_is_woken_for(
    database: Database,
) -> None:
    ingest = service(database)
    await accept(ingest, alert(id="a-1", fingerprint="fp"))  # pending, as after a crash
    loop = DecisionLoop(ingest.decider, QUICK)
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run_forever(stop))
    try:
        await until(lambda: _decided(database, {"a-1": "create"}))
        await accept(ingest, alert(id="a-2", fingerprint="fp"), alert(id="a-3", fingerprint="x"))
        loop.wake()
        await until(lambda: _decided(database, {"a-1": "create", "a-2": "repeat", "a-3": "create"}))
    finally:
        stop.set()
        await task
    jobs = await OutboxAdmin(database.unit_of_work, FakeClock()).jobs(state=None)
    assert sorted(j.kind.value for j in jobs) == ["create_issue", "create_issue", "digest"]


async def _decided(database: Database, expected: dict[str, str]) -> bool:
    return await decisions(database) == expected


async def test_an_alert_the_router_fails_on_is_kept_dead_and_the_rest_are_decided(
    database: Database,
) -> None:
    ingest = service(database, BrokenForSomeRouter())
    await accept(
        ingest,
        alert(id="a-1", fingerprint="f1"),
        alert(id="a-2", fingerprint="f2", title="boom"),
        alert(id="a-3", fingerprint="f3"),
    )
    assert await DecisionLoop(ingest.decider, QUICK).run_until_idle() == 3
    assert await decisions(database) == {"a-1": "create", "a-2": "ignore", "a-3": "create"}
    dead = await AlertQueries(database.unit_of_work).get("a-2")
    assert dead is not None
    assert dead.state is AlertState.DEAD
    assert dead.reasons == ("routing failed: RecursionError: maximum recursion depth exceeded",)


class SlowRouter:
    """Routing that takes `seconds` of `clock` per alert, as CPU-bound routing holds the loop
    (rounds long enough to see the decider's share); `all_routed` is set at the `total`th."""

    def __init__(self, clock: VirtualTime, seconds: float, total: int) -> None:
        self._inner = default_router()
        self._clock = clock
        self._seconds = seconds
        self._total = total
        self.routed = 0
        self.all_routed = asyncio.Event()

    def route(self, alert: Alert) -> Route:
        self._clock.advance(self._seconds)
        self.routed += 1
        if self.routed >= self._total:
            self.all_routed.set()
        return self._inner.route(alert)


async def first_of(*waits: Awaitable[object]) -> None:
    """Until the first of `waits` is done (the others are cancelled)."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in tasks:
        task.cancel()


async def test_while_intake_is_busy_the_loop_takes_only_its_share_then_decides_the_rest(
    database: Database,
) -> None:
    # A round of BUSY_ROUND_SIZE alerts at 2 ms each takes 40 ms, so at a 10% share the next
    # busy round waits 360 ms: in 0.5 s of busy intake two rounds run (at 0 and at 0.4 s).
    clock = VirtualTime()
    total = 5 * BUSY_ROUND_SIZE
    router = SlowRouter(clock, 0.002, total)
    ingest = service(database, router)
    await accept(ingest, *(alert(id=f"a-{n}", fingerprint=f"f{n}") for n in range(total)))
    busy = True
    loop = DecisionLoop(
        ingest.decider,
        QUICK,
        intake_idle_for=lambda: 0.0 if busy else 1.0,
        clock=clock,
        sleep=clock.sleep,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run_forever(stop))
    try:
        loop.wake()
        # Half a second, moved by the loop's own waits and the routing (or, if the loop took
        # more than its share, until it has routed everything).
        await first_of(clock.reached(clock() + 0.5), router.all_routed.wait())
        routed_while_busy = router.routed  # read at once: the loop goes on meanwhile
        busy = False
        await until(lambda: _decided(database, {f"a-{n}": "create" for n in range(total)}))
    finally:
        stop.set()
        await task
    assert routed_while_busy == 2 * BUSY_ROUND_SIZE  # its share: not nothing, not all


@pytest.mark.parametrize(
    ("driver", "round_size"),
    [
        ("decision loop", ROUND_SIZE),
        ("decision loop while the outbox writes to Jira", BUSY_ROUND_SIZE),
        ("decide_all (?wait=true)", ROUND_SIZE),
    ],
)
async def test_deciding_a_backlog_lets_other_tasks_run_between_rounds(
    database: Database, driver: str, round_size: int
) -> None:
    # Rounds run inline (SQLite on the loop's thread) and may never suspend; without a yield
    # between them a backlog is decided in one go while requests wait unread in their sockets.
    # While the outbox is writing, rounds are short, so its next steps wait ~1-2 ms, not ~10.
    total = 3 * ROUND_SIZE
    router = SlowRouter(VirtualTime(), 0.0005, total)
    ingest = service(database, router)
    await accept(ingest, *(alert(id=f"a-{n}", fingerprint=f"f{n}") for n in range(total)))
    stop = asyncio.Event()
    seen: list[int] = []  # how many alerts were routed each time the other task got to run

    async def other_task() -> None:
        while not stop.is_set():
            seen.append(router.routed)
            await asyncio.sleep(0)

    writing = "outbox" in driver
    loop = DecisionLoop(ingest.decider, QUICK, outbox_busy=lambda: writing)
    deciding = (
        ingest.decider.decide_all(ROUND_SIZE)
        if driver.startswith("decide_all")
        else loop.run_forever(stop)
    )
    tasks = [asyncio.create_task(other_task()), asyncio.create_task(deciding)]
    try:
        await router.all_routed.wait()
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    ran_after = sorted({n for n in seen if 0 < n < total})  # mid-backlog, after each round
    assert ran_after[:2] == [round_size, 2 * round_size]


async def test_ingest_answers_duplicates_with_the_stored_decision(database: Database) -> None:
    ingest = service(database)
    first = await ingest.ingest(parse_alerts([alert(id="a-1")], now=START))
    again = await ingest.accept(parse_alerts([alert(id="a-1"), alert(id="a-1")], now=START))
    assert [r.decision for r in first] == [DecisionKind.CREATE]
    assert [(r.decision, r.duplicate) for r in again] == [(DecisionKind.CREATE, True)] * 2
    new = await ingest.accept(parse_alerts([alert(id="b"), alert(id="b")], now=START))
    assert [(r.decision, r.state, r.duplicate) for r in new] == [
        (None, AlertState.OPEN, False),
        (None, AlertState.OPEN, True),
    ]


async def test_concurrent_accepts_of_one_alert_store_it_once(database: Database) -> None:
    ingest = service(database)
    answers = await asyncio.gather(
        *(ingest.accept(parse_alerts([alert(id="same")], now=START)) for _ in range(6))
    )
    assert sorted(a.duplicate for [a] in answers) == [False] + [True] * 5
    assert await decisions(database) == {"same": None}
    assert await DecisionLoop(ingest.decider, QUICK).run_until_idle() == 1
