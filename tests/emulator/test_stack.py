"""The middleware stack as the Emulator wires it (log, strict, limits, faults, routes) and the
in-process transport's socket-like failures."""

from __future__ import annotations

import httpx
import pytest
from emu_support import CLOUD_AUTH, client_for, create

from jira_emulator import Emulator


async def test_drop_after_commit_surfaces_as_remote_protocol_error_and_write_happened() -> None:
    emu = Emulator(flavor="cloud")
    emu.faults.add(method="POST", path="/rest/api/3/issue", kind="drop_after_commit", count=1)
    async with client_for(emu, CLOUD_AUTH) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await create(client, summary="committed")
        assert [i.fields["summary"] for i in emu.state.issues.values()] == ["committed"]
        assert (await create(client)).status_code == 201  # the rule fired once


async def test_hang_is_cut_by_the_client_timeout() -> None:
    emu = Emulator(flavor="cloud")
    emu.faults.add(method="GET", path="/rest/api/3/myself", kind="hang")
    async with httpx.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url, auth=CLOUD_AUTH, timeout=0.2
    ) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get("/rest/api/3/myself")


async def test_status_fault_answers_without_writing() -> None:
    emu = Emulator(flavor="cloud")
    async with client_for(emu, CLOUD_AUTH) as client:
        control = await client.post(
            "/_emulator/faults",
            json={
                "method": "POST",
                "path": "/rest/api/3/issue",
                "kind": "status",
                "status": 503,
                "count": 1,
            },
        )
        assert control.status_code == 201
        assert (await create(client)).status_code == 503
        assert emu.state.issues == {}
        assert emu.requests[-1].status == 503


async def test_rate_limit_answer_is_logged_with_headers() -> None:
    emu = Emulator(flavor="cloud")
    emu.limits.force(1, retry_after=3)
    async with client_for(emu, CLOUD_AUTH) as client:
        limited = await client.get("/rest/api/3/myself")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "3"
        assert (await client.get("/rest/api/3/myself")).status_code == 200
    assert [r.status for r in emu.requests] == [429, 200]
    assert emu.counters["GET /rest/api/3/myself"] == 2


async def test_datacenter_is_not_rate_limited_by_default() -> None:
    emu = Emulator(flavor="datacenter")
    assert emu.limits.enabled is False
    assert Emulator(flavor="cloud").limits.enabled is True


async def test_strict_mode_refuses_what_the_spec_refuses_and_switches_at_runtime() -> None:
    emu = Emulator(flavor="cloud", strict=True)
    bad = {
        "fields": {
            "project": {"key": "OPS"},
            "issuetype": {"name": "Task"},
            "summary": "s",
            "labels": "not-a-list",
        }
    }
    async with client_for(emu, CLOUD_AUTH) as client:
        refused = await client.post("/rest/api/3/issue", json={"fields": [], "update": 3})
        assert refused.status_code == 400
        assert refused.json()["errorMessages"][0].startswith("strict mode")
        assert (await create(client)).status_code == 201
        switched = await client.put("/_emulator/strict", json={"enabled": False})
        assert switched.json() == {"enabled": False}
        lenient = await client.post("/rest/api/3/issue", json=bad)
        assert lenient.status_code == 400  # Jira's own refusal now, not strict mode's
        assert lenient.json()["errors"] == {"labels": "Operation value must be an array of strings"}
    assert emu.strict is False
