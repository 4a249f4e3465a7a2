"""Drills (issue 4): Jira loses create responses, Jira is down for a while, dispatchers race,
a worker dies mid-create, a job dies for good. Each ends by counting Jira's issues."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from jira_under_test import JiraUnderTest, emulated_jira, fake_jira
from pipeline_harness import FAST, Pipeline, alert

from ticketbridge.domain import AlertState, DecisionKind, JobKind, JobState
from ticketbridge.errors import FieldErrors
from ticketbridge.providers.base import IssueDraft, IssueRef, Marker
from ticketbridge.providers.delegating import DelegatingProvider
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.render import to_text
from ticketbridge.services import WorkerSettings
from ticketbridge.storage import Database


@pytest.fixture(params=["fake", pytest.param("emulator", marks=pytest.mark.slow)])
async def jira(request: pytest.FixtureRequest, database: Database) -> AsyncIterator[JiraUnderTest]:
    if request.param == "emulator" and database.dialect != "sqlite":
        # The database is not what this variant tests: its Jira is (one backend suffices).
        pytest.skip("emulator variants run on SQLite only")
    under_test = fake_jira() if request.param == "fake" else emulated_jira()
    yield under_test
    await under_test.provider.aclose()


def markers(jira: JiraUnderTest) -> Counter[str]:
    return Counter(label for labels in jira.labels() for label in labels if label.startswith("tb-"))


async def drain_with(pipe: Pipeline, jira: JiraUnderTest, rounds: int = 400) -> None:
    for _ in range(rounds):
        jira.tick()
        claimed = await pipe.dispatchers[0].run_until_idle(max_rounds=1)
        counts = await pipe.admin.counts()
        if not claimed and not counts[JobState.PENDING] and not counts[JobState.RUNNING]:
            return
        pipe.clock.advance(seconds=3)
    raise AssertionError(f"outbox did not drain: {await pipe.admin.counts()}")


async def test_dropped_create_responses_neither_duplicate_nor_lose(
    database: Database, jira: JiraUnderTest
) -> None:
    pipe = Pipeline(database, jira.provider)
    jira.drop_creates(0.1)
    count = 60
    await pipe.send(*(alert(id=f"a{i}", fingerprint=f"fp-{i}") for i in range(count)))
    await drain_with(pipe, jira)
    found = markers(jira)
    assert jira.lookups() > 0  # some create answers were lost and settled by marker
    assert len(found) == count  # none missing
    assert set(found.values()) == {1}  # none twice
    tickets = await pipe.queries.tickets(limit=100)
    assert {t.state for t in tickets} == {AlertState.TICKETED}


async def test_outage_alerts_wait_then_drain(database: Database, jira: JiraUnderTest) -> None:
    pipe = Pipeline(database, jira.provider)
    jira.outage(True)
    count = 20
    await pipe.send(*(alert(id=f"a{i}", fingerprint=f"fp-{i}") for i in range(count)))
    for _ in range(5):
        jira.tick()
        await pipe.dispatchers[0].run_until_idle()
        pipe.clock.advance(seconds=10)
    assert markers(jira) == Counter()
    counts = await pipe.admin.counts()
    assert counts[JobState.PENDING] == count  # waiting, none dead, none lost
    assert counts[JobState.DEAD] == 0
    jira.outage(False)
    pipe.clock.advance(seconds=60)
    await drain_with(pipe, jira)
    assert sorted(markers(jira).values()) == [1] * count


async def test_worker_dies_mid_create_then_marker_lookup_finds_the_issue(
    database: Database,
) -> None:
    jira = FakeProvider()
    pipe = Pipeline(database, jira)
    await pipe.send(alert(id="a1", fingerprint="fp-1"))
    # A worker claims the create, records the attempt, sends it, and dies before linking.
    now = pipe.clock()
    async with database.unit_of_work() as uow:
        [job] = await uow.outbox.claim("doomed", now, now + timedelta(seconds=60), 10)
        assert await uow.outbox.mark_sent([job.id], "doomed", now, now + timedelta(seconds=60))
        ticket = await uow.tickets.get(job.ticket_id)
        stored = await uow.alerts.get("generic", "a1")
        await uow.commit()
    assert ticket is not None
    assert stored is not None
    assert pipe.router is not None
    assert pipe.composer is not None
    draft = pipe.composer.draft(stored.alert, pipe.router.route(stored.alert), ticket)
    await jira.create_issue(draft)
    pipe.clock.advance(seconds=30)
    assert await pipe.dispatchers[1].run_until_idle() == 0  # the dead worker's lease holds
    pipe.clock.advance(seconds=60)
    await pipe.drain()
    assert list(jira.issues) == ["OPS-1"]
    assert jira.calls.get("find_by_markers") == 1
    assert (await pipe.alert("a1")).ticket_key == "OPS-1"


class HeldCreates(DelegatingProvider):
    """The first create waits at a gate, a request under way until `release`; with
    `lands_anyway`, Jira stores it even when the client gives up on it (cancels)."""

    def __init__(self, inner: FakeProvider, *, lands_anyway: bool) -> None:
        super().__init__(inner)
        self.inner = inner
        self.lands_anyway = lands_anyway
        self.held = asyncio.Event()
        self.release = asyncio.Event()

    async def create_issue(self, draft: IssueDraft) -> IssueRef:
        if self.held.is_set():
            return await self.inner.create_issue(draft)
        self.held.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            if self.lands_anyway:
                await self.inner.create_issue(draft)
            raise
        return await self.inner.create_issue(draft)


@pytest.mark.parametrize("lands_anyway", [False, True], ids=["cut-off", "lands-anyway"])
async def test_a_create_slower_than_its_lease_never_makes_a_second_issue(
    database: Database, lands_anyway: bool
) -> None:
    """Jira (or the worker's host) is so slow that a create is still under way when its job's
    lease ends. Its sender cancels it at the deadline it recorded, and the heir looks the
    marker up a settle delay after that: one issue, whether the cut-off create landed or not."""
    jira = HeldCreates(FakeProvider(), lands_anyway=lands_anyway)
    pipe = Pipeline(database, jira)
    await pipe.send(alert(id="a1", fingerprint="fp-1"))
    sender = asyncio.create_task(pipe.dispatchers[0].run_until_idle(max_rounds=1))
    await jira.held.wait()
    pipe.clock.advance(seconds=FAST.lease.total_seconds() + 1)  # the lease is over
    for _ in range(10):  # the heir, while the slow create is wherever it is
        await pipe.dispatchers[1].run_until_idle()
        pipe.clock.advance(seconds=FAST.settle_delay.total_seconds())
    jira.release.set()
    await sender
    assert list(jira.inner.issues) == ["OPS-1"]
    assert (await pipe.alert("a1")).ticket_key == "OPS-1"
    assert jira.inner.calls.get("find_by_markers") == 1


async def test_failed_lookup_never_falls_back_to_create(database: Database) -> None:
    from ticketbridge.errors import OutcomeUnknown, Unavailable

    jira = FakeProvider()
    pipe = Pipeline(database, jira)
    jira.fail_next("create_issue", OutcomeUnknown("read timeout"))
    jira.fail_next("find_by_markers", Unavailable("search is down", status=503), times=3)
    await pipe.send(alert(id="a1", fingerprint="fp-1"))
    for _ in range(4):
        await pipe.dispatchers[0].run_until_idle()
        pipe.clock.advance(seconds=10)
    assert jira.issues == {}  # the lost create never happened; still nothing created blindly
    await pipe.drain()
    assert list(jira.issues) == ["OPS-1"]
    assert jira.calls["find_by_markers"] == 4


async def test_dead_job_does_not_block_others_and_retries_after_fix(database: Database) -> None:
    jira = FakeProvider()
    pipe = Pipeline(database, jira)
    bad = "Catastrophic"
    jira.fail_next(
        "create_issue",
        FieldErrors("Jira refused the issue", fields={"priority": "invalid"}, hint="fix it"),
    )
    await pipe.send(alert(id="bad", fingerprint="fp-bad", title=bad))
    await pipe.drain()
    results = await pipe.send(
        alert(id="good", fingerprint="fp-good"), alert(id="bad2", fingerprint="fp-bad")
    )
    await pipe.drain()
    # The dead create swallows nothing: the fingerprint's next alert got a fresh issue.
    assert [r.decision for r in results] == [DecisionKind.CREATE, DecisionKind.CREATE]
    assert [i.summary for i in jira.issues.values()] == ["[high] Model invented a citation"] * 2
    assert (await pipe.alert("bad2")).state is AlertState.TICKETED
    [dead] = await pipe.admin.jobs()
    assert dead.hint == "fix it"
    assert dead.last_error is not None
    assert "priority: invalid" in dead.last_error
    assert (await pipe.alert("bad")).state is AlertState.DEAD
    assert await pipe.admin.retry(dead.id) is not None
    await pipe.dispatchers[0].run_until_idle()  # at once: Jira said it created nothing
    assert "find_by_markers" not in jira.calls
    assert sorted(i.summary for i in jira.issues.values())[0] == f"[high] {bad}"
    assert len(jira.issues) == 3
    assert (await pipe.alert("bad")).state is AlertState.TICKETED
    assert await pipe.admin.jobs() == []


@pytest.mark.postgres
async def test_two_dispatchers_race_200_fingerprints_x10(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("the race drill is for PostgreSQL; SQLite serializes writers")
    jira = FakeProvider()

    def wall() -> datetime:
        return datetime.now(UTC)

    worker = WorkerSettings(
        settle_delay=timedelta(milliseconds=50),
        backoff_base=timedelta(milliseconds=20),
        idle_sleep=timedelta(milliseconds=20),
    )
    pipe = Pipeline(database, jira, worker=worker, clock=wall)  # type: ignore[arg-type]
    payloads = [alert(id=f"a{f}-{r}", fingerprint=f"fp-{f}") for r in range(10) for f in range(200)]
    stop = asyncio.Event()
    workers = [asyncio.create_task(pipe.dispatcher(f"w{i}").run_forever(stop)) for i in range(2)]
    chunks = [payloads[i : i + 100] for i in range(0, len(payloads), 100)]
    await asyncio.gather(*(pipe.send(*chunk) for chunk in chunks))
    while await _creates_left(pipe):  # noqa: ASYNC110 - the outbox's state (digests wait 5 min)
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.gather(*workers)
    assert len(jira.issues) == 200
    assert sorted(markers_of(jira).values()) == [1] * 200
    assert Marker("generic:fp-0").label in markers_of(jira)
    assert FAST.settle_delay > worker.settle_delay


async def _creates_left(pipe: Pipeline) -> int:
    """Create jobs not done yet (pytest's timeout ends a run that never gets to none)."""
    jobs = await pipe.admin.jobs(state=None, limit=10_000)
    waiting = (JobState.PENDING, JobState.RUNNING)
    return sum(job.kind is JobKind.CREATE_ISSUE and job.state in waiting for job in jobs)


def markers_of(jira: FakeProvider) -> Counter[str]:
    return Counter(
        label for i in jira.issues.values() for label in i.labels if label.startswith("tb-")
    )


async def test_repeat_storm_costs_a_create_and_one_digest_write_per_interval(
    database: Database,
) -> None:
    jira = FakeProvider()
    pipe = Pipeline(database, jira)  # digest_interval: 5 minutes
    for burst in range(3):
        await pipe.send(
            *(
                alert(id=f"a{burst}-{n}-{f}", fingerprint=f"fp-{f}")
                for n in range(10)
                for f in range(5)
            )
        )
        await pipe.dispatchers[0].run_until_idle()
        pipe.clock.advance(seconds=30)
    assert len(jira.issues) == 5
    assert jira.calls.get("add_comment", 0) == 0  # still inside the first interval
    pipe.clock.advance(minutes=5)
    await pipe.dispatchers[0].run_until_idle()
    texts = [to_text(c.body) for i in jira.issues.values() for c in i.comments]
    assert len(texts) == 5
    assert all("occurred 30 times" in t for t in texts)
    await pipe.send(alert(id="late", fingerprint="fp-0", description="the newest detail"))
    pipe.clock.advance(minutes=5)
    await pipe.dispatchers[0].run_until_idle()
    assert jira.calls.get("edit_comment") == 1  # edited in place, not a new comment
    digest = to_text(jira.issues["OPS-1"].comments[0].body)
    assert "occurred 31 times" in digest
    assert "the newest detail" in digest  # the latest occurrence's details
    requests = sum(jira.calls.get(op, 0) for op in ("create_issue", "create_issues"))
    assert requests == 1  # five creates in one bulk call


async def test_rate_limited_create_waits_at_least_retry_after(database: Database) -> None:
    from ticketbridge.errors import RateLimited

    jira = FakeProvider()
    pipe = Pipeline(database, jira)
    jira.fail_next("create_issue", RateLimited("429", retry_after=120, reason="too-many"))
    await pipe.send(alert(id="a1", fingerprint="fp-1"))
    await pipe.dispatchers[0].run_until_idle()
    [waiting] = await pipe.admin.jobs(state=JobState.PENDING)
    assert waiting.next_attempt_at >= pipe.clock() + timedelta(seconds=120)
    assert waiting.last_error == "429"
    pipe.clock.advance(seconds=119)
    await pipe.dispatchers[0].run_until_idle()
    assert jira.issues == {}
    pipe.clock.advance(seconds=30)
    await pipe.dispatchers[0].run_until_idle()
    assert list(jira.issues) == ["OPS-1"]


async def test_a_failing_create_is_retried_on_the_backoff_schedule(database: Database) -> None:
    """The outbox's schedule (FAST: base 1 s, cap 30 s, jitter 0.8-1.2), on the virtual clock:
    1, 2, 4, 8, 16, then 30 s, each within its jitter."""
    from ticketbridge.errors import Unavailable

    jira = FakeProvider()
    pipe = Pipeline(database, jira)
    jira.fail_next("create_issue", Unavailable("503"), times=6)
    await pipe.send(alert(id="a1", fingerprint="fp-1"))
    waits = []
    for _ in range(6):
        await pipe.dispatchers[0].run_until_idle()
        [waiting] = await pipe.admin.jobs(state=JobState.PENDING)
        waits.append((waiting.next_attempt_at - pipe.clock()).total_seconds())
        pipe.clock.advance(seconds=waits[-1])
    for wait, nominal in zip(waits, [1, 2, 4, 8, 16, 30], strict=True):
        assert 0.8 * nominal <= wait <= 1.2 * nominal
    await pipe.dispatchers[0].run_until_idle()
    assert list(jira.issues) == ["OPS-1"]
