"""Issue links made by an issue's own create or edit (`update.issuelinks`), and the
issuelink_created / issuelink_deleted deliveries, both flavours."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emu_support import create

from jira_emulator import Emulator
from jira_emulator.render_issue import IssueRenderer

FLAVOURS = [("cloud", "3"), ("datacenter", "2")]
LINK_EVENTS = ["issuelink_created", "issuelink_deleted"]
HOOKS = {"webhooks": [{"url": "http://hooks.test/j", "events": LINK_EVENTS}]}
ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."


def _add(side: str, key: str, link_type: str = "Blocks") -> dict[str, Any]:
    return {"issuelinks": [{"add": {"type": {"name": link_type}, side: {"key": key}}}]}


def _links(emu: Emulator, key: str) -> list[tuple[str, str, str]]:
    """(type, side, other key) of each link on the issue, as its `issuelinks` field shows it."""
    rendered = IssueRenderer(emu.state, "2").all_fields(emu.issue(key))["issuelinks"]
    return [
        (link["type"]["name"], side, link[side]["key"])
        for link in rendered
        for side in ("inwardIssue", "outwardIssue")
        if side in link
    ]


# (update on the create of OPS-2, expected status, expected errors, links of OPS-2, of OPS-1)
CREATES: list[tuple[dict[str, Any], int, dict[str, str], list[Any], list[Any]]] = [
    (_add("outwardIssue", "OPS-1"), 201, {},
     [("Blocks", "outwardIssue", "OPS-1")], [("Blocks", "inwardIssue", "OPS-2")]),
    (_add("inwardIssue", "OPS-1"), 201, {},
     [("Blocks", "inwardIssue", "OPS-1")], [("Blocks", "outwardIssue", "OPS-2")]),
    (_add("outwardIssue", "OPS-1", "relates to"), 201, {},  # by its outward description
     [("Relates", "outwardIssue", "OPS-1")], [("Relates", "inwardIssue", "OPS-2")]),
    (_add("outwardIssue", "OPS-1", "Nope"), 400,
     {"issuelinks": "No issue link type with name 'Nope' found."}, [], []),
    (_add("outwardIssue", "OPS-404"), 400, {"issuelinks": ISSUE_NOT_FOUND}, [], []),
    ({"issuelinks": [{"set": []}]}, 400,
     {"issuelinks": "Operation must be an object with 'add' (issue links are only added)"}, [], []),
]  # fmt: skip


@pytest.mark.parametrize(("flavour", "api"), FLAVOURS)
@pytest.mark.parametrize(("update", "status", "errors", "new_links", "old_links"), CREATES)
async def test_links_on_create(
    flavour: str, api: str, update: dict[str, Any], status: int, errors: dict[str, str],
    new_links: list[Any], old_links: list[Any],
) -> None:  # fmt: skip
    emu = Emulator(flavor=flavour)
    async with emu.client() as client:
        await create(client, api=api)
        fields = {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "new"}
        answer = await client.post(
            f"/rest/api/{api}/issue", json={"fields": fields, "update": update}
        )
    assert answer.status_code == status
    if status == 400:
        assert answer.json() == {"errorMessages": [], "errors": errors}
        assert [i.key for i in emu.state.issues.values()] == ["OPS-1"]
    else:
        assert _links(emu, "OPS-2") == new_links
    assert _links(emu, "OPS-1") == old_links


async def test_issuelinks_must_be_on_the_screen() -> None:
    seed = {"projects": [{"key": "OPS", "screens": {"default": ["summary", "labels"]}}]}
    emu = Emulator(flavor="datacenter", seed=seed)
    async with emu.client() as client:
        await create(client, api="2")
        fields = {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "new"}
        answer = await client.post(
            "/rest/api/2/issue", json={"fields": fields, "update": _add("outwardIssue", "OPS-1")}
        )
    assert answer.json()["errors"] == {
        "issuelinks": "Field 'issuelinks' cannot be set. It is not on the appropriate screen, "
        "or unknown."
    }
    assert emu.state.links == {}


@pytest.mark.parametrize(("flavour", "api"), FLAVOURS)
async def test_link_deliveries_from_edit_issue_link_and_delete(flavour: str, api: str) -> None:
    emu = Emulator(
        flavor=flavour,
        seed=HOOKS,
        webhook_transport=httpx.MockTransport(lambda _: httpx.Response(200)),
    )
    async with emu.client() as client:
        await create(client, api=api)
        await create(client, api=api)
        edit = {"update": _add("outwardIssue", "OPS-2")}
        for _ in range(2):  # the same link twice: one link, one delivery
            assert (await client.put(f"/rest/api/{api}/issue/OPS-1", json=edit)).status_code == 204
        same = {
            "type": {"name": "Blocks"},
            "inwardIssue": {"key": "OPS-1"},
            "outwardIssue": {"key": "OPS-2"},
        }
        assert (await client.post(f"/rest/api/{api}/issueLink", json=same)).status_code == 201
        assert _links(emu, "OPS-1") == [("Blocks", "outwardIssue", "OPS-2")]
        [link_id] = emu.state.links
        assert (await client.delete(f"/rest/api/{api}/issueLink/{link_id}")).status_code == 204
    payloads = [d.payload for d in await emu.drain_webhooks()]
    issue_link = {
        "id": int(link_id),
        "sourceIssueId": emu.issue("OPS-1").id,
        "destinationIssueId": emu.issue("OPS-2").id,
        "issueLinkType": {
            "id": 10000,
            "name": "Blocks",
            "outwardName": "blocks",
            "inwardName": "is blocked by",
            "isSubTaskLinkType": False,
            "isSystemLinkType": False,
        },
        "systemLink": False,
    }
    assert [(p["webhookEvent"], p["issueLink"]) for p in payloads] == [
        ("issuelink_created", issue_link),
        ("issuelink_deleted", issue_link),
    ]
    assert all(set(p) == {"timestamp", "webhookEvent", "issueLink"} for p in payloads)
