"""The Jira side of a drill: the fake provider, or JiraProvider over the emulator, with the
same controls (drop create responses after commit, an outage) and the same end-state reads."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from support.requirements import require
from ticketbridge.errors import Unavailable
from ticketbridge.providers.base import Provider
from ticketbridge.providers.fake import FakeProvider

CREATE_PATHS = ("/rest/api/3/issue", "/rest/api/3/issue/bulk")


@dataclass
class JiraUnderTest:
    name: str
    provider: Provider
    drop_creates: Callable[[float], None]  # from now on, drop this share of create responses
    outage: Callable[[bool], None]  # creates answer 503 while on
    labels: Callable[[], list[list[str]]]  # every issue's labels
    lookups: Callable[[], int]  # marker lookups made so far
    tick: Callable[[], None] = lambda: None  # called between dispatcher rounds


def fake_jira(seed: int = 7) -> JiraUnderTest:
    jira = FakeProvider()
    rng = random.Random(seed)
    state = {"drop": 0.0, "down": False}

    def tick() -> None:
        if state["drop"] and rng.random() < state["drop"] * 5:  # rounds batch ~5 creates
            jira.drop_next_create()
        if state["down"]:
            for op in ("create_issue", "create_issues"):
                jira.fail_next(op, Unavailable("503 Service Unavailable", status=503))

    def outage(on: bool) -> None:
        state["down"] = on
        if not on:
            jira._failures.clear()

    return JiraUnderTest(
        "fake",
        jira,
        drop_creates=lambda share: state.__setitem__("drop", share),
        outage=outage,
        labels=lambda: [list(i.labels) for i in jira.issues.values()],
        lookups=lambda: jira.calls.get("find_by_markers", 0),
        tick=tick,
    )


async def _no_wait(seconds: float) -> None:
    return None


def emulated_jira() -> JiraUnderTest:
    try:
        from jira_emulator import Emulator
    except ImportError as exc:
        require(False, f"Jira emulator not importable yet: {exc}")
        raise
    from ticketbridge.providers.jira import JiraProvider, api_token

    emu = Emulator(flavor="cloud", clock=time.time)
    require(emu.faults is not None, "emulator fault injection (jira_emulator.faults)")
    provider = JiraProvider(
        flavor="cloud",
        base_url=emu.base_url,
        auth=api_token("admin@example.com", "emulator-token"),
        transport=emu.transport(),
        sleep=_no_wait,  # the pipeline's own clock drives backoff; don't wait for real
    )

    def drop(share: float) -> None:
        # Creates go out in few bulk calls, so the dice alone may never roll a drop: the first
        # create call is always dropped, the rest with `share`, from a seeded RNG.
        emu.faults.seed(7)
        emu.faults.add(method="POST", path=CREATE_PATHS[1], kind="drop_after_commit", count=1)
        for path in reversed(CREATE_PATHS):
            emu.faults.add(method="POST", path=path, kind="drop_after_commit", probability=share)

    def outage(on: bool) -> None:
        if not on:
            emu.faults.clear()
            return
        for path in CREATE_PATHS:
            emu.faults.add(method="POST", path=path, kind="status", status=503)

    return JiraUnderTest(
        "emulator",
        provider,
        drop_creates=drop,
        outage=outage,
        labels=lambda: [list(i.fields.get("labels") or ()) for i in emu.state.issues.values()],
        lookups=lambda: sum(1 for r in emu.requests if "search" in r.path),
    )
