"""What two-way sync needs from the emulator: bulk reads, the delivery switch, the Flow header,
and the count of changes each account caused."""

from __future__ import annotations

import httpx
import pytest
from emu_support import CLOUD_AUTH, DC_AUTH, client_for, create
from test_webhooks import ALL_EVENTS, Receiver, emulator

from jira_emulator import Emulator


async def _issues(client: httpx.AsyncClient, count: int) -> list[str]:
    return [(await create(client, summary=f"n{n}")).json()["key"] for n in range(count)]


async def test_issue_bulkfetch_leaves_missing_issues_out() -> None:
    emu = Emulator("cloud")
    async with client_for(emu, CLOUD_AUTH) as client:
        keys = await _issues(client, 3)
        await client.delete(f"/rest/api/3/issue/{keys[1]}")
        first_id = emu.issue(keys[0]).id
        answer = await client.post(
            "/rest/api/3/issue/bulkfetch",
            json={
                "issueIdsOrKeys": [str(first_id), keys[1], keys[2], "NOPE-9"],
                "fields": ["status"],
            },
        )
    assert answer.status_code == 200
    body = answer.json()
    assert [i["key"] for i in body["issues"]] == [keys[0], keys[2]]
    assert set(body["issues"][0]["fields"]) == {"status"}
    assert body["issueErrors"] == []


@pytest.mark.parametrize(("refs", "field"), [([], "at least one"), (["1"] * 101, "at most 100")])
async def test_issue_bulkfetch_refuses_no_ids_and_more_than_100(
    refs: list[str], field: str
) -> None:
    async with client_for(Emulator("cloud"), CLOUD_AUTH) as client:
        answer = await client.post("/rest/api/3/issue/bulkfetch", json={"issueIdsOrKeys": refs})
    assert answer.status_code == 400
    assert field in answer.json()["errorMessages"][0]


async def test_changelog_bulkfetch_pages_histories_of_many_issues() -> None:
    emu = Emulator("cloud")
    async with client_for(emu, CLOUD_AUTH) as client:
        keys = await _issues(client, 2)
        for key in keys:
            for n in range(3):
                await client.put(f"/rest/api/3/issue/{key}", json={"fields": {"summary": f"e{n}"}})
        seen: list[tuple[str, str]] = []
        token = None
        requests = 0
        while True:
            body = {"issueIdsOrKeys": keys, "maxResults": 4} | (
                {"nextPageToken": token} if token else {}
            )
            page = (await client.post("/rest/api/3/changelog/bulkfetch", json=body)).json()
            requests += 1
            for entry in page["issueChangeLogs"]:
                seen += [(entry["issueId"], h["id"]) for h in entry["changeHistories"]]
            token = page.get("nextPageToken")
            if token is None:
                break
    assert requests == 2
    assert len(seen) == len(set(seen)) == 6
    assert {issue for issue, _ in seen} == {str(emu.issue(k).id) for k in keys}


async def test_datacenter_has_no_bulkfetch_but_searches_with_changelog() -> None:
    emu = Emulator("datacenter")
    async with client_for(emu, DC_AUTH) as client:
        await create(client, api="2")
        await client.put("/rest/api/2/issue/OPS-1", json={"fields": {"summary": "edited"}})
        missing = await client.post("/rest/api/2/issue/bulkfetch", json={"issueIdsOrKeys": ["1"]})
        found = await client.post(
            "/rest/api/2/search", json={"jql": "project = OPS", "expand": ["changelog"]}
        )
    assert missing.status_code in (404, 405)
    [issue] = found.json()["issues"]
    assert issue["changelog"]["histories"][0]["items"][0]["field"] == "summary"


async def test_switch_drops_duplicates_and_reorders_held_deliveries() -> None:
    receiver = Receiver()
    emu = emulator("cloud", receiver, events=ALL_EVENTS)
    emu.webhooks.switch.hold = True
    emu.webhooks.switch.duplicate = 1
    async with client_for(emu, CLOUD_AUTH) as client:
        keys = await _issues(client, 3)
    await emu.drain_webhooks()
    assert receiver.received == []
    assert emu.webhooks.release("reverse") == 3
    await emu.drain_webhooks()
    order = [r.headers["x-atlassian-webhook-identifier"] for r in receiver.received]
    assert [p["issue"]["key"] for p in receiver.payloads()] == [
        k for k in reversed(keys) for _ in "12"
    ]
    assert len(set(order)) == 3  # a copy keeps its identifier, as a retried delivery does
    assert {r.headers["x-atlassian-webhook-flow"] for r in receiver.received} == {"Primary"}
    emu.webhooks.switch.hold = False
    emu.webhooks.switch.drop = 1.0
    async with client_for(emu, CLOUD_AUTH) as client:
        await create(client)
    await emu.drain_webhooks()
    assert len(receiver.received) == 6
    assert [o.event for o in emu.webhooks.dropped] == ["jira:issue_created"]


async def test_switch_over_the_control_api_refuses_bad_values() -> None:
    emu = Emulator("cloud")
    async with client_for(emu, None) as client:
        bad = await client.put("/_emulator/webhooks/switch", json={"drop": 2})
        good = await client.put("/_emulator/webhooks/switch", json={"hold": True, "duplicate": 2})
        order = await client.post("/_emulator/webhooks/release", json={"order": "sideways"})
    assert bad.status_code == 400
    assert "drop" in bad.json()["errorMessages"][0]
    assert good.json() == {"drop": 0.0, "duplicate": 2, "delay": 0.0, "jitter": 0.0, "hold": True}
    assert order.status_code == 400
    assert emu.webhooks.switch.hold is True


async def test_changes_are_counted_per_account() -> None:
    emu = Emulator("cloud")
    async with client_for(emu, CLOUD_AUTH) as client:
        await create(client)
        await client.post("/rest/api/3/issue/OPS-1/transitions", json={"transition": {"id": "21"}})
        counted = (await client.get("/_emulator/changes")).json()
    assert counted["admin"]["status"] == 1
    assert counted["admin"]["issue_created"] == 1
    assert emu.changes_by("admin")["status"] == 1
