"""Issues over REST: create, bulk, get, edit, delete — and the ways Jira refuses them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emu_support import ADF_HELLO, adf, create

from jira_emulator import Emulator

NOT_ON_SCREEN = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."
TOO_LONG = "The entered text is too long. It exceeds the allowed limit of {} characters."
ADF_MESSAGE = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"


async def test_keys_and_ids_are_deterministic_per_project(
    cloud: Emulator, cloud_client: httpx.AsyncClient
) -> None:
    made = [await create(cloud_client, project=p) for p in ("OPS", "SEC", "OPS")]
    assert [r.status_code for r in made] == [201, 201, 201]
    assert [(r.json()["id"], r.json()["key"]) for r in made] == [
        ("10000", "OPS-1"),
        ("10001", "SEC-1"),
        ("10002", "OPS-2"),
    ]
    assert made[0].json()["self"] == "http://jira.test/rest/api/3/issue/10000"
    assert sorted(i.key for i in cloud.state.issues.values()) == ["OPS-1", "OPS-2", "SEC-1"]


async def test_get_renders_adf_on_v3_and_text_on_v2(cloud_client: httpx.AsyncClient) -> None:
    await create(cloud_client, description=ADF_HELLO)
    v3 = (await cloud_client.get("/rest/api/3/issue/OPS-1")).json()
    v2 = (await cloud_client.get("/rest/api/2/issue/10000")).json()
    assert v3["fields"]["description"] == ADF_HELLO
    assert v2["fields"]["description"] == "hello"
    assert v3["fields"]["status"]["statusCategory"]["key"] == "new"
    assert v3["fields"]["priority"]["name"] == "Medium"
    assert v3["fields"]["reporter"]["emailAddress"] == "admin@example.com"


@pytest.mark.parametrize(
    ("fields", "api", "project", "errors"),
    [
        # v3 rich text must be ADF: a plain string is refused as Jira Cloud refuses it
        ({"description": "plain"}, "3", "OPS", {"description": ADF_MESSAGE}),
        ({"customfield_10012": "plain"}, "3", "OPS", {"customfield_10012": ADF_MESSAGE}),
        # a field not on INFRA's create screen
        (
            {"customfield_10011": {"value": "LOW"}},
            "3",
            "INFRA",
            {"customfield_10011": NOT_ON_SCREEN.format("customfield_10011")},
        ),
        ({"nosuchfield": 1}, "2", "OPS", {"nosuchfield": NOT_ON_SCREEN.format("nosuchfield")}),
        (
            {"labels": ["has space"]},
            "3",
            "OPS",
            {"labels": "The label 'has space' contains spaces which is invalid."},
        ),
        (
            {"labels": ["x" * 256]},
            "2",
            "OPS",
            {
                "labels": f"The label '{'x' * 256}' exceeds the maximum length for a single label"
                " of 255 characters."
            },
        ),
        (
            {"summary": "s" * 256},
            "2",
            "OPS",
            {"summary": "Summary must be less than 255 characters."},
        ),
        ({"description": "d" * 32768}, "2", "OPS", {"description": TOO_LONG.format("32,767")}),
        ({"customfield_10010": "e" * 256}, "2", "OPS", {"customfield_10010": TOO_LONG.format(255)}),
        ({"summary": ""}, "2", "OPS", {"summary": "You must specify a summary of the issue."}),
        (
            {"customfield_10011": {"value": "EXTREME"}},
            "2",
            "OPS",
            {"customfield_10011": "Option value 'EXTREME' is not valid"},
        ),
        (
            {"priority": {"name": "Urgent"}},
            "2",
            "OPS",
            {"priority": "The priority selected is invalid."},
        ),
        (
            {"description": {"type": "doc"}},
            "2",
            "OPS",
            {"description": "Operation value must be a string"},
        ),
    ],
)
async def test_create_refusals(
    cloud: Emulator,
    cloud_client: httpx.AsyncClient,
    fields: dict[str, Any],
    api: str,
    project: str,
    errors: dict[str, str],
) -> None:
    response = await create(cloud_client, api=api, project=project, **fields)
    assert response.status_code == 400
    assert response.json() == {"errorMessages": [], "errors": errors}
    assert cloud.state.issues == {}


async def test_invalid_adf_document_is_refused_with_its_path(
    cloud_client: httpx.AsyncClient,
) -> None:
    bad = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "txt"}]}],
    }
    response = await create(cloud_client, description=bad)
    assert response.status_code == 400
    assert response.json()["errors"]["description"].startswith(ADF_MESSAGE + ": $.content[0]")


async def test_create_with_every_custom_field_kind_round_trips(
    cloud: Emulator, cloud_client: httpx.AsyncClient
) -> None:
    reviewer = cloud.state.users["alice"].account_id
    response = await create(
        cloud_client,
        customfield_10010="ESC-9",
        customfield_10011={"value": "HIGH"},
        customfield_10012=adf("notes"),
        customfield_10013=[{"value": "api"}, {"value": "web"}],
        customfield_10014=7.5,
        customfield_10015="2026-12-01",
        customfield_10016={"accountId": reviewer},
        assignee={"accountId": reviewer},
        labels=["a", "b"],
        duedate="2026-12-24",
        priority={"name": "High"},
    )
    assert response.status_code == 201, response.text
    fields = (await cloud_client.get("/rest/api/3/issue/OPS-1")).json()["fields"]
    assert fields["customfield_10010"] == "ESC-9"
    assert fields["customfield_10011"]["value"] == "HIGH"
    assert fields["customfield_10012"] == adf("notes")
    assert [o["value"] for o in fields["customfield_10013"]] == ["api", "web"]
    assert fields["customfield_10014"] == 7.5
    assert fields["customfield_10015"] == "2026-12-01"
    assert fields["customfield_10016"]["accountId"] == reviewer
    assert fields["assignee"]["displayName"] == "Alice Analyst"
    assert fields["labels"] == ["a", "b"]
    assert fields["duedate"] == "2026-12-24"
    assert fields["priority"]["name"] == "High"


async def test_properties_in_create_body_are_stored(cloud_client: httpx.AsyncClient) -> None:
    body = {
        "fields": {"project": {"key": "OPS"}, "issuetype": {"id": "10001"}, "summary": "p"},
        "properties": [{"key": "ticketbridge", "value": {"fingerprint": "abc"}}],
    }
    assert (await cloud_client.post("/rest/api/3/issue", json=body)).status_code == 201
    got = await cloud_client.get("/rest/api/3/issue/OPS-1/properties/ticketbridge")
    assert got.json() == {"key": "ticketbridge", "value": {"fingerprint": "abc"}}
    issue = await cloud_client.get("/rest/api/3/issue/OPS-1", params={"properties": "*all"})
    assert issue.json()["properties"] == {"ticketbridge": {"fingerprint": "abc"}}


async def test_bulk_create_reports_partial_failure(
    cloud: Emulator, cloud_client: httpx.AsyncClient
) -> None:
    good = {"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "ok"}}
    bad = {
        "fields": {
            "project": {"key": "OPS"},
            "issuetype": {"name": "Task"},
            "summary": "x",
            "description": "not adf",
        }
    }
    response = await cloud_client.post(
        "/rest/api/3/issue/bulk", json={"issueUpdates": [good, bad, good]}
    )
    assert response.status_code == 201
    body = response.json()
    assert [i["key"] for i in body["issues"]] == ["OPS-1", "OPS-2"]
    assert body["errors"] == [
        {
            "status": 400,
            "failedElementNumber": 1,
            "elementErrors": {"errorMessages": [], "errors": {"description": ADF_MESSAGE}},
        }
    ]
    assert len(cloud.state.issues) == 2


async def test_bulk_create_all_failing_is_400_and_over_50_refused(
    cloud_client: httpx.AsyncClient,
) -> None:
    bad = {"fields": {"project": {"key": "NOPE"}, "issuetype": {"name": "Task"}, "summary": "x"}}
    all_bad = await cloud_client.post("/rest/api/3/issue/bulk", json={"issueUpdates": [bad]})
    assert all_bad.status_code == 400
    assert all_bad.json()["errors"][0]["elementErrors"]["errors"] == {
        "project": "Specify a valid project ID or key"
    }
    too_many = await cloud_client.post("/rest/api/3/issue/bulk", json={"issueUpdates": [bad] * 51})
    assert too_many.status_code == 400


async def test_edit_fields_and_update_operations_record_changelog(
    cloud: Emulator, cloud_client: httpx.AsyncClient
) -> None:
    await create(cloud_client, labels=["keep", "drop"])
    response = await cloud_client.put(
        "/rest/api/3/issue/OPS-1",
        params={"notifyUsers": "false"},
        json={
            "fields": {"summary": "new summary", "customfield_10011": {"value": "LOW"}},
            "update": {
                "labels": [{"add": "added"}, {"remove": "drop"}],
                "comment": [{"add": {"body": adf("by update")}}],
            },
        },
    )
    assert response.status_code == 204, response.text
    issue = cloud.issue("OPS-1")
    assert issue.fields["summary"] == "new summary"
    assert issue.fields["labels"] == ["keep", "added"]
    assert issue.fields["customfield_10011"] == "LOW"
    assert [c.body for c in issue.comments] == [adf("by update")]
    got = (await cloud_client.get("/rest/api/3/issue/OPS-1", params={"expand": "changelog"})).json()
    items = {i["fieldId"]: i for h in got["changelog"]["histories"] for i in h["items"]}
    assert items["summary"]["fromString"] == "s"
    assert items["summary"]["toString"] == "new summary"
    assert items["labels"]["toString"] == "keep added"
    assert items["customfield_10011"]["field"] == "Change Risk"
    assert items["customfield_10011"]["fieldtype"] == "custom"


async def test_edit_not_on_screen_is_refused_and_changes_nothing(
    cloud: Emulator, cloud_client: httpx.AsyncClient
) -> None:
    await create(cloud_client, project="INFRA")
    response = await cloud_client.put(
        "/rest/api/3/issue/INFRA-1", json={"fields": {"summary": "changed", "customfield_10014": 3}}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "customfield_10014": NOT_ON_SCREEN.format("customfield_10014")
    }
    assert cloud.issue("INFRA-1").fields["summary"] == "s"


async def test_edit_repeating_project_and_issuetype_is_accepted(
    dc: Emulator, dc_client: httpx.AsyncClient
) -> None:
    # Recorded real traffic (DefectDojo cassettes) PUTs project and issuetype back unchanged.
    await create(dc_client, api="2", description="wiki *text*")
    response = await dc_client.put(
        "/rest/api/2/issue/OPS-1",
        json={
            "fields": {
                "project": {"key": "OPS"},
                "issuetype": {"name": "Task"},
                "summary": "again",
                "description": "changed",
            }
        },
    )
    assert response.status_code == 204
    assert dc.issue("OPS-1").fields["description"] == "changed"


async def test_delete_removes_issue_and_404_after(
    cloud: Emulator, cloud_client: httpx.AsyncClient
) -> None:
    await create(cloud_client)
    assert (await cloud_client.delete("/rest/api/3/issue/OPS-1")).status_code == 204
    missing = await cloud_client.get("/rest/api/3/issue/OPS-1")
    assert missing.status_code == 404
    assert missing.json() == {
        "errorMessages": ["Issue does not exist or you do not have permission to see it."],
        "errors": {},
    }
    assert cloud.state.issues == {}


async def test_get_with_fields_filter(cloud_client: httpx.AsyncClient) -> None:
    await create(cloud_client)
    got = (
        await cloud_client.get("/rest/api/3/issue/OPS-1", params={"fields": "summary,status"})
    ).json()
    assert set(got["fields"]) == {"summary", "status"}


async def test_dc_users_are_set_by_name(dc: Emulator, dc_client: httpx.AsyncClient) -> None:
    response = await create(dc_client, api="2", assignee={"name": "bob"})
    assert response.status_code == 201
    got = (await dc_client.get("/rest/api/2/issue/OPS-1")).json()
    assert got["fields"]["assignee"]["name"] == "bob"
    assert "accountId" not in got["fields"]["assignee"]
    refused = await create(dc_client, api="2", assignee={"name": "nobody"})
    assert refused.json()["errors"] == {"assignee": "User 'nobody' does not exist."}
