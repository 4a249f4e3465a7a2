"""The trail and the state cannot disagree: two decider processes decide under load, one is
killed with SIGKILL mid-run; every alert the database holds as decided has exactly its two
events and every undecided one none, the log verifies gap-free, and after the rest is decided
the same holds for all."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from audit_crash_decider import spawn
from audit_harness import trail_for
from sqlalchemy import text

from ticketbridge.bootstrap import routing
from ticketbridge.config import Config
from ticketbridge.services import IngestService, PipelineSettings, parse_alerts
from ticketbridge.storage import Database

pytestmark = pytest.mark.slow
ALERTS = 1500


def _ingest_service(database: Database) -> IngestService:
    config = Config()
    return IngestService(
        database.unit_of_work,
        routing(config)[0],
        PipelineSettings.from_config(config),
        lambda: datetime.now(UTC),
    )


async def _decided(database: Database) -> set[str]:
    async with database.unit_of_work() as uow:
        rows = await uow._conn.execute(
            text("SELECT source, alert_id FROM alerts WHERE decision IS NOT NULL")
        )
        return {f"{source}/{alert_id}" for source, alert_id in rows}


async def _agree(database: Database, tmp_path: Path) -> int:
    """Each decided alert has ALERT_RECEIVED and ROUTED; nothing else has events; verified."""
    report = await trail_for(database, tmp_path).verifier.verify()
    assert report.ok, report.findings
    async with database.unit_of_work() as uow:
        rows = await uow._conn.execute(text("SELECT alert, type FROM audit_events"))
        events = Counter((alert, kind) for alert, kind in rows)
    decided = await _decided(database)
    assert {alert for alert, _ in events} == decided
    for alert in decided:
        assert events[(alert, "ALERT_RECEIVED")] == 1, alert
        assert events[(alert, "ROUTED")] == 1, alert
    return len(decided)


async def test_a_killed_decider_leaves_state_and_trail_agreeing(
    database: Database, tmp_path: Path
) -> None:
    service = _ingest_service(database)
    payloads = [
        {"source": "generic", "id": f"a-{n}", "title": f"t{n % 50}", "severity": "high"}
        for n in range(ALERTS)
    ]
    for first in range(0, ALERTS, 500):
        await service.accept(parse_alerts(payloads[first : first + 500], now=datetime.now(UTC)))
    deciders = [spawn(database.url) for _ in range(2)]
    try:
        for share, decider in zip((4, 2), deciders, strict=True):  # at a quarter, at half
            while len(await _decided(database)) < ALERTS // share:  # noqa: ASYNC110 - a state
                await asyncio.sleep(0.02)
            decider.send_signal(signal.SIGKILL)  # mid-round: its open transaction is lost whole
    finally:
        for decider in deciders:
            decider.kill()
            decider.wait(timeout=10)
    partly = await _agree(database, tmp_path)
    assert ALERTS // 2 <= partly < ALERTS
    await service.decide_all()
    assert await _agree(database, tmp_path) == ALERTS
