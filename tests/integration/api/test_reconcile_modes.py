"""`sync.mode` and `sync.reconcile_every`: whether and how often reconcile runs by itself, as
one of the scheduler's periodic jobs (issue 15 item 5: one process at a time runs it)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from api_harness import open_api
from pipeline_harness import FakeClock
from sync_harness import BASE, SECRET, deliveries, encoded, issue_event, signed

from jira_emulator import Emulator
from ticketbridge import bootstrap
from ticketbridge.bootstrap import load_config
from ticketbridge.config.schema import Config, SyncConfig
from ticketbridge.errors import ConfigError
from ticketbridge.services.periodic import ScheduleStatus

SECOND = timedelta(seconds=1)
SEARCH = "POST /rest/api/3/search/jql"  # one per reconcile run that has tickets to look at


@pytest.mark.parametrize(
    ("yaml", "every"),
    [
        ("", timedelta(minutes=5)),
        ("sync: {mode: poll, reconcile_every: 30s}\n", timedelta(seconds=30)),
        ("sync: {mode: both, reconcile_every: 1h}\n", timedelta(hours=1)),
        ("sync: {mode: webhook}\n", None),
    ],
)
async def test_the_mode_says_whether_reconcile_runs_by_itself(
    tmp_path: Path, yaml: str, every: timedelta | None
) -> None:
    clock = FakeClock()
    config = load_config(text=yaml, env={})
    async with open_api(tmp_path, config, workers=1, clock=clock) as api:
        scheduler = api.container.scheduler
        assert scheduler is not None
        assert ("reconcile" in await scheduler.run_due()) == (every is not None)  # due at once
        if every is not None:
            clock.now += every - SECOND
            assert "reconcile" not in await scheduler.run_due()
            clock.now += SECOND
            assert "reconcile" in await scheduler.run_due()
        rows = {
            row.name: row
            for row in await ScheduleStatus(api.container.database.unit_of_work).rows()
        }
    if every is None:
        assert "reconcile" not in rows
    else:
        assert rows["reconcile"].runs == 2
        assert rows["reconcile"].last_outcome == "no Jira configured: nothing to reconcile"


def test_an_unknown_mode_is_refused_naming_it() -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(text="sync: {mode: sometimes}\n", env={})
    assert [p.path for p in refused.value.problems] == ["sync.mode"]


async def test_without_workers_nothing_runs_by_itself(tmp_path: Path) -> None:
    async with open_api(tmp_path, Config()) as api:
        assert api.container.scheduler is None


def _with_jira() -> Config:
    jira = {
        "url": "http://jira.test",
        "auth": {"type": "token", "email": "admin@example.com", "api_token": "emulator-token"},
        "webhook": {"secret": SECRET},
    }
    return Config.model_validate({"jira": jira, "sync": {"reconcile_every": "10m"}})


async def test_two_processes_reconcile_once_per_period_between_them(tmp_path: Path) -> None:
    emu, clock, config = Emulator("cloud"), FakeClock(), _with_jira()
    async with open_api(tmp_path, config, workers=1, transport=emu.transport(), clock=clock) as api:
        alert = {"source": "generic", "id": "a-1", "title": "t", "severity": "high"}
        answer = await api.client.post("/v1/alerts", json=[alert], headers=api.auth("ingest"))
        assert answer.status_code == 202, answer.text
        await api.drain()  # a ticket: something for reconcile to look at
        other = bootstrap.open_container(  # a second process: its own database connection
            api.container.settings, config, workers=1, jira_transport=emu.transport(), clock=clock
        )
        async with other as second:
            one, two = api.container.scheduler, second.scheduler
            assert one is not None
            assert two is not None
            assert one.owner != two.owner
            emu.requests.clear()
            for _ in range(3):  # three rounds each, at the same moment
                await asyncio.gather(one.run_due(), two.run_due())
            assert [r.route for r in emu.requests].count(SEARCH) == 1
            clock.now += config.sync.reconcile_every
            for _ in range(3):
                await asyncio.gather(one.run_due(), two.run_due())
            assert [r.route for r in emu.requests].count(SEARCH) == 2


@pytest.mark.parametrize(("mode", "taken"), [("poll", False), ("both", True), ("webhook", True)])
async def test_poll_mode_takes_no_delivery(tmp_path: Path, mode: str, taken: bool) -> None:
    config = _with_jira().model_copy(update={"sync": SyncConfig(mode=mode)})
    async with open_api(tmp_path, config) as api:
        raw = encoded(issue_event("OPS-1", at=BASE, category="done"))
        answer = await api.client.post("/v1/jira/webhook", content=raw, headers=signed(raw, "d-1"))
        assert answer.status_code == (200 if taken else 404), answer.text
        if not taken:
            assert answer.json()["error"] == "webhooks_off"
            assert [p["path"] for p in answer.json()["problems"]] == ["sync.mode"]
        assert len(await deliveries(api)) == (1 if taken else 0)
