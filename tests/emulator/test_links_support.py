"""Links, remote links, properties; and the test support: request log, counters, snapshots,
reset and the /_emulator control endpoints."""

from __future__ import annotations

import httpx
from emu_support import create

from jira_emulator import Emulator


async def test_issue_links_show_on_both_issues(
    cloud: Emulator, cloud_client: httpx.AsyncClient
) -> None:
    await create(cloud_client)
    await create(cloud_client)
    made = await cloud_client.post(
        "/rest/api/3/issueLink",
        json={
            "type": {"name": "Relates"},
            "inwardIssue": {"key": "OPS-1"},
            "outwardIssue": {"key": "OPS-2"},
        },
    )
    assert made.status_code == 201
    one = (await cloud_client.get("/rest/api/3/issue/OPS-1")).json()["fields"]["issuelinks"]
    two = (await cloud_client.get("/rest/api/3/issue/OPS-2")).json()["fields"]["issuelinks"]
    assert one[0]["outwardIssue"]["key"] == "OPS-2"
    assert two[0]["inwardIssue"]["key"] == "OPS-1"
    link_id = one[0]["id"]
    assert (await cloud_client.get(f"/rest/api/3/issueLink/{link_id}")).status_code == 200
    assert (await cloud_client.delete(f"/rest/api/3/issueLink/{link_id}")).status_code == 204
    assert cloud.state.links == {}


async def test_remote_links_upsert_by_global_id(
    cloud: Emulator, cloud_client: httpx.AsyncClient
) -> None:
    await create(cloud_client)
    body = {"globalId": "tb:alert:1", "object": {"url": "https://tb.test/a/1", "title": "A1"}}
    first = await cloud_client.post("/rest/api/3/issue/OPS-1/remotelink", json=body)
    again = await cloud_client.post(
        "/rest/api/3/issue/OPS-1/remotelink",
        json=body | {"object": {"url": "https://tb.test/a/1", "title": "A1 renamed"}},
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    listed = (await cloud_client.get("/rest/api/3/issue/OPS-1/remotelink")).json()
    assert [x["object"]["title"] for x in listed] == ["A1 renamed"]
    refused = await cloud_client.post("/rest/api/3/issue/OPS-1/remotelink", json={"object": {}})
    assert refused.status_code == 400
    gone = await cloud_client.delete(
        "/rest/api/3/issue/OPS-1/remotelink", params={"globalId": "tb:alert:1"}
    )
    assert gone.status_code == 204
    assert cloud.issue("OPS-1").remote_links == []


async def test_issue_properties_crud(cloud: Emulator, cloud_client: httpx.AsyncClient) -> None:
    await create(cloud_client)
    url = "/rest/api/3/issue/OPS-1/properties/tb"
    assert (await cloud_client.put(url, json={"v": 1})).status_code == 201
    assert (await cloud_client.put(url, json={"v": 2})).status_code == 200
    keys = (await cloud_client.get("/rest/api/3/issue/OPS-1/properties")).json()["keys"]
    assert [k["key"] for k in keys] == ["tb"]
    assert cloud.issue("OPS-1").properties == {"tb": {"v": 2}}
    assert (await cloud_client.delete(url)).status_code == 204
    assert (await cloud_client.get(url)).status_code == 404


async def test_request_log_and_counters(cloud: Emulator, cloud_client: httpx.AsyncClient) -> None:
    await create(cloud_client, summary="logged")
    await cloud_client.get("/rest/api/3/issue/OPS-1")
    await cloud_client.get("/rest/api/3/issue/OPS-1", params={"fields": "summary"})
    assert cloud.counters["POST /rest/api/3/issue"] == 1
    assert cloud.counters["GET /rest/api/3/issue/{ref}"] == 2
    post = cloud.requests[0]
    assert (post.method, post.path, post.status) == ("POST", "/rest/api/3/issue", 201)
    assert post.json["fields"]["summary"] == "logged"
    assert cloud.requests[2].query == {"fields": "summary"}


async def test_snapshot_restore_and_reset(cloud: Emulator, cloud_client: httpx.AsyncClient) -> None:
    await create(cloud_client)
    snap = cloud.snapshot()
    await create(cloud_client)
    await cloud_client.put("/rest/api/3/issue/OPS-1", json={"fields": {"summary": "changed"}})
    cloud.restore(snap)
    assert [i.key for i in cloud.state.issues.values()] == ["OPS-1"]
    assert cloud.issue("OPS-1").fields["summary"] == "s"
    # ids and keys continue from the restored point
    assert (await create(cloud_client)).json()["key"] == "OPS-2"
    cloud.reset()
    assert cloud.state.issues == {}
    assert cloud.requests == []
    assert (await create(cloud_client)).json()["key"] == "OPS-1"


async def test_control_endpoints(cloud: Emulator, cloud_client: httpx.AsyncClient) -> None:
    await create(cloud_client)
    control = httpx.AsyncClient(transport=cloud.transport(), base_url=cloud.base_url)
    async with control:
        issues = (await control.get("/_emulator/issues")).json()
        assert [(i["key"], i["status"]) for i in issues] == [("OPS-1", "To Do")]
        assert (await control.get("/_emulator/counters")).json()["POST /rest/api/3/issue"] == 1
        by_status = (await control.get("/_emulator/counters", params={"by": "status"})).json()
        assert by_status["POST /rest/api/3/issue 201"] == 1
        snap = (await control.post("/_emulator/snapshot")).json()["id"]
        await create(cloud_client)
        assert (await control.post(f"/_emulator/restore/{snap}")).status_code == 204
        assert len(cloud.state.issues) == 1
        lag = await control.put("/_emulator/index-lag", json={"seconds": 2.5})
        assert lag.json() == {"seconds": 2.5}
        assert cloud.index_lag == 2.5
        assert (await control.post("/_emulator/reset")).status_code == 204
        assert cloud.state.issues == {}
        logged = (await control.get("/_emulator/requests")).json()
        assert all(not r["path"].startswith("/_emulator") for r in logged)


async def test_add_to_epic_sets_parent_on_cloud_and_epic_link_on_dc(
    cloud: Emulator, cloud_client: httpx.AsyncClient, dc: Emulator, dc_client: httpx.AsyncClient
) -> None:
    for emu, client, api, field, epic_fields in (
        (cloud, cloud_client, "3", "parent", {}),
        (dc, dc_client, "2", "customfield_10017", {"customfield_10018": "Epic"}),  # Epic Name
    ):
        await create(client, api=api, issuetype={"name": "Epic"}, **epic_fields)
        await create(client, api=api)
        url = "/rest/greenhopper/1.0/epics/OPS-1/add"
        refused = await client.put(url, json={"issueKeys": ["OPS-404"], "ignoreEpics": True})
        assert refused.status_code == 400
        assert refused.json()["errorMessages"] == [
            "Issue does not exist or you do not have permission to see it."
        ]
        added = await client.put(url, json={"issueKeys": ["OPS-2"], "ignoreEpics": True})
        assert added.status_code == 204
        assert emu.issue("OPS-2").fields[field] == "OPS-1"


async def test_client_helper_authenticates_as_the_seed_admin() -> None:
    for flavor, who in (("cloud", "accountId"), ("datacenter", "name")):
        emu = Emulator(flavor=flavor)
        async with emu.client() as client:
            me = (await client.get("/rest/api/2/myself")).json()
        assert me["displayName"] == "Emulator Admin"
        assert who in me
