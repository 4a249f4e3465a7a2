"""/readyz and /metrics show the fleet as the database has it: each process's role and
heartbeat, the backlog's oldest pending job (the real stack in process, a virtual clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from api_harness import open_api

from ticketbridge import bootstrap
from ticketbridge.config.schema import Config
from ticketbridge.domain import JobKind, Ticket, TicketStatus
from ticketbridge.domain.records import NewJob

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def test_readyz_and_metrics_show_each_process_and_the_oldest_pending_job(
    tmp_path: Path,
) -> None:
    now = [T0]
    async with open_api(tmp_path, Config(), clock=lambda: now[0]) as api:
        beating = bootstrap.heartbeat(api.container, "worker")
        await beating.beat()
        async with api.container.database.unit_of_work() as uow:
            (ticket,) = await uow.tickets.insert_many(
                [Ticket("fp", 1, "OPS", TicketStatus.PENDING, T0, T0)]
            )
            await uow.outbox.enqueue([NewJob(JobKind.COMMENT, "fp", ticket.id or 0, {})], T0)
            await uow.commit()
        now[0] = T0 + timedelta(seconds=42)

        ready = (await api.client.get("/readyz")).json()
        checks = {c["name"]: c["detail"] for c in ready["checks"]}
        assert checks["processes"] == f"worker {beating.process.name} beat 42s ago"
        assert checks["backlog"] == "oldest pending job queued 42s ago"

        metrics = (await api.client.get("/metrics", headers=api.auth("read"))).text
        name = beating.process.name
        assert (
            f'ticketbridge_process_heartbeat_age_seconds{{process="{name}",role="worker"}} 42.0'
            in metrics
        )
        assert "ticketbridge_outbox_oldest_pending_age_seconds 42.0" in metrics
