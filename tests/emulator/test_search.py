"""Search: Cloud /search/jql (tokens, isLast, reconcileIssues, index lag), DC's v2 /search,
Cloud's 410 on the endpoints CHANGE-2046 removed."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from emu_support import ADF_HELLO, CLOUD_AUTH, DC_AUTH, FakeClock, client_for, create

from jira_emulator import Emulator, search

JQL = "/rest/api/3/search/jql"


REMOVED = {
    "errorMessages": [
        "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
        "A full migration guideline is available at "
        "https://developer.atlassian.com/changelog/#CHANGE-2046"
    ],
    "errors": {},
}
OK = "200: a search page"
# CHANGE-2046: Cloud answers 410 on the old search endpoints (v2 and v3 alike) since August 2025
# and serves /search/jql under both; Data Center keeps /rest/api/2/search and has no /search/jql.
SEARCH_ENDPOINTS = [
    # (flavour, method, path, expected)
    ("cloud", "GET", "/rest/api/3/search", REMOVED),
    ("cloud", "POST", "/rest/api/3/search", REMOVED),
    ("cloud", "GET", "/rest/api/2/search", REMOVED),
    ("cloud", "POST", "/rest/api/2/search", REMOVED),
    ("cloud", "POST", "/rest/api/3/search/id", REMOVED),
    ("cloud", "POST", "/rest/api/2/search/id", REMOVED),
    ("cloud", "GET", "/rest/api/3/search/jql", OK),
    ("cloud", "POST", "/rest/api/3/search/jql", OK),
    ("cloud", "GET", "/rest/api/2/search/jql", OK),
    ("cloud", "POST", "/rest/api/2/search/jql", OK),
    ("datacenter", "GET", "/rest/api/2/search", OK),
    ("datacenter", "POST", "/rest/api/2/search", OK),
    ("datacenter", "POST", "/rest/api/2/search/jql", 404),
    ("datacenter", "GET", "/rest/api/3/search", 404),
]


@pytest.mark.parametrize(("flavour", "method", "path", "expected"), SEARCH_ENDPOINTS)
async def test_search_endpoints_by_flavour(
    flavour: str, method: str, path: str, expected: object
) -> None:
    emu = Emulator(flavor=flavour)
    async with client_for(emu, CLOUD_AUTH if flavour == "cloud" else DC_AUTH) as client:
        await create(client, api="3" if flavour == "cloud" else "2")
        query = {"jql": "project = OPS", "fields": "summary"}
        if method == "GET":
            response = await client.get(path, params=query)
        else:
            response = await client.post(path, json=query | {"fields": ["summary"]})
    if expected is REMOVED:
        assert (response.status_code, response.json()) == (410, REMOVED)
    elif expected == OK:
        assert response.status_code == 200
        assert [i["fields"]["summary"] for i in response.json()["issues"]] == ["s"]
    else:
        assert response.status_code == expected


async def test_v2_search_jql_on_cloud_renders_wiki_not_adf(cloud_client: httpx.AsyncClient) -> None:
    await create(cloud_client, description=ADF_HELLO)
    query = {"jql": "project = OPS", "fields": ["description"]}
    v2 = (await cloud_client.post("/rest/api/2/search/jql", json=query)).json()
    v3 = (await cloud_client.post(JQL, json=query)).json()
    assert v2["issues"][0]["fields"]["description"] == "hello"
    assert v3["issues"][0]["fields"]["description"] == ADF_HELLO
    assert v2["isLast"] is True
    assert "total" not in v2


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


async def test_a_search_page_shows_each_issue_its_own_subtasks() -> None:
    """Subtasks are found once per page, not per issue: each issue still lists exactly its own."""
    emu = Emulator(flavor="datacenter")
    async with client_for(emu, DC_AUTH) as client:
        for _ in range(2):
            assert (await create(client, "2")).status_code == 201  # OPS-1, OPS-2
        for parent in ("OPS-1", "OPS-1", "OPS-2"):  # OPS-3, OPS-4 under OPS-1; OPS-5 under 2
            sub = await create(client, "2", issuetype={"name": "Sub-task"}, parent={"key": parent})
            assert sub.status_code == 201, sub.text
        page = await client.get(
            "/rest/api/2/search", params={"jql": "project = OPS", "fields": "subtasks"}
        )
    subtasks = {
        issue["key"]: sorted(s["key"] for s in issue["fields"]["subtasks"])
        for issue in page.json()["issues"]
    }
    assert subtasks == {
        "OPS-1": ["OPS-3", "OPS-4"],
        "OPS-2": ["OPS-5"],
        "OPS-3": [],
        "OPS-4": [],
        "OPS-5": [],
    }


async def _keys(client: httpx.AsyncClient, jql: str) -> list[str]:
    page = await client.get("/rest/api/2/search", params={"jql": jql, "fields": "labels"})
    assert page.status_code == 200, page.text
    return [issue["key"] for issue in page.json()["issues"]]


async def test_label_lookups_find_labels_given_at_create_and_edit_and_after_a_restore() -> None:
    """`labels in (…)` is narrowed by an index of labels before the issues are read: what it
    finds must be what reading every issue finds, whenever the label came."""
    emu = Emulator(flavor="datacenter")
    async with client_for(emu, DC_AUTH) as client:
        await create(client, "2", labels=["tb-one", "other"])  # OPS-1
        await create(client, "2", labels=["TB-Two"])  # OPS-2
        await create(client, "2")  # OPS-3
        assert await _keys(client, "labels in (tb-one, tb-two) ORDER BY key ASC") == [
            "OPS-1",
            "OPS-2",
        ]
        edit = await client.put(
            "/rest/api/2/issue/OPS-3", json={"update": {"labels": [{"add": "tb-one"}]}}
        )
        assert edit.status_code == 204, edit.text
        snapshot = emu.snapshot()
        await create(client, "2", labels=["tb-one"])  # OPS-4, gone after the restore
        assert await _keys(client, "project = OPS AND labels = tb-one ORDER BY key ASC") == [
            "OPS-1",
            "OPS-3",
            "OPS-4",
        ]
        emu.restore(snapshot)
        assert await _keys(client, "labels = tb-one ORDER BY key ASC") == ["OPS-1", "OPS-3"]
        assert await _keys(client, "labels = tb-one OR labels = other ORDER BY key ASC") == [
            "OPS-1",
            "OPS-3",
        ]


async def test_a_long_search_lets_a_create_sent_meanwhile_in_before_it_ends() -> None:
    """Jira serves requests side by side: a create sent while a search reads thousands of
    issues is made (and answered) before that search's answer, not after it (issue 20: one
    search held every request up 9.7 s, longer than a settle delay)."""
    emu = Emulator(flavor="datacenter")
    issues = 3 * search.YIELD_EVERY
    bulk = [
        {"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "s"}}
    ] * 50
    async with client_for(emu, DC_AUTH) as client:
        for _ in range(issues // 50):
            made = await client.post("/rest/api/2/issue/bulk", json={"issueUpdates": bulk})
            assert made.status_code == 201, made.text
        answered: list[str] = []

        async def read_all() -> None:
            page = await client.post(
                "/rest/api/2/search", json={"jql": "project = OPS", "maxResults": 1}
            )
            answered.append(f"search: {page.json()['total']}")

        async def create_one() -> None:
            await asyncio.sleep(0)  # sent once the search has begun
            made = await create(client, "2", summary="sent during the search")
            answered.append(f"create: {made.json()['key']}")

        await asyncio.gather(read_all(), create_one())
    assert answered == [f"create: OPS-{issues + 1}", f"search: {issues}"]
