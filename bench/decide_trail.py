"""The audit trail's cost on deciding: CPU per decided alert with the trail on, and off.

    PYTHONPATH=src taskset -c 1 .venv/bin/python bench/decide_trail.py [--alerts 10000] [--off]

SQLite in a temp dir; the alerts of `bench/pipeline_ingest.py` accepted in batches of 1,000,
then `decide_all` timed (`time.process_time`). `--off`: the decider's events neither built nor
recorded (`decision_record` and `SqlAuditLog.record_decisions` replaced in this process only), the
baseline the trail's cost is measured against.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

from pipeline_ingest import payloads

import ticketbridge.services.deciding as deciding
from ticketbridge.bootstrap import routing
from ticketbridge.bootstrap import run as run_command
from ticketbridge.config import Config
from ticketbridge.services import IngestService, PipelineSettings, parse_alerts
from ticketbridge.storage import Database
from ticketbridge.storage.audit_log import SqlAuditLog


async def run(alerts: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/bench.db")
        await db.upgrade()
        config = Config()
        router, _ = routing(config)
        service = IngestService(
            db.unit_of_work, router, PipelineSettings.from_config(config), lambda: datetime.now(UTC)
        )
        now = datetime.now(UTC)
        for start in range(0, alerts, 1000):
            await service.accept(parse_alerts(payloads(1000, 5000, start), now=now))
        cpu = time.process_time()
        decided = await service.decide_all()
        each = (time.process_time() - cpu) / max(decided, 1) * 1e6
        print(f"decide: {decided:,} alerts, {each:.1f} µs CPU each")
        await db.aclose()


def _off() -> None:
    def nothing(*_args: Any, **_kwargs: Any) -> list[Any]:
        return []

    deciding.decision_record = nothing  # type: ignore[assignment]
    SqlAuditLog.record_decisions = nothing  # type: ignore[assignment,method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--off", action="store_true")
    args = parser.parse_args()
    if args.off:
        _off()
    run_command(run(args.alerts))


if __name__ == "__main__":
    main()
