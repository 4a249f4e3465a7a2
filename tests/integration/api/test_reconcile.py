"""Reconcile against the emulator served over real HTTP: what no webhook said is repaired from
Jira itself, in a few bulk requests, and the watermark moves only once it is applied."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from api_harness import Api, open_api
from sync_harness import alert_state

from jira_emulator import Emulator
from jira_emulator.defaults import DEFAULT_USERS
from support.served_emulator import served
from ticketbridge.config.schema import Config
from ticketbridge.errors import JiraError
from ticketbridge.storage.reconcile_marks import SqlReconcileStore

ZONE = "Pacific/Pago_Pago"  # UTC-11: a JQL date written in UTC would be read 11 hours late
ALICE = ("alice@example.com", "alice-token")  # a person, not our integration's account
CLOUD_SEED = {
    "users": [u | {"timeZone": ZONE} if u["name"] == "admin" else u for u in DEFAULT_USERS]
}


@pytest.fixture
def cloud() -> Iterator[Emulator]:
    with served("cloud", seed=CLOUD_SEED) as emulator:
        yield emulator


@pytest.fixture
def datacenter() -> Iterator[Emulator]:
    with served("datacenter") as emulator:
        yield emulator


def _config(emulator: Emulator) -> Config:
    if emulator.flavor == "cloud":
        auth: dict[str, str] = {
            "type": "token",
            "email": "admin@example.com",
            "api_token": "emulator-token",
        }
    else:
        auth = {"type": "pat", "token": "emulator-pat"}
    jira = {"flavor": emulator.flavor, "url": emulator.base_url, "auth": auth}
    return Config.model_validate({"jira": jira | {"allow_private": True}})


@pytest.fixture
async def api(tmp_path: Path, cloud: Emulator) -> AsyncIterator[Api]:
    async with open_api(tmp_path, _config(cloud), workers=1) as handle:
        yield handle


async def _alerts(api: Api, count: int) -> list[str]:
    ids = [f"a-{n}" for n in range(1, count + 1)]
    batch = [
        {"source": "generic", "id": i, "title": f"alert {i}", "severity": "high", "fingerprint": i}
        for i in ids
    ]
    response = await api.client.post("/v1/alerts", json=batch, headers=api.auth("ingest"))
    assert response.status_code == 202, response.text
    await api.drain()
    assert {await alert_state(api, i) for i in ids} == {"ticketed"}
    return ids


def _person(emulator: Emulator, auth: tuple[str, str] = ALICE) -> httpx.Client:
    api = "3" if emulator.flavor == "cloud" else "2"
    return httpx.Client(base_url=f"{emulator.base_url}/rest/api/{api}", auth=auth, timeout=10)


def _move(jira: httpx.Client, key: str, transition: str, **fields: Any) -> None:
    body: dict[str, Any] = {"transition": {"id": transition}}
    if fields:
        body["fields"] = fields
    answer = jira.post(f"/issue/{key}/transitions", json=body)
    assert answer.status_code == 204, answer.text


async def test_reconcile_repairs_what_no_webhook_said(api: Api, cloud: Emulator) -> None:
    ids = await _alerts(api, 3)
    assert api.container.reconcile is not None
    baseline = await api.container.reconcile.run_once()  # as at start: who and where we are
    assert baseline.swept
    with _person(cloud) as jira:
        _move(jira, "OPS-1", "31", resolution={"name": "False Positive"})
        _move(jira, "OPS-2", "11")
    with _person(cloud, ("admin@example.com", "emulator-token")) as admin:
        assert admin.delete("/issue/OPS-3").status_code == 204
    assert [await alert_state(api, i) for i in ids] == ["ticketed"] * 3  # no webhook came
    cloud.requests.clear()
    report = await api.container.reconcile.run_once(sweep=True)
    assert [await alert_state(api, i) for i in ids] == [
        "false_positive",
        "in_progress",
        "ticket_deleted",
    ]
    assert (report.changed, report.deleted) == (2, 1)
    assert sorted(r.route for r in cloud.requests) == [
        "GET /rest/api/3/serverInfo",  # Jira's clock: where the next run's window starts
        "POST /rest/api/3/changelog/bulkfetch",
        "POST /rest/api/3/issue/bulkfetch",  # the changed issues' fields
        "POST /rest/api/3/issue/bulkfetch",  # the existence sweep
        "POST /rest/api/3/search/jql",
    ]  # never one GET per issue
    assert report.requests == 5
    # the date is the API user's wall clock (UTC-11), to the minute, 2 minutes before
    assert report.since is not None
    local = (report.since - timedelta(minutes=2)).astimezone(ZoneInfo(ZONE))
    assert f'updated >= "{local:%Y-%m-%d %H:%M}"' in (report.jql or "")


async def test_a_second_run_reads_only_the_search(api: Api, cloud: Emulator) -> None:
    await _alerts(api, 2)
    with _person(cloud) as jira:
        _move(jira, "OPS-1", "11")
    assert api.container.reconcile is not None
    await api.container.reconcile.run_once()
    cloud.requests.clear()
    again = await api.container.reconcile.run_once()
    assert (again.changed, again.observed) == (0, [])  # each (issue, updated) once
    assert [r.route for r in cloud.requests] == [
        "GET /rest/api/3/serverInfo",
        "POST /rest/api/3/search/jql",
    ]
    with _person(cloud) as jira:
        _move(jira, "OPS-1", "21")
    later = await api.container.reconcile.run_once()
    assert [o.issue_key for o in later.observed] == ["OPS-1"]


async def test_the_watermark_moves_only_once_the_changes_are_applied(
    api: Api, cloud: Emulator
) -> None:
    """rekor-monitor saved its position before processing: a failure in between lost entries
    for good. Here a run that fails after the search leaves the mark where it was."""
    ids = await _alerts(api, 1)
    assert api.container.reconcile is not None
    await api.container.reconcile.run_once()
    store = SqlReconcileStore(api.container.database.unit_of_work)
    site = f"cloud:{cloud.cloud_id}"
    before = await store.load(site)
    assert before is not None
    with _person(cloud) as jira:
        _move(jira, "OPS-1", "31", resolution={"name": "Won't Fix"})
    cloud.faults.add("POST", "/rest/api/3/changelog/bulkfetch", kind="status", status=400)
    with pytest.raises(JiraError):
        await api.container.reconcile.run_once()
    assert await store.load(site) == before
    assert await alert_state(api, ids[0]) == "ticketed"
    cloud.faults.clear()
    await api.container.reconcile.run_once()
    assert await alert_state(api, ids[0]) == "accepted"
    after = await store.load(site)
    assert after is not None
    assert before.watermark is not None
    assert after.watermark is not None
    assert after.watermark > before.watermark


async def test_a_dry_run_reports_and_changes_nothing(api: Api, cloud: Emulator) -> None:
    ids = await _alerts(api, 1)
    with _person(cloud) as jira:
        _move(jira, "OPS-1", "11")
    assert api.container.reconcile is not None
    report = await api.container.reconcile.run_once(dry_run=True)
    assert [(o.issue_key, o.status_category) for o in report.observed] == [
        ("OPS-1", "indeterminate")
    ]
    assert await alert_state(api, ids[0]) == "ticketed"
    store = SqlReconcileStore(api.container.database.unit_of_work)
    assert await store.load(f"cloud:{cloud.cloud_id}") is None


async def test_only_the_sweep_notices_a_deletion(api: Api, cloud: Emulator) -> None:
    ids = await _alerts(api, 2)
    assert api.container.reconcile is not None
    first = await api.container.reconcile.run_once()
    assert first.swept  # the first run of a site sweeps; then once a day
    with _person(cloud, ("admin@example.com", "emulator-token")) as admin:
        assert admin.delete("/issue/OPS-2").status_code == 204
    unswept = await api.container.reconcile.run_once()
    assert not unswept.swept
    assert await alert_state(api, ids[1]) == "ticketed"  # search never shows a deletion
    swept = await api.container.reconcile.run_once(sweep=True)
    assert swept.deleted == 1
    assert [await alert_state(api, i) for i in ids] == ["ticketed", "ticket_deleted"]


async def test_data_center_searches_with_the_changelog(
    tmp_path: Path, datacenter: Emulator
) -> None:
    async with open_api(tmp_path, _config(datacenter), workers=1) as api:
        ids = await _alerts(api, 2)
        with _person(datacenter, ("alice", "alice")) as jira:
            _move(jira, "OPS-2", "31", resolution={"name": "False Positive"})
        assert api.container.reconcile is not None
        datacenter.requests.clear()
        report = await api.container.reconcile.run_once(sweep=False)
        assert [await alert_state(api, i) for i in ids] == ["ticketed", "false_positive"]
        sent = [r.route for r in datacenter.requests]
        assert sent.count("POST /rest/api/2/search") == 1
        assert [r.json.get("expand") for r in datacenter.requests if r.json] == [["changelog"]]
        # serverInfo (which site, then its clock), myself (the time zone), one search
        assert report.requests == 4
        assert sent.count("GET /rest/api/2/myself") == 2  # ours, and the echo guard's
        with _person(datacenter, ("admin", "admin")) as admin:
            assert admin.delete("/issue/OPS-1").status_code == 204
        swept = await api.container.reconcile.run_once(sweep=True)  # `id in (…)`, warn
        assert swept.deleted == 1
        assert [await alert_state(api, i) for i in ids] == ["ticket_deleted", "false_positive"]
