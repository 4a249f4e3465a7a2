"""Two Jira sites in one deployment (issue 18, item 4): a Cloud and a Data Center emulator over
real HTTP, `jira.sites` naming both, a route sending to each, on SQLite and PostgreSQL. Every
alert becomes exactly one issue on its route's site — also when each site loses the answer to a
create it made — both sites hand out the same keys (OPS-1 on each), the API shows every ticket
with its issue, and a site that is down holds back only its own writes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_harness import Api, open_api
from pipeline_harness import FakeClock
from sync_harness import alert_state, encoded, issue_event, signature
from typer.testing import CliRunner

from jira_emulator import Emulator
from support.postgres import database_url, postgres_server
from support.served_emulator import served
from ticketbridge.cli import app
from ticketbridge.config.schema import Config
from ticketbridge.domain import JobState

__all__ = ["database_url", "postgres_server"]

CLOUD_AUTH = {"type": "token", "email": "admin@example.com", "api_token": "emulator-token"}
DC_AUTH = {"type": "pat", "token": "emulator-pat"}
CLOUD_SECRET, DC_SECRET = "cloud-webhook-secret", "dc-webhook-secret"


@pytest.fixture
def cloud() -> Iterator[Emulator]:
    with served("cloud") as emulator:
        yield emulator


@pytest.fixture
def datacenter() -> Iterator[Emulator]:
    with served("datacenter") as emulator:
        yield emulator


def _site(emulator: Emulator, auth: dict[str, str]) -> dict[str, Any]:
    return {
        "flavor": emulator.flavor,
        "url": emulator.base_url,
        "auth": auth,
        "allow_private": True,
    }


def _config_data(cloud: Emulator, datacenter: Emulator) -> dict[str, Any]:
    sites = {
        "cloud": _site(cloud, CLOUD_AUTH) | {"webhook": {"secret": CLOUD_SECRET}},
        "dc": _site(datacenter, DC_AUTH) | {"webhook": {"secret": DC_SECRET}},
    }
    return {
        "jira": {"sites": sites},
        "defaults": {"project": "OPS", "min_severity": "info"},
        "routes": [{"name": "soc", "when": 'kind == "intrusion"', "site": "dc"}],
    }


def _config(cloud: Emulator, datacenter: Emulator) -> Config:
    return Config.model_validate(_config_data(cloud, datacenter))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(now=datetime.now(UTC))  # the emulators' issues are dated by the wall clock


@pytest.fixture
async def api(
    tmp_path: Path, database_url: str, cloud: Emulator, datacenter: Emulator, clock: FakeClock
) -> AsyncIterator[Api]:
    config = _config(cloud, datacenter)
    opened = open_api(tmp_path, config, workers=1, database_url=database_url, clock=clock)
    async with opened as handle:
        yield handle


def _alert(n: int, kind: str) -> dict[str, str]:
    return {
        "source": "generic",
        "id": f"{kind}-{n}",
        "kind": kind,
        "title": f"{kind} {n}",
        "severity": "high",
        "fingerprint": f"{kind}-fp-{n}",
    }


def _summaries(emulator: Emulator) -> dict[str, str]:
    return {issue.key: issue.fields["summary"] for issue in emulator.state.issues.values()}


async def _send(api: Api, alerts: list[dict[str, str]]) -> None:
    response = await api.client.post("/v1/alerts", json=alerts, headers=api.auth("ingest"))
    assert response.status_code == 202, response.text
    await api.drain()


async def test_each_route_writes_exactly_once_to_its_own_site(
    api: Api, cloud: Emulator, datacenter: Emulator
) -> None:
    cloud.faults.add(
        method="POST", path="/rest/api/3/issue/bulk", kind="drop_after_commit", count=1
    )
    datacenter.faults.add(
        method="POST", path="/rest/api/2/issue/bulk", kind="drop_after_commit", count=1
    )
    alerts = [_alert(n, kind) for n in (1, 2, 3) for kind in ("policy_violation", "intrusion")]
    await _send(api, alerts)
    await _send(api, alerts)  # sent again: repeats, no second issue anywhere
    await _send(api, [alerts[0] | {"id": "again-1"}, alerts[1] | {"id": "again-2"}])

    assert sorted(_summaries(cloud).values()) == [f"[high] policy_violation {n}" for n in (1, 2, 3)]
    assert sorted(_summaries(datacenter).values()) == [f"[high] intrusion {n}" for n in (1, 2, 3)]
    assert set(_summaries(cloud)) == set(_summaries(datacenter)) == {"OPS-1", "OPS-2", "OPS-3"}
    tickets = (await api.client.get("/v1/tickets", headers=api.auth("read"))).json()["items"]
    urls = sorted(t["ticket"]["url"] for t in tickets)
    assert urls == sorted(
        f"{emulator.base_url}/browse/OPS-{n}" for emulator in (cloud, datacenter) for n in (1, 2, 3)
    )


async def test_a_site_that_is_down_holds_back_only_its_own_writes(
    api: Api, cloud: Emulator, datacenter: Emulator
) -> None:
    datacenter.faults.add(kind="status", status=503)
    await _send(api, [_alert(1, "policy_violation"), _alert(1, "intrusion")])
    assert list(_summaries(cloud).values()) == ["[high] policy_violation 1"]
    assert _summaries(datacenter) == {}
    [waiting] = await api.container.outbox.jobs(state=JobState.PENDING)
    assert await api.container.outbox.backlog_by_site() == {"dc": 1}
    data = _config_data(cloud, datacenter)
    status = await asyncio.to_thread(_cli_json, api, data, "status")
    assert (status["backlog_by_site"], status["unconfigured_sites"]) == ({"dc": 1}, [])
    dropped = await asyncio.to_thread(_cli_json, api, _without(data, "dc"), "status")
    assert (dropped["backlog_by_site"], dropped["unconfigured_sites"]) == ({"dc": 1}, ["dc"])
    datacenter.faults.clear()
    await api.container.outbox.retry(waiting.id)  # due now, not after its backoff
    await api.drain()
    assert list(_summaries(datacenter).values()) == ["[high] intrusion 1"]
    assert list(_summaries(cloud).values()) == ["[high] policy_violation 1"]


def _cli_json(api: Api, data: dict[str, Any], *args: str) -> dict[str, Any]:
    """`ticketbridge <args> --json` over the test's database, with `data` as its
    ticketbridge.yaml (JSON is YAML)."""
    settings = api.container.settings
    path = settings.data_dir / "ticketbridge.yaml"
    path.write_text(json.dumps(data))
    env = {
        "TICKETBRIDGE_DATABASE_URL": settings.database_url,
        "TICKETBRIDGE_DATA_DIR": str(settings.data_dir),
        "TICKETBRIDGE_CONFIG": str(path),
    }
    result = CliRunner().invoke(app, [*args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def _without(data: dict[str, Any], site: str) -> dict[str, Any]:
    """The configuration with `site` taken out of the file (and its route)."""
    sites = {name: s for name, s in data["jira"]["sites"].items() if name != site}
    routes = [r for r in data["routes"] if r.get("site") != site]
    return data | {"jira": {"sites": sites}, "routes": routes}


async def _done_in_the_data_center(datacenter: Emulator, key: str) -> None:
    """A person moves the Data Center's issue `key` to Done (no webhook tells us)."""
    pat = {"Authorization": "Bearer emulator-pat"}
    async with httpx.AsyncClient(base_url=f"{datacenter.base_url}/rest/api/2", headers=pat) as jira:
        moved = await jira.post(f"/issue/{key}/transitions", json={"transition": {"id": "31"}})
        assert moved.status_code == 204, moved.text


async def test_each_sites_changes_come_back_by_its_own_reconcile(
    api: Api, cloud: Emulator, datacenter: Emulator, clock: FakeClock
) -> None:
    await _send(api, [_alert(1, "policy_violation"), _alert(1, "intrusion")])
    scheduler = api.container.scheduler
    assert scheduler is not None
    assert {"reconcile", "reconcile:dc"} <= set(scheduler.names)
    await scheduler.run_due()  # each site's first run: where it stands
    await _done_in_the_data_center(datacenter, "OPS-1")
    clock.advance(minutes=6)  # both reconciles are due again
    await scheduler.run_due()
    assert await alert_state(api, "intrusion-1") == "resolved"
    assert await alert_state(api, "policy_violation-1") == "ticketed"  # cloud's OPS-1: open


async def test_each_sites_webhook_takes_its_own_secret_and_changes_its_own_tickets(
    api: Api, cloud: Emulator, datacenter: Emulator
) -> None:
    await _send(api, [_alert(1, "policy_violation"), _alert(1, "intrusion")])
    [dc_issue] = datacenter.state.issues.values()
    done = issue_event("OPS-1", at=datetime.now(UTC) + timedelta(minutes=1), category="done")
    done["issue"]["id"] = dc_issue.id  # the Data Center's OPS-1 (cloud has one too)
    raw = encoded(done)

    def post(path: str, secret: str) -> Awaitable[httpx.Response]:
        headers = {"content-type": "application/json", "x-hub-signature": signature(raw, secret)}
        return api.client.post(path, content=raw, headers=headers)

    assert (await post("/v1/jira/webhook", DC_SECRET)).status_code == 401  # not the default's
    assert (await post("/v1/jira/sites/nowhere/webhook", DC_SECRET)).status_code == 404
    assert (await post("/v1/jira/sites/dc/webhook", DC_SECRET)).status_code == 200
    loop = api.container.sync.sites["dc"].loop
    assert loop is not None
    assert await loop.run_until_idle() == 1
    assert await alert_state(api, "intrusion-1") == "resolved"
    assert await alert_state(api, "policy_violation-1") == "ticketed"  # cloud's OPS-1: open


async def test_reconcile_site_runs_that_sites_reconcile_from_the_command_line(
    api: Api, cloud: Emulator, datacenter: Emulator
) -> None:
    await _send(api, [_alert(1, "policy_violation"), _alert(1, "intrusion")])
    data = _config_data(cloud, datacenter)
    first = await asyncio.to_thread(_cli_json, api, data, "reconcile", "--site", "dc")
    assert datacenter.base_url in first["site"]  # the Data Center's own id for itself
    await _done_in_the_data_center(datacenter, "OPS-1")
    await asyncio.to_thread(_cli_json, api, data, "reconcile", "--site", "dc")
    assert await alert_state(api, "intrusion-1") == "resolved"
    assert await alert_state(api, "policy_violation-1") == "ticketed"
