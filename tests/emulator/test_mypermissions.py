"""`GET /mypermissions` (the admin UI's Test Connection asks it): the emulator has no
permission schemes, so every user holds each project permission but ADMINISTER_PROJECTS, which
admins hold too; Jira's 400 for a missing or unknown key, 404 for an unknown project."""

from __future__ import annotations

from emu_support import CLOUD_AUTH, client_for

from jira_emulator import Emulator

_KEYS = "BROWSE_PROJECTS,CREATE_ISSUES,LINK_ISSUES,ADMINISTER_PROJECTS"


async def test_an_admin_holds_every_permission_and_a_user_all_but_administering() -> None:
    emu = Emulator(flavor="cloud")
    async with client_for(emu, CLOUD_AUTH) as client:
        admin = await client.get("/rest/api/3/mypermissions", params={"permissions": _KEYS})
    held = {k: v["havePermission"] for k, v in admin.json()["permissions"].items()}
    assert held == dict.fromkeys(_KEYS.split(","), True)
    async with client_for(Emulator(flavor="datacenter"), ("alice", "alice")) as client:
        user = await client.get(
            "/rest/api/2/mypermissions", params={"projectKey": "OPS", "permissions": _KEYS}
        )
    held = {k: v["havePermission"] for k, v in user.json()["permissions"].items()}
    assert held == {**dict.fromkeys(_KEYS.split(","), True), "ADMINISTER_PROJECTS": False}


async def test_bad_keys_and_unknown_projects_are_refused_as_jira_does() -> None:
    async with client_for(Emulator(flavor="cloud"), CLOUD_AUTH) as client:
        missing = await client.get("/rest/api/3/mypermissions")
        unknown = await client.get("/rest/api/3/mypermissions", params={"permissions": "FLY"})
        nowhere = await client.get(
            "/rest/api/3/mypermissions",
            params={"permissions": "CREATE_ISSUES", "projectKey": "NOPE"},
        )
    assert (missing.status_code, unknown.status_code, nowhere.status_code) == (400, 400, 404)
