"""Issues over REST: create, get, edit, delete, with Jira's refusals."""

from __future__ import annotations

import httpx
from emu_support import ADF_HELLO, create

from jira_emulator import Emulator


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
    assert sorted(i.key for i in cloud.state.issues.values()) == ["OPS-1", "OPS-2", "SEC-1"]


async def test_get_renders_adf_on_v3_and_text_on_v2(cloud_client: httpx.AsyncClient) -> None:
    await create(cloud_client, description=ADF_HELLO)
    v3 = (await cloud_client.get("/rest/api/3/issue/OPS-1")).json()
    v2 = (await cloud_client.get("/rest/api/2/issue/OPS-1")).json()
    assert v3["fields"]["description"] == ADF_HELLO
    assert v2["fields"]["description"] == "hello"
    assert v3["fields"]["status"]["statusCategory"]["key"] == "new"
