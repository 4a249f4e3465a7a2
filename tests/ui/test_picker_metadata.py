"""What the Defaults page's pickers offer, read from the in-process emulator of each flavour:
users kept by the id Jira references (accountId on Cloud, username on Data Center) and shown by
display name, the project's components, the labels in use (Cloud only: Data Center has no
label list), and the custom fields by name."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from jira_emulator import Emulator
from ticketbridge.bootstrap.ui_metadata import assignable_users, read_metadata
from ticketbridge.providers.jira import JiraProvider, api_token, personal_access_token
from ticketbridge.providers.jira.errors import Where
from ticketbridge.ui.ports import JiraUser

SEED = {"addProjects": [{"key": "WEB", "name": "Web", "components": ["api", "frontend"]}]}


@pytest.fixture(params=["cloud", "datacenter"])
async def site(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Emulator, JiraProvider]]:
    flavor = request.param
    emu = Emulator(flavor=flavor, seed=SEED)
    auth = (
        api_token("admin@example.com", "emulator-token")
        if flavor == "cloud"
        else personal_access_token("emulator-pat")
    )
    provider = JiraProvider(
        flavor=flavor, base_url=emu.base_url, auth=auth, transport=emu.transport()
    )
    yield emu, provider
    await provider.aclose()


def _id(emu: Emulator, name: str) -> str:
    user = emu.state.users[name]
    return user.account_id if emu.state.flavor == "cloud" else user.name


async def test_users_are_searched_as_typed_and_kept_by_the_id_jira_references(
    site: tuple[Emulator, JiraProvider],
) -> None:
    emu, provider = site
    found = await assignable_users(provider, "WEB", "bo")
    assert found == [JiraUser(_id(emu, "bob"), "Bob Builder")]
    metadata = await read_metadata(provider, "WEB", [_id(emu, "bob"), "gone"])
    assert metadata.people == {_id(emu, "bob"): "Bob Builder", "gone": "gone"}  # unknown: as is


async def test_the_projects_components_and_on_cloud_the_labels_in_use(
    site: tuple[Emulator, JiraProvider],
) -> None:
    emu, provider = site
    fields = {"project": {"key": "WEB"}, "issuetype": {"name": "Task"}, "summary": "x"}
    created = Where("POST", "/issue", idempotent=False)
    await provider.client.create_issue({"fields": fields | {"labels": ["pii"]}}, created)
    metadata = await read_metadata(provider, "WEB", [])
    assert metadata.error is None
    assert metadata.components == ["api", "frontend"]
    assert metadata.labels == (["pii"] if emu.state.flavor == "cloud" else [])
    assert (await read_metadata(provider, "OPS", [])).components == []
    assert ("customfield_10010", "Escalation ID") in metadata.fields  # by name, kept by id
    assert "summary" not in dict(metadata.fields)  # system fields have pickers of their own
