"""TICKETBRIDGE_JOB_SETTLE_SECONDS: how long after a create's deadline Jira may still finish it.
A create the worker cut off at its deadline lands in Jira 8 s later (a Jira that was slow to get
to it): with the default 5 s the marker lookup came first, found nothing and created again, a
second issue; with the setting at 10 s the lookup finds the late issue and links it. The
worker's settings are built from the environment as `ticketbridge worker` builds them; Jira's
state is the fake provider's, the end state its issues."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from pipeline_harness import FakeClock, Pipeline, alert

from ticketbridge.bootstrap import load_settings, worker_settings_from
from ticketbridge.providers.base import IssueDraft, IssueRef
from ticketbridge.providers.delegating import DelegatingProvider
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.storage import Database

LATE = 8.0  # seconds after the deadline the cut-off create lands in Jira


class LateCreates(DelegatingProvider):
    """The first create never answers; once its sender gives up on it, Jira still stores it,
    `LATE` seconds of the test's clock later."""

    def __init__(self, inner: FakeProvider, clock: FakeClock) -> None:
        super().__init__(inner)
        self.inner = inner
        self.clock = clock
        self.held = asyncio.Event()
        self.landing: asyncio.Task[IssueRef] | None = None

    async def create_issue(self, draft: IssueDraft) -> IssueRef:
        if self.held.is_set():
            return await self.inner.create_issue(draft)
        self.held.set()
        try:
            await asyncio.Event().wait()  # no answer before the deadline
        except asyncio.CancelledError:
            self.landing = asyncio.create_task(self._land(draft))
            raise
        raise AssertionError("unreachable")

    async def _land(self, draft: IssueDraft) -> IssueRef:
        await self.clock.sleep(LATE)
        return await self.inner.create_issue(draft)


@pytest.mark.parametrize(
    ("env", "issues"),
    [({}, 2), ({"TICKETBRIDGE_JOB_SETTLE_SECONDS": "10"}, 1)],
    ids=["default-5s", "settle-10s"],
)
async def test_the_settle_setting_decides_whether_a_late_create_is_made_twice(
    database: Database, env: dict[str, str], issues: int
) -> None:
    worker = worker_settings_from(load_settings(env))
    clock = FakeClock()
    jira = LateCreates(FakeProvider(), clock)
    pipe = Pipeline(database, jira, worker=worker, clock=clock)
    await pipe.send(alert(id="a1", fingerprint="fp-1"))
    sender = asyncio.create_task(pipe.dispatchers[0].run_until_idle(max_rounds=1))
    await jira.held.wait()
    pipe.clock.advance(seconds=worker.lease.total_seconds())  # the deadline: cut off
    await sender
    for _ in range(20):  # a second at a time: the late create and the retry, as they come
        pipe.clock.advance(seconds=1)
        await asyncio.sleep(0)
        await pipe.dispatchers[1].run_until_idle()
    assert jira.landing is not None
    await jira.landing
    markers = Counter(
        label for i in jira.inner.issues.values() for label in i.labels if label.startswith("tb-")
    )
    assert list(markers.values()) == [issues]
