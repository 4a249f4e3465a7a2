"""Auth and metadata endpoints, per flavour."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emu_support import CLOUD_AUTH, DC_AUTH, client_for

from jira_emulator import Emulator


@pytest.mark.parametrize(
    ("flavor", "auth", "headers", "status"),
    [
        ("cloud", CLOUD_AUTH, {}, 200),
        ("cloud", ("admin@example.com", "wrong"), {}, 401),
        ("cloud", ("admin", "admin"), {}, 401),  # Cloud has no passwords over REST
        ("cloud", None, {}, 401),
        ("cloud", None, {"Authorization": "Bearer emulator-pat"}, 401),
        ("datacenter", ("admin", "admin"), {}, 200),
        ("datacenter", None, {"Authorization": "Bearer emulator-pat"}, 200),
        ("datacenter", None, {"Authorization": "Bearer nope"}, 401),
        ("datacenter", ("admin", "wrong"), {}, 401),
        ("datacenter", None, {}, 401),
    ],
)
async def test_auth_modes(
    flavor: str, auth: tuple[str, str] | None, headers: dict[str, str], status: int
) -> None:
    emu = Emulator(flavor=flavor)
    async with client_for(emu, auth) as client:
        response = await client.get("/rest/api/2/myself", headers=headers)
    assert response.status_code == status
    if status == 200:
        key = "accountId" if flavor == "cloud" else "name"
        assert response.json()[key]


async def test_401_bodies_are_flavour_shaped() -> None:
    async with client_for(Emulator(flavor="cloud"), ("admin@example.com", "x")) as client:
        cloud = await client.get("/rest/api/3/myself")
    assert cloud.text == "Client must be authenticated to access this resource."
    async with client_for(Emulator(flavor="datacenter"), ("admin", "x")) as client:
        bad_password = await client.get("/rest/api/2/myself")
    assert bad_password.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
    async with client_for(Emulator(flavor="datacenter"), None) as client:
        anonymous = await client.get("/rest/api/2/myself")
    assert anonymous.json()["errorMessages"] == [
        "You are not authenticated. Authentication required to perform this operation."
    ]


async def test_server_info_per_flavour(
    cloud_client: httpx.AsyncClient, dc_client: httpx.AsyncClient
) -> None:
    cloud = (await cloud_client.get("/rest/api/3/serverInfo")).json()
    dc = (await dc_client.get("/rest/api/2/serverInfo")).json()
    assert cloud["deploymentType"] == "Cloud"
    assert dc["deploymentType"] == "Server"
    assert dc["versionNumbers"][0] >= 9


async def test_default_catalogue(cloud_client: httpx.AsyncClient) -> None:
    projects = (await cloud_client.get("/rest/api/3/project")).json()
    assert [p["key"] for p in projects] == ["OPS", "AIGOV", "COMPLIANCE", "SEC", "INFRA"]
    types = {t["name"] for t in (await cloud_client.get("/rest/api/3/issuetype")).json()}
    assert types == {"Task", "Bug", "Story", "Epic", "Incident", "Sub-task"}
    priorities = [p["name"] for p in (await cloud_client.get("/rest/api/3/priority")).json()]
    assert priorities == ["Highest", "High", "Medium", "Low", "Lowest"]
    statuses = {
        s["name"]: s["statusCategory"]["key"]
        for s in (await cloud_client.get("/rest/api/3/status")).json()
    }
    assert statuses == {
        "To Do": "new",
        "In Progress": "indeterminate",
        "Under Review": "indeterminate",
        "Done": "done",
    }
    resolutions = [r["name"] for r in (await cloud_client.get("/rest/api/3/resolution")).json()]
    assert resolutions == ["Done", "Won't Fix", "False Positive", "Duplicate"]
    fields = {f["name"]: f for f in (await cloud_client.get("/rest/api/3/field")).json()}
    assert fields["Change Risk"]["schema"]["type"] == "option"
    assert fields["Escalation ID"]["custom"] is True
    assert "Epic Link" not in fields  # a Data Center field
    links = (await cloud_client.get("/rest/api/3/issueLinkType")).json()["issueLinkTypes"]
    assert {link["name"] for link in links} >= {"Blocks", "Relates", "Duplicate"}
    found = (await cloud_client.get("/rest/api/3/project/search", params={"query": "sec"})).json()
    assert [p["key"] for p in found["values"]] == ["SEC"]
    assert (await cloud_client.get("/rest/api/3/project/NOPE")).status_code == 404


async def test_dc_has_epic_link_field(dc_client: httpx.AsyncClient) -> None:
    names = {f["name"] for f in (await dc_client.get("/rest/api/2/field")).json()}
    assert "Epic Link" in names


async def test_createmeta_is_paginated_and_per_screen(cloud_client: httpx.AsyncClient) -> None:
    page = (
        await cloud_client.get(
            "/rest/api/3/issue/createmeta/OPS/issuetypes", params={"maxResults": 2}
        )
    ).json()
    assert (page["total"], page["maxResults"], len(page["issueTypes"])) == (6, 2, 2)
    ops = (await cloud_client.get("/rest/api/3/issue/createmeta/OPS/issuetypes/10001")).json()
    infra = (await cloud_client.get("/rest/api/3/issue/createmeta/INFRA/issuetypes/10001")).json()
    ops_fields = {f["fieldId"]: f for f in ops["fields"]}
    infra_fields = {f["fieldId"] for f in infra["fields"]}
    assert ops_fields["summary"]["required"] is True
    assert [v["value"] for v in ops_fields["customfield_10011"]["allowedValues"]] == [
        "LOW",
        "MEDIUM",
        "HIGH",
    ]
    assert "customfield_10011" not in infra_fields
    assert "customfield_10010" in infra_fields
    missing = await cloud_client.get("/rest/api/3/issue/createmeta/OPS/issuetypes/99")
    assert missing.status_code == 404


async def test_legacy_createmeta_as_recorded(dc_client: httpx.AsyncClient) -> None:
    body = (
        await dc_client.get(
            "/rest/api/2/issue/createmeta",
            params={
                "projectKeys": "OPS",
                "issuetypeNames": "Task",
                "expand": "projects.issuetypes.fields",
            },
        )
    ).json()
    [project] = body["projects"]
    [task] = project["issuetypes"]
    assert task["name"] == "Task"
    assert task["fields"]["summary"]["required"] is True


async def test_user_search(
    cloud: Emulator, cloud_client: httpx.AsyncClient, dc_client: httpx.AsyncClient
) -> None:
    found = (
        await cloud_client.get("/rest/api/3/user/search", params={"query": "alice@example.com"})
    ).json()
    assert [u["accountId"] for u in found] == [cloud.state.users["alice"].account_id]
    assert "name" not in found[0]
    dc_found = (await dc_client.get("/rest/api/2/user/search", params={"username": "bob"})).json()
    assert [u["name"] for u in dc_found] == ["bob"]


async def test_account_ids_are_deterministic() -> None:
    first, second = Emulator(), Emulator()
    assert first.state.users["admin"].account_id == second.state.users["admin"].account_id
    assert first.state.users["admin"].account_id.startswith("712020:")


async def test_assignable_user_search_as_createmeta_advertises(
    cloud_client: httpx.AsyncClient,
) -> None:
    meta = (await cloud_client.get("/rest/api/3/issue/createmeta/OPS/issuetypes/10001")).json()
    [assignee] = [f for f in meta["fields"] if f["fieldId"] == "assignee"]
    url = assignee["autoCompleteUrl"] + "car"
    found = (await cloud_client.get(url)).json()
    assert [u["displayName"] for u in found] == ["Carol Compliance"]


async def test_assignable_user_search_needs_a_project_that_exists(
    dc_client: httpx.AsyncClient,
) -> None:
    url = "/rest/api/2/user/assignable/search"
    found = (await dc_client.get(url, params={"project": "OPS", "username": "ali"})).json()
    assert [u["name"] for u in found] == ["alice"]
    assert (await dc_client.get(url, params={"username": "ali"})).status_code == 400
    missing = await dc_client.get(url, params={"project": "NOPE", "username": "ali"})
    assert missing.status_code == 404


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
async def test_project_components_as_the_reference_shows_them(flavor: str) -> None:
    seed = {"addProjects": [{"key": "WEB", "name": "Web", "components": ["api", "frontend"]}]}
    emu = Emulator(flavor=flavor, seed=seed)
    async with client_for(emu, CLOUD_AUTH if flavor == "cloud" else DC_AUTH) as client:
        listed = (await client.get("/rest/api/2/project/WEB/components")).json()
        assert (await client.get("/rest/api/2/project/NOPE/components")).status_code == 404
    assert [(c["name"], c["project"]) for c in listed] == [("api", "WEB"), ("frontend", "WEB")]
    assert listed[0]["id"] == "10000"
    assert listed[0]["self"].endswith("/component/10000")


async def test_cloud_lists_the_labels_in_use_and_data_center_has_no_label_list(
    cloud_client: httpx.AsyncClient, dc_client: httpx.AsyncClient
) -> None:
    for labels in (["security", "pii"], ["pii"]):
        fields = {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "x"}
        created = await cloud_client.post(
            "/rest/api/3/issue", json={"fields": fields | {"labels": labels}}
        )
        assert created.status_code == 201, created.text
    page = (await cloud_client.get("/rest/api/3/label", params={"maxResults": 1})).json()
    assert page == {"isLast": False, "maxResults": 1, "startAt": 0, "total": 2, "values": ["pii"]}
    assert (await cloud_client.get("/rest/api/3/label")).json()["values"] == ["pii", "security"]
    assert (await dc_client.get("/rest/api/2/label")).status_code == 404


async def test_datacenter_createmeta_pages_carry_values(dc_client: httpx.AsyncClient) -> None:
    types = (await dc_client.get("/rest/api/2/issue/createmeta/OPS/issuetypes")).json()
    assert types["isLast"] is True
    assert {t["name"] for t in types["values"]} >= {"Task", "Bug"}
    fields = (await dc_client.get("/rest/api/2/issue/createmeta/OPS/issuetypes/10001")).json()
    assert "customfield_10017" in {f["fieldId"] for f in fields["values"]}  # Epic Link on DC


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
async def test_server_info_is_anonymous_but_bad_credentials_still_refused(flavor: str) -> None:
    emu = Emulator(flavor=flavor)
    async with client_for(emu, None) as client:
        assert (await client.get("/rest/api/2/serverInfo")).status_code == 200
        assert (await client.get("/rest/api/2/myself")).status_code == 401
    async with client_for(emu, ("nobody", "wrong")) as client:
        assert (await client.get("/rest/api/2/serverInfo")).status_code == 401


EPIC = {"project": {"key": "OPS"}, "issuetype": {"name": "Epic"}, "summary": "Hallucinations"}
EPIC_NAME = "customfield_10018"
REQUIRED = {"errorMessages": [], "errors": {EPIC_NAME: "Epic Name is required."}}
# Jira Software on Data Center refuses an Epic without its Epic Name; Cloud has no such field.
EPIC_CREATES = [
    # (flavour, seed projects, extra fields, expected status, expected answer or Epic Name kept)
    ("datacenter", None, {}, 400, REQUIRED),
    ("datacenter", None, {EPIC_NAME: "Hallucinations"}, 201, "Hallucinations"),
    ("datacenter", [{"key": "OPS", "required": {"Epic": []}}], {}, 201, None),  # seed says so
    ("cloud", None, {}, 201, None),
    ("cloud", None, {EPIC_NAME: "x"}, 400, None),  # not a Cloud field
]


@pytest.mark.parametrize(("flavor", "projects", "extra", "status", "expected"), EPIC_CREATES)
async def test_epic_name_on_datacenter(
    flavor: str, projects: list[dict[str, Any]] | None, extra: dict[str, str], status: int,
    expected: object,
) -> None:  # fmt: skip
    emu = Emulator(flavor=flavor, seed={"projects": projects} if projects else None)
    api = "2" if flavor == "datacenter" else "3"
    async with emu.client() as client:
        answer = await client.post(f"/rest/api/{api}/issue", json={"fields": EPIC | extra})
    assert answer.status_code == status
    if status == 400 and expected is not None:
        assert answer.json() == expected
        assert emu.state.issues == {}
    elif status == 201:
        assert emu.issue("OPS-1").fields.get(EPIC_NAME) == expected


async def test_epic_name_is_on_the_epic_screen_only(dc_client: httpx.AsyncClient) -> None:
    def meta(answer: httpx.Response) -> dict[str, Any]:
        return {f["fieldId"]: f for f in answer.json()["values"]}

    epic = meta(await dc_client.get("/rest/api/2/issue/createmeta/OPS/issuetypes/10000"))
    task = meta(await dc_client.get("/rest/api/2/issue/createmeta/OPS/issuetypes/10001"))
    assert epic[EPIC_NAME]["required"] is True
    assert epic[EPIC_NAME]["name"] == "Epic Name"
    assert epic[EPIC_NAME]["schema"] == {
        "type": "string",
        "custom": "com.pyxis.greenhopper.jira:gh-epic-label",
        "customId": 10018,
    }
    assert EPIC_NAME not in task
    fields = {f["id"]: f["name"] for f in (await dc_client.get("/rest/api/2/field")).json()}
    assert fields[EPIC_NAME] == "Epic Name"


async def test_tenant_info_names_each_cloud_site_apart() -> None:
    """Two Cloud sites at one URL with the same keys are still two sites: `/_edge/tenant_info`
    (anonymous, like Jira's) gives each its own cloud id, kept across reset()."""
    first, second = Emulator(flavor="cloud"), Emulator(flavor="cloud")
    named = Emulator(flavor="cloud", cloud_id="1324a887-45db-1bf4-1e99-ef0ff456d421")
    ids = []
    for emu in (first, second, named):
        async with client_for(emu, None) as client:
            response = await client.get("/_edge/tenant_info")
        assert response.status_code == 200
        ids.append(response.json()["cloudId"])
    assert ids[0] != ids[1]
    assert ids[2] == "1324a887-45db-1bf4-1e99-ef0ff456d421"
    first.reset()
    async with client_for(first, None) as client:
        assert (await client.get("/_edge/tenant_info")).json()["cloudId"] == ids[0]


async def test_tenant_info_is_cloud_only() -> None:
    async with client_for(Emulator(flavor="datacenter"), None) as client:
        assert (await client.get("/_edge/tenant_info")).status_code == 404
