"""Seed files (YAML and JSON): users, projects, custom fields, screens, workflows, webhooks."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from emu_support import client_for, create

from jira_emulator import Emulator
from jira_emulator.seed import SeedError

SEED_YAML = """
users:
  - {name: root, email: root@corp.test, displayName: Root, apiToken: t0k, password: pw,
     pat: root-pat, admin: true}
customFields:
  - {id: customfield_10100, name: Team, type: select, options: [Red, Blue]}
workflows:
  - name: simple
    initial: Open
    statuses: [{name: Open, category: new}, {name: Closed, category: done}]
    transitions: [{id: "5", name: Close, to: Closed, from: [Open]},
                  {id: "6", name: Reopen, to: Open, from: [Closed]}]
projects:
  - key: RISK
    name: Risk Register
    lead: root
    workflow: simple
    issueTypes: [Task, Bug]
    screens: {default: [summary, description, customfield_10100]}
    required: {default: [customfield_10100]}
webhooks:
  - {name: tb, url: "http://receiver.test/", events: [jira:issue_created], secret: s}
"""


@pytest.fixture
def seeded(tmp_path: Path) -> Emulator:
    path = tmp_path / "seed.yaml"
    path.write_text(SEED_YAML)
    return Emulator(flavor="cloud", seed=path)


async def test_yaml_seed_replaces_users_and_projects(seeded: Emulator) -> None:
    assert list(seeded.state.users) == ["root"]
    assert list(seeded.state.projects) == ["RISK"]
    assert [w.name for w in seeded.state.webhooks.values()] == ["tb"]
    async with client_for(seeded, ("root@corp.test", "t0k")) as client:
        missing = await create(client, project="RISK")
        assert missing.json()["errors"] == {"customfield_10100": "Team is required."}
        off_screen = await create(
            client, project="RISK", labels=["x"], customfield_10100={"value": "Red"}
        )
        assert "labels" in off_screen.json()["errors"]
        made = await create(client, project="RISK", customfield_10100={"value": "Red"})
        assert made.json()["key"] == "RISK-1"
        moves = (await client.get("/rest/api/3/issue/RISK-1/transitions")).json()["transitions"]
        assert [(t["id"], t["to"]["name"]) for t in moves] == [("5", "Closed")]
        await client.post("/rest/api/3/issue/RISK-1/transitions", json={"transition": {"id": "5"}})
    issue = seeded.issue("RISK-1")
    assert seeded.state.statuses[issue.status].name == "Closed"
    assert seeded.state.resolutions[issue.resolution or ""].name == "Done"


async def test_json_seed_extends_defaults(tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"customFields": [{"name": "Owner Team", "type": "text"}]}))
    emu = Emulator(flavor="datacenter", seed=path)
    assert "OPS" in emu.state.projects
    assert emu.state.field_by_name("Owner Team") is not None
    async with client_for(emu, ("admin", "admin")) as client:
        fields = {f["name"] for f in (await client.get("/rest/api/2/field")).json()}
    assert "Owner Team" in fields


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ({"projects": [{"name": "no key"}]}, "projects[0]: missing required field 'key'"),
        ({"projects": [{"key": "X", "workflow": "nope"}]}, "projects[0].workflow"),
        ({"customFields": [{"name": "A", "type": "blob"}]}, "customFields[0].type"),
        ({"projects": [{"key": "X", "issueTypes": ["Saga"]}]}, "projects[0].issueTypes"),
        ({"webhooks": [{"name": "w"}]}, "webhooks[0]: missing required field 'url'"),
        ({"webhooks": [{"url": "http://r.test/", "jql": "project = "}]}, "webhooks[0].jql"),
    ],
)
def test_bad_seed_names_the_field(seed: dict[str, object], message: str) -> None:
    with pytest.raises(SeedError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Emulator(seed=seed)


async def test_default_seed_credentials_as_documented() -> None:
    for flavor, auth in (
        ("cloud", ("admin@example.com", "emulator-token")),
        ("datacenter", ("admin", "admin")),
    ):
        async with client_for(Emulator(flavor=flavor), auth) as client:
            assert (await client.get("/rest/api/2/myself")).status_code == 200
    dc = Emulator(flavor="datacenter")
    async with httpx.AsyncClient(
        transport=dc.transport(),
        base_url=dc.base_url,
        headers={"Authorization": "Bearer emulator-pat"},
    ) as client:
        assert (await client.get("/rest/api/2/myself")).json()["name"] == "admin"


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_the_shipped_example_seed_loads(flavor: str) -> None:
    example = Path(__file__).parents[2] / "src" / "jira_emulator" / "seed.example.yaml"
    emu = Emulator(flavor=flavor, seed=example)
    sec = emu.state.projects["SEC"]
    assert sec.workflow == "triage"
    assert sec.required == {"Incident": ["customfield_10100"]}
    assert "customfield_10101" in sec.screen("Task")
    assert [w.jql for w in emu.state.webhooks.values()] == ["project in (OPS, SEC)"]
    aigov = emu.state.projects["AIGOV"]
    assert (aigov.workflow, aigov.components) == ("change", ["credit-model", "fraud-model"])
    assert "Approved" in emu.state.workflows["change"].statuses
    assert emu.state.issue_type_by_name("Service Request") is not None


CHANGE_SEED = {  # what seed 002's change tickets need: a request type, an "Approved" status
    "issueTypes": [{"name": "Service Request", "description": "Raised by the service desk."}],
    "workflows": [
        {
            "name": "change",
            "initial": "Open",
            "statuses": [
                {"name": "Open", "category": "new"},
                {"name": "Approved", "category": "indeterminate"},
                {"name": "Done", "category": "done"},
            ],
            "transitions": [
                {"id": "11", "name": "Approve", "to": "Approved", "from": ["Open"]},
                {"id": "21", "name": "Done", "to": "Done", "from": ["Approved"]},
            ],
        }
    ],
    "addProjects": [
        {
            "key": "GOV",
            "workflow": "change",
            "issueTypes": ["Task", "Service Request"],
            "components": ["credit-model", "fraud-model"],
        }
    ],
}


async def test_a_seed_adds_issue_types_and_projects_with_their_workflow() -> None:
    emu = Emulator(flavor="cloud", seed=CHANGE_SEED)
    assert list(emu.state.projects) == ["OPS", "AIGOV", "COMPLIANCE", "SEC", "INFRA", "GOV"]
    async with emu.client() as client:
        meta = (await client.get("/rest/api/3/issue/createmeta/GOV/issuetypes")).json()
        assert [t["name"] for t in meta["issueTypes"]] == ["Task", "Service Request"]
        made = await create(
            client,
            project="GOV",
            issuetype={"name": "Service Request"},
            components=[{"name": "credit-model"}],
        )
        assert made.status_code == 201, made.text
        unknown = await create(client, project="GOV", components=[{"name": "nope"}])
        assert unknown.status_code == 400
        moves = (await client.get("/rest/api/3/issue/GOV-1/transitions")).json()["transitions"]
        assert [(t["name"], t["to"]["name"]) for t in moves] == [("Approve", "Approved")]
        await client.post("/rest/api/3/issue/GOV-1/transitions", json={"transition": {"id": "11"}})
        issue = (await client.get("/rest/api/3/issue/GOV-1")).json()["fields"]
    assert issue["status"]["name"] == "Approved"
    assert issue["issuetype"]["name"] == "Service Request"
    assert [c["name"] for c in issue["components"]] == ["credit-model"]


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ({"issueTypes": [{"name": "Bug"}]}, "issueTypes[0].name: issue type 'Bug' exists already"),
        ({"issueTypes": [{"description": "x"}]}, "issueTypes[0]: missing required field 'name'"),
        ({"addProjects": [{"key": "OPS"}]}, "addProjects[0].key: project 'OPS' exists already"),
        ({"addProjects": [{"key": "X", "issueTypes": ["Saga"]}]}, "addProjects[0].issueTypes"),
    ],
)
def test_bad_additions_name_the_field(seed: dict[str, object], message: str) -> None:
    with pytest.raises(SeedError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Emulator(seed=seed)
