"""Search: Cloud /search/jql (tokens, isLast, reconcileIssues, index lag), v2 /search, the 410."""

from __future__ import annotations

import httpx
import pytest
from emu_support import CLOUD_AUTH, FakeClock, client_for, create

from jira_emulator import Emulator

JQL = "/rest/api/3/search/jql"


async def test_old_v3_search_is_gone_on_cloud(cloud_client: httpx.AsyncClient) -> None:
    for method in ("GET", "POST"):
        response = await cloud_client.request(
            method, "/rest/api/3/search", params={"jql": "project = OPS"}
        )
        assert response.status_code == 410
        assert "search/jql" in response.json()["errorMessages"][0]


async def test_search_jql_defaults_to_ids_and_pages_with_tokens(
    cloud_client: httpx.AsyncClient,
) -> None:
    for _ in range(5):
        await create(cloud_client)
    first = (
        await cloud_client.get(
            JQL, params={"jql": "project = OPS ORDER BY key ASC", "maxResults": 2}
        )
    ).json()
    assert first["issues"] == [{"id": "10000"}, {"id": "10001"}]
    assert first["isLast"] is False
    assert "total" not in first
    seen = [i["id"] for i in first["issues"]]
    token = first["nextPageToken"]
    while token:
        page = (
            await cloud_client.post(
                JQL,
                json={
                    "jql": "project = OPS ORDER BY key ASC",
                    "maxResults": 2,
                    "nextPageToken": token,
                },
            )
        ).json()
        seen += [i["id"] for i in page["issues"]]
        token = page.get("nextPageToken")
        assert page["isLast"] is (token is None)
    assert seen == ["10000", "10001", "10002", "10003", "10004"]


async def test_search_jql_fields_and_matching(cloud_client: httpx.AsyncClient) -> None:
    await create(cloud_client, summary="disk full", labels=["tb-abc"])
    await create(cloud_client, summary="cpu hot", labels=["tb-def"])
    body = (
        await cloud_client.post(
            JQL, json={"jql": 'labels = "tb-def"', "fields": ["summary", "labels"]}
        )
    ).json()
    assert [(i["key"], i["fields"]["summary"]) for i in body["issues"]] == [("OPS-2", "cpu hot")]
    assert body["isLast"] is True


@pytest.mark.parametrize("jql", ["", "ORDER BY created DESC"])
async def test_unbounded_query_refused(cloud_client: httpx.AsyncClient, jql: str) -> None:
    response = await cloud_client.post(JQL, json={"jql": jql})
    assert response.status_code == 400
    assert response.json() == {
        "errorMessages": [
            "Unbounded JQL queries are not allowed here. Please add a search restriction to your "
            "query."
        ],
        "errors": {},
    }


async def test_bad_jql_gets_jira_error_body(cloud_client: httpx.AsyncClient) -> None:
    response = await cloud_client.post(JQL, json={"jql": "project = "})
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == {}
    assert body["errorMessages"][0].startswith("Error in the JQL Query")


async def test_index_lag_hides_new_and_changed_issues_unless_reconciled() -> None:
    clock = FakeClock()
    emu = Emulator(flavor="cloud", index_lag=5.0, clock=clock)
    async with client_for(emu, CLOUD_AUTH) as client:
        await create(client, summary="first")
        query = {"jql": "project = OPS", "fields": ["summary"]}
        assert (await client.post(JQL, json=query)).json()["issues"] == []
        reconciled = (await client.post(JQL, json=query | {"reconcileIssues": [10000]})).json()
        assert [i["key"] for i in reconciled["issues"]] == ["OPS-1"]
        clock.advance(5.0)
        visible = (await client.post(JQL, json=query)).json()["issues"]
        assert [i["fields"]["summary"] for i in visible] == ["first"]
        # A change is invisible for the lag too: search still sees the indexed version.
        await client.put("/rest/api/3/issue/OPS-1", json={"fields": {"summary": "second"}})
        stale = (await client.post(JQL, json=query)).json()["issues"]
        assert [i["fields"]["summary"] for i in stale] == ["first"]
        fresh = (
            await client.get(
                JQL,
                params={"jql": "project = OPS", "fields": "summary", "reconcileIssues": "10000"},
            )
        ).json()["issues"]
        assert [i["fields"]["summary"] for i in fresh] == ["second"]
        clock.advance(5.0)
        caught_up = (await client.post(JQL, json=query)).json()["issues"]
        assert [i["fields"]["summary"] for i in caught_up] == ["second"]


async def test_v2_search_on_datacenter_has_total_and_start_at(
    dc_client: httpx.AsyncClient,
) -> None:
    for summary in ("a", "b", "c"):
        await create(dc_client, api="2", summary=summary)
    body = (
        await dc_client.get(
            "/rest/api/2/search",
            params={"jql": "project = OPS ORDER BY key ASC", "startAt": 1, "maxResults": 1},
        )
    ).json()
    assert (body["startAt"], body["maxResults"], body["total"]) == (1, 1, 3)
    assert [i["key"] for i in body["issues"]] == ["OPS-2"]
    assert body["issues"][0]["fields"]["summary"] == "b"


async def test_datacenter_has_no_v3(dc_client: httpx.AsyncClient) -> None:
    assert (await dc_client.get("/rest/api/3/myself")).status_code == 404
    assert (await dc_client.post("/rest/api/2/search/jql", json={"jql": "a=b"})).status_code == 404


async def test_search_by_custom_field_name_status_category_and_property(
    cloud_client: httpx.AsyncClient,
) -> None:
    await create(cloud_client, customfield_10010="ESC-1")
    body = {
        "fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "p"},
        "properties": [{"key": "tb", "value": {"fingerprint": "f1"}}],
    }
    await cloud_client.post("/rest/api/3/issue", json=body)
    await cloud_client.post(
        "/rest/api/3/issue/OPS-1/transitions", json={"transition": {"id": "31"}}
    )
    cases = {
        '"Escalation ID" ~ "ESC-1"': ["OPS-1"],
        "statusCategory = Done": ["OPS-1"],
        'issue.property[tb].fingerprint = "f1"': ["OPS-2"],
        "resolution is EMPTY": ["OPS-2"],
    }
    for jql, keys in cases.items():
        found = (await cloud_client.post(JQL, json={"jql": jql, "fields": ["key"]})).json()
        assert [i["key"] for i in found["issues"]] == keys, jql


async def test_current_user_function(cloud: Emulator, cloud_client: httpx.AsyncClient) -> None:
    await create(cloud_client, assignee={"accountId": cloud.state.users["admin"].account_id})
    await create(cloud_client)
    found = (
        await cloud_client.post(JQL, json={"jql": "assignee = currentUser()", "fields": ["key"]})
    ).json()
    assert [i["key"] for i in found["issues"]] == ["OPS-1"]
