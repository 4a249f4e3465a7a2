"""One outbox worker process for the multi-process drills: the dispatcher loop over a real
database and a real (emulated) Jira over HTTP, until SIGTERM. (`ticketbridge worker` is the
product's way to run this; the drill needs nothing but the pipeline.)

    python worker_process.py DATABASE_URL JIRA_URL OWNER
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import UTC, datetime, timedelta

from pipeline_harness import config

from ticketbridge.bootstrap import routing
from ticketbridge.providers.jira import JiraProvider, api_token
from ticketbridge.services import OutboxProcessor, PipelineSettings, WorkerSettings
from ticketbridge.storage import Database
from ticketbridge.workers import Dispatcher

WORKER = WorkerSettings(
    lease=timedelta(seconds=10),
    settle_delay=timedelta(seconds=1),
    backoff_base=timedelta(milliseconds=200),
    backoff_max=timedelta(seconds=2),
    idle_sleep=timedelta(milliseconds=100),
)


def clock() -> datetime:
    return datetime.now(UTC)


async def main(database_url: str, jira_url: str, owner: str) -> None:
    db = Database(database_url)
    provider = JiraProvider(
        flavor="cloud",
        base_url=jira_url,
        auth=api_token("admin@example.com", "emulator-token"),
    )
    configured = config("defaults: {dedup: {digest_interval: 0s}}")
    settings = PipelineSettings.from_config(configured)
    router, composer = routing(configured)
    processor = OutboxProcessor(
        db.unit_of_work, provider, router, composer, settings, WORKER, clock, owner
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    try:
        await Dispatcher(processor, WORKER).run_forever(stop)
    finally:
        await provider.aclose()
        await db.aclose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
