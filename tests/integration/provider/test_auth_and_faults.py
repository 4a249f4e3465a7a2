"""Auth modes and transport faults against the emulator (real timeouts kept tiny)."""

from __future__ import annotations

import httpx
import pytest
from provider_drill import Drill

from jira_emulator import Emulator
from ticketbridge.errors import AuthFailed, OutcomeUnknown
from ticketbridge.providers.base import IssueDraft
from ticketbridge.providers.jira import (
    JiraProvider,
    api_token,
    basic,
    personal_access_token,
)
from ticketbridge.providers.jira.client import HttpSettings

AUTHS = [
    ("cloud", api_token("admin@example.com", "emulator-token"), "admin@example.com"),
    ("datacenter", basic("admin", "admin"), "admin"),
    ("datacenter", personal_access_token("emulator-pat"), "admin"),
]


@pytest.mark.parametrize(("flavor", "auth", "who"), AUTHS)
async def test_auth_modes(flavor: str, auth: httpx.Auth, who: str) -> None:
    emu = Emulator(flavor=flavor)
    provider = JiraProvider(
        flavor="cloud" if flavor == "cloud" else "datacenter",
        base_url=emu.base_url,
        auth=auth,
        transport=emu.transport(),
    )
    me = await provider.myself()
    await provider.aclose()
    assert who in (me.email, me.name)


@pytest.mark.parametrize(
    ("flavor", "auth"),
    [
        ("cloud", api_token("admin@example.com", "wrong")),
        ("datacenter", personal_access_token("wrong")),
    ],
)
async def test_bad_credentials_are_auth_failed(flavor: str, auth: httpx.Auth) -> None:
    emu = Emulator(flavor=flavor)
    provider = JiraProvider(
        flavor="cloud" if flavor == "cloud" else "datacenter",
        base_url=emu.base_url,
        auth=auth,
        transport=emu.transport(),
    )
    with pytest.raises(AuthFailed):
        await provider.myself()
    await provider.aclose()


def quick(drill: Drill) -> JiraProvider:
    """A provider on the drill's emulator whose reads and writes time out after 0.3 s."""
    settings = HttpSettings(
        base_url=drill.emu.base_url,
        auth=api_token("admin@example.com", "emulator-token"),
        read_timeout=0.3,
    )
    return JiraProvider(
        flavor="cloud",
        base_url=drill.emu.base_url,
        auth=None,
        http=settings,
        transport=drill.wire,
        clock=drill.vt.clock,
        sleep=drill.vt.sleep,
    )


async def test_a_read_that_hangs_is_retried(drill: Drill) -> None:
    provider = quick(drill)
    ref = await provider.create_issue(IssueDraft("OPS", "Task", "x"))
    drill.emu.faults.add(method="GET", path=f"/rest/api/3/issue/{ref.key}$", kind="hang", count=1)
    assert (await provider.get_issue(ref.key)).key == ref.key
    gets = [p for m, p, _ in drill.wire.sent if m == "GET" and p.endswith(ref.key)]
    assert len(gets) == 2
    await provider.aclose()


async def test_a_create_that_hangs_is_outcome_unknown_and_not_repeated(drill: Drill) -> None:
    provider = quick(drill)
    await provider.create_meta("OPS", "Task")
    drill.emu.faults.add(method="POST", path="/rest/api/3/issue$", kind="hang", count=1)
    with pytest.raises(OutcomeUnknown):
        await provider.create_issue(IssueDraft("OPS", "Task", "x"))
    creates = [p for m, p, _ in drill.wire.sent if m == "POST" and p == "/rest/api/3/issue"]
    assert len(creates) == 1
    await provider.aclose()


async def test_a_5xx_on_create_is_outcome_unknown_and_not_repeated(drill: Drill) -> None:
    await drill.provider.create_meta("OPS", "Task")
    drill.emu.faults.add(method="POST", path="/rest/api/3/issue$", kind="status", status=502)
    with pytest.raises(OutcomeUnknown):
        await drill.provider.create_issue(IssueDraft("OPS", "Task", "x"))
    creates = [p for m, p, _ in drill.wire.sent if m == "POST" and p == "/rest/api/3/issue"]
    assert len(creates) == 1
    assert len(drill.emu.state.issues) == 0  # this fault answers before Jira: nothing made
