"""Rate-limit and lost-response drills against the emulator."""

from __future__ import annotations

import pytest
from provider_drill import Drill

from support.requirements import require
from ticketbridge.errors import OutcomeUnknown, RateLimited
from ticketbridge.providers.base import IssueDraft, Marker
from ticketbridge.providers.jira.retry import RetryPolicy

BURST = "jira-burst-based"
QUOTA = "jira-quota-tenant-based"


async def test_a_429_with_retry_after_2_is_never_retried_sooner(drill: Drill) -> None:
    ref = await drill.provider.create_issue(IssueDraft("OPS", "Task", "target"))
    drill.wire.sent.clear()
    drill.emu.limits.force(1, BURST, retry_after=2.0)
    issue = await drill.provider.get_issue(ref.key)
    assert issue.key == ref.key
    gets = [t for m, p, t in drill.wire.sent if m == "GET" and p.endswith(ref.key)]
    assert len(gets) == 2
    assert gets[1] - gets[0] >= 2.0


async def test_a_quota_429_pauses_every_call_until_reset(drill: Drill) -> None:
    drill.provider.client.retry = RetryPolicy(max_retries=0)
    drill.emu.limits.force(1, QUOTA, retry_after=30.0)
    with pytest.raises(RateLimited) as caught:
        await drill.provider.myself()
    assert caught.value.reason == QUOTA
    refused_at = drill.wire.sent[-1][2]
    await drill.provider.fields()  # a different endpoint class and path
    await drill.provider.create_issue(IssueDraft("OPS", "Task", "after the pause"))
    later = [t for _, p, t in drill.wire.sent if not p.endswith("/myself")]
    assert later
    assert min(later) - refused_at >= 30.0


async def test_a_dropped_create_is_outcome_unknown_and_makes_no_second_issue(drill: Drill) -> None:
    require(drill.emu.faults is not None, "emulator fault injection (jira_emulator.faults)")
    await drill.provider.create_meta("OPS", "Task")  # warm the caches
    before = len(drill.emu.state.issues)
    drill.emu.faults.add(
        method="POST", path="/rest/api/3/issue$", kind="drop_after_commit", count=1
    )
    marker = Marker("fp-dropped")
    with pytest.raises(OutcomeUnknown):
        await drill.provider.create_issue(IssueDraft("OPS", "Task", "lost answer", marker=marker))
    assert len(drill.emu.state.issues) == before + 1
    creates = [1 for m, p, _ in drill.wire.sent if m == "POST" and p == "/rest/api/3/issue"]
    assert len(creates) == 1
    found = (await drill.provider.find_by_markers([marker]))[marker]
    assert len(found) == 1
