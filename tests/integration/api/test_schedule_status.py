"""What the periodic jobs did is on /metrics and in `ticketbridge status` (issue 15 item 5):
both read the jobs' rows, so any process shows what any other ran."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from api_harness import open_api
from pipeline_harness import START, FakeClock
from typer.testing import CliRunner

from ticketbridge.bootstrap import upgrade_database
from ticketbridge.cli import app
from ticketbridge.config.schema import Config
from ticketbridge.services.periodic import Periodic
from ticketbridge.storage import Database
from ticketbridge.workers import Scheduler


async def _purged() -> str:
    return "3 done jobs older than 7 days deleted"


async def _failed() -> str:
    raise RuntimeError("Jira search refused the JQL")


EVERY = timedelta(minutes=10)
JOBS = [Periodic("purge_done_jobs", EVERY, _purged), Periodic("reconcile", EVERY, _failed)]


async def test_metrics_tell_each_periodic_jobs_last_run(tmp_path: Path) -> None:
    async with open_api(tmp_path, Config()) as api:
        await Scheduler(api.container.database.unit_of_work, JOBS, FakeClock(), "proc-1").run_due()
        answer = await api.client.get("/metrics", headers=api.auth("read"))
    text = answer.text
    assert re.search(
        r'^ticketbridge_schedule_last_run_ok\{job="purge_done_jobs"\} 1\.0$', text, re.M
    )
    assert re.search(r'^ticketbridge_schedule_last_run_ok\{job="reconcile"\} 0\.0$', text, re.M)
    stamp = re.search(
        r'^ticketbridge_schedule_last_run_timestamp_seconds\{job="reconcile"\} (\S+)$', text, re.M
    )
    assert stamp is not None
    assert float(stamp.group(1)) == START.timestamp()


async def _ran_once(url: str) -> None:
    await upgrade_database(url)
    database = Database(url)
    try:
        await Scheduler(database.unit_of_work, JOBS, FakeClock(), "proc-1").run_due()
    finally:
        await database.aclose()


def test_status_tells_each_periodic_jobs_last_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}"
    asyncio.run(_ran_once(url))
    monkeypatch.setenv("TICKETBRIDGE_DATABASE_URL", url)
    monkeypatch.setenv("TICKETBRIDGE_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    shown = CliRunner().invoke(app, ["status", "--json"])
    assert shown.exit_code == 0, shown.output
    rows = {row["name"]: row for row in json.loads(shown.output)["schedules"]}
    assert rows["purge_done_jobs"]["last_outcome"] == "3 done jobs older than 7 days deleted"
    assert rows["reconcile"]["last_ok"] is False
    assert rows["reconcile"]["last_outcome"] == "RuntimeError: Jira search refused the JQL"
    assert rows["reconcile"]["next_due_at"] == str(START + EVERY)
    human = CliRunner().invoke(app, ["status"])
    assert "reconcile  last run 2026-03-01T12:00:00+00:00 FAILED (1 runs)" in human.output
