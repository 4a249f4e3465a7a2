"""POST /v1/search (read scope): JQL passed through to Jira, paged, hostile input bounded."""

from __future__ import annotations

import pytest
from api_harness import Api

from jira_emulator import Emulator


async def _issues(emulator: Emulator, count: int, project: str = "OPS") -> None:
    async with emulator.client() as jira:
        for n in range(count):
            fields = {
                "project": {"key": project},
                "issuetype": {"name": "Task"},
                "summary": f"s{n}",
            }
            answer = await jira.post("/rest/api/3/issue", json={"fields": fields})
            assert answer.status_code == 201


async def test_search_pages_through_jiras_answer(api_with_jira: Api, emulator: Emulator) -> None:
    api = api_with_jira
    await _issues(emulator, 5)
    await _issues(emulator, 1, project="SEC")
    keys: list[str] = []
    token = None
    pages = 0
    while True:
        body = {"jql": "project = OPS ORDER BY key ASC", "page_size": 2, "page_token": token}
        answer = await api.client.post("/v1/search", json=body, headers=api.auth("read"))
        assert answer.status_code == 200, answer.text
        found = answer.json()
        keys += [issue["key"] for issue in found["issues"]]
        pages += 1
        token = found["next_page_token"]
        if token is None:
            break
    assert keys == [f"OPS-{n}" for n in range(1, 6)]
    assert pages == 3
    first = found["issues"][0]
    assert first["status_category"] == "new"
    assert first["url"] == "http://jira.test/browse/OPS-5"


async def test_jiras_refusal_of_the_query_names_jql(api_with_jira: Api) -> None:
    api = api_with_jira
    answer = await api.client.post(
        "/v1/search", json={"jql": "project = = OPS"}, headers=api.auth("read")
    )
    assert answer.status_code == 422
    [problem] = answer.json()["problems"]
    assert problem["path"] == "jql"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"jql": ""}, "jql"),
        ({"jql": "x" * 4001}, "jql"),
        ({"jql": "project = OPS", "page_size": 0}, "page_size"),
        ({"jql": "project = OPS", "page_size": 101}, "page_size"),
        ({"jql": "project = OPS", "page_token": "t" * 2049}, "page_token"),
        ({"jql": ["project = OPS"]}, "jql"),
        ({"jql": "project = OPS", "extra": 1}, "extra"),
    ],
)
async def test_hostile_bodies_are_refused_naming_the_field(
    api_with_jira: Api, body: dict[str, object], field: str
) -> None:
    api = api_with_jira
    answer = await api.client.post("/v1/search", json=body, headers=api.auth("read"))
    assert answer.status_code == 422
    assert any(field in p["path"] for p in answer.json()["problems"])


async def test_search_needs_the_read_scope_and_a_jira(api: Api) -> None:
    refused = await api.client.post(
        "/v1/search", json={"jql": "project = OPS"}, headers=api.auth("ingest")
    )
    assert refused.status_code == 403
    unconfigured = await api.client.post(
        "/v1/search", json={"jql": "project = OPS"}, headers=api.auth("read")
    )
    assert unconfigured.status_code == 409
