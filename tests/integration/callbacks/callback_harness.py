"""A pipeline with callbacks under test: the pipeline harness (database, fake Jira, virtual
clock) plus the callback sender, whose network is an `httpx.MockTransport` receiver (the
boundary fake) and whose DNS is a table."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx
from pipeline_harness import Pipeline

from ticketbridge.domain import JobKind, JobState
from ticketbridge.domain.records import Job
from ticketbridge.services.callback_requests import CallbackTargets
from ticketbridge.services.callbacks import CallbackSender
from ticketbridge.services.outbox import OutboxProcessor
from ticketbridge.workers import Dispatcher

PUBLIC = "93.184.216.34"  # what every name of the DNS table resolves to unless said otherwise


@dataclass
class Receiver:
    """The sources' side: records every request that reached it; `answers` are popped per
    request (then 200); `down` refuses the connection, as a stopped server does."""

    answers: list[httpx.Response] = field(default_factory=list)
    down: bool = False
    requests: list[httpx.Request] = field(default_factory=list)
    connections: int = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.connections += 1
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        self.requests.append(request)
        return self.answers.pop(0) if self.answers else httpx.Response(200, json={"ok": True})


@dataclass
class Dns:
    names: dict[str, list[str]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.asked.append(host)
        return self.names.get(host, [PUBLIC])


def verify_signature(secret: str, header: str, body: bytes) -> bool:
    """The documented recipe (README "Callbacks, escalation and SLA"), written independently:
    split `t=…,v1=…`, HMAC-SHA256 of `<t>.<body>` with the secret, compare in constant time."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])


class CallbackPipeline:
    """`pipeline` with one dispatcher whose round runs the Jira jobs and the callbacks."""

    def __init__(self, pipeline: Pipeline, receiver: Receiver, dns: Dns | None = None) -> None:
        self.pipeline = pipeline
        self.receiver = receiver
        self.dns = dns or Dns()
        self.sender = CallbackSender(
            pipeline.db.unit_of_work,
            CallbackTargets(pipeline.config.callbacks),
            pipeline.worker,
            pipeline.settings.policy,
            pipeline.clock,
            "callbacks-1",
            escalation=pipeline.settings.escalation,
            slack_webhook=pipeline.config.sync.notify.slack_webhook,
            transport=httpx.MockTransport(receiver.handle),
            resolver=self.dns,
        )
        assert pipeline.router is not None
        assert pipeline.composer is not None
        processor = OutboxProcessor(
            pipeline.db.unit_of_work,
            pipeline.provider,
            pipeline.router,
            pipeline.composer,
            pipeline.settings,
            pipeline.worker,
            pipeline.clock,
            "jira-1",
        )
        self.dispatcher = Dispatcher(processor, pipeline.worker, senders=[self.sender])

    async def drain(self, rounds: int = 200, step_seconds: float = 5) -> None:
        """Run until no job is pending, moving the virtual clock past backoffs."""
        for _ in range(rounds):
            await self.dispatcher.run_until_idle()
            counts = await self.pipeline.admin.counts()
            if not counts[JobState.PENDING] and not counts[JobState.RUNNING]:
                return
            self.pipeline.clock.advance(seconds=step_seconds)
        raise AssertionError(f"outbox did not drain: {await self.pipeline.admin.counts()}")

    async def callback_jobs(self) -> list[Job]:
        async with self.pipeline.db.unit_of_work() as uow:
            jobs = await uow.outbox.list(state=None, limit=10_000)
        return [job for job in jobs if job.kind is JobKind.CALLBACK]
