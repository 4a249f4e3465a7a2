"""A decider process for the crash drill: decides the pending alerts of DATABASE_URL in small
rounds, forever (until killed), each round's decisions and trail in one transaction.

    python audit_crash_decider.py DATABASE_URL
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime

from ticketbridge.bootstrap import routing
from ticketbridge.config import Config
from ticketbridge.services import IngestService, PipelineSettings
from ticketbridge.storage import Database


def spawn(database_url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, __file__, database_url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def decide_forever(url: str) -> None:
    database = Database(url)
    config = Config()
    service = IngestService(
        database.unit_of_work,
        routing(config)[0],
        PipelineSettings.from_config(config),
        lambda: datetime.now(UTC),
    )
    while True:
        await service.decider.decide_pending(7)
        # A pause between rounds keeps the whole run seconds long, so the drill's kills land
        # mid-run even when the machine is loaded and the test polls late.
        await asyncio.sleep(0.02)


if __name__ == "__main__":
    asyncio.run(decide_forever(sys.argv[1]))
