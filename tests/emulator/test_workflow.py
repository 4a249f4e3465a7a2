"""Comments and transitions: ADF on v3, resolution set on entering done and cleared on leaving."""

from __future__ import annotations

import httpx
import pytest
from emu_support import adf, create

from jira_emulator import Emulator

ADF_MESSAGE = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"


async def test_comment_lifecycle_v3(cloud: Emulator, cloud_client: httpx.AsyncClient) -> None:
    await create(cloud_client)
    added = await cloud_client.post("/rest/api/3/issue/OPS-1/comment", json={"body": adf("one")})
    assert added.status_code == 201
    comment = added.json()
    assert comment["id"] == "10000"
    assert comment["body"] == adf("one")
    assert added.headers["location"] == comment["self"]
    edited = await cloud_client.put(
        f"/rest/api/3/issue/OPS-1/comment/{comment['id']}", json={"body": adf("two")}
    )
    assert edited.json()["body"] == adf("two")
    listed = (await cloud_client.get("/rest/api/3/issue/OPS-1/comment")).json()
    assert listed["total"] == 1
    as_v2 = (await cloud_client.get("/rest/api/2/issue/OPS-1/comment")).json()
    assert as_v2["comments"][0]["body"] == "two"
    deleted = await cloud_client.delete(f"/rest/api/3/issue/OPS-1/comment/{comment['id']}")
    assert deleted.status_code == 204
    assert cloud.issue("OPS-1").comments == []


async def test_plain_string_comment_refused_on_v3_accepted_on_v2(
    cloud: Emulator, cloud_client: httpx.AsyncClient
) -> None:
    await create(cloud_client)
    refused = await cloud_client.post("/rest/api/3/issue/OPS-1/comment", json={"body": "plain"})
    assert refused.status_code == 400
    assert refused.json() == {"errorMessages": [], "errors": {"comment": ADF_MESSAGE}}
    accepted = await cloud_client.post("/rest/api/2/issue/OPS-1/comment", json={"body": "plain"})
    assert accepted.status_code == 201
    assert [c.body for c in cloud.issue("OPS-1").comments] == ["plain"]


async def test_transitions_list_target_status_with_category(
    cloud_client: httpx.AsyncClient,
) -> None:
    await create(cloud_client)
    body = (await cloud_client.get("/rest/api/3/issue/OPS-1/transitions")).json()
    found = {t["name"]: t["to"]["statusCategory"]["key"] for t in body["transitions"]}
    assert found == {"Start Progress": "indeterminate", "Done": "done"}


@pytest.mark.parametrize(
    ("path", "final_status", "resolution", "category"),
    [
        (["11"], "In Progress", None, "indeterminate"),
        (["11", "21"], "Under Review", None, "indeterminate"),
        (["31"], "Done", "Done", "done"),
        (["11", "21", "31"], "Done", "Done", "done"),
        (["31", "61"], "To Do", None, "new"),
    ],
)
async def test_transition_paths(
    cloud: Emulator,
    cloud_client: httpx.AsyncClient,
    path: list[str],
    final_status: str,
    resolution: str | None,
    category: str,
) -> None:
    await create(cloud_client)
    for transition_id in path:
        response = await cloud_client.post(
            "/rest/api/3/issue/OPS-1/transitions", json={"transition": {"id": transition_id}}
        )
        assert response.status_code == 204, response.text
    fields = (await cloud_client.get("/rest/api/3/issue/OPS-1")).json()["fields"]
    assert fields["status"]["name"] == final_status
    assert fields["status"]["statusCategory"]["key"] == category
    assert (fields["resolution"] or {}).get("name") == resolution
    assert (fields["resolutiondate"] is not None) == (resolution is not None)
    issue = cloud.issue("OPS-1")
    assert cloud.state.statuses[issue.status].name == final_status


async def test_transition_with_resolution_and_comment(
    cloud: Emulator, cloud_client: httpx.AsyncClient
) -> None:
    await create(cloud_client)
    response = await cloud_client.post(
        "/rest/api/3/issue/OPS-1/transitions",
        json={
            "transition": {"id": 31},  # real clients send ints too
            "fields": {"resolution": {"name": "False Positive"}},
            "update": {"comment": [{"add": {"body": adf("closing")}}]},
        },
    )
    assert response.status_code == 204, response.text
    issue = cloud.issue("OPS-1")
    assert cloud.state.resolutions[issue.resolution or ""].name == "False Positive"
    assert [c.body for c in issue.comments] == [adf("closing")]
    history = issue.changelog[-1]
    assert {i.field_id for i in history.items} == {"status", "resolution"}


@pytest.mark.parametrize(
    ("body", "message_key"),
    [
        ({"transition": {"id": "61"}}, "errorMessages"),  # Reopen from To Do: not available
        ({"transition": {"id": "11"}, "fields": {"resolution": {"name": "Done"}}}, "errors"),
        ({"transition": {"id": "31"}, "fields": {"resolution": {"name": "Nope"}}}, "errors"),
    ],
)
async def test_transition_refusals(
    cloud: Emulator, cloud_client: httpx.AsyncClient, body: dict[str, object], message_key: str
) -> None:
    await create(cloud_client)
    response = await cloud_client.post("/rest/api/3/issue/OPS-1/transitions", json=body)
    assert response.status_code == 400
    assert response.json()[message_key]
    assert cloud.state.statuses[cloud.issue("OPS-1").status].name == "To Do"


async def test_transitions_expand_fields_offers_resolutions(
    cloud_client: httpx.AsyncClient,
) -> None:
    await create(cloud_client)
    body = (
        await cloud_client.get(
            "/rest/api/3/issue/OPS-1/transitions", params={"expand": "transitions.fields"}
        )
    ).json()
    done = next(t for t in body["transitions"] if t["id"] == "31")
    names = [v["name"] for v in done["fields"]["resolution"]["allowedValues"]]
    assert names == ["Done", "Won't Fix", "False Positive", "Duplicate"]
