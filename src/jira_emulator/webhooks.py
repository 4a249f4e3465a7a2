"""Webhook deliveries: payloads shaped like the real ones in ../shared/realworld/webhooks/,
sent over HTTP with httpx in the background, signed when the webhook has a secret, retried as
Jira Cloud does (408, 409, 425, 429, 5xx, timeouts: 5 s to connect, 20 s to answer), concurrent
and in no promised order, and made worse on demand by a `DeliverySwitch`."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from random import Random
from typing import Any

import httpx

from jira_emulator.issuelinks import link_payload
from jira_emulator.model import State, Webhook
from jira_emulator.render_issue import IssueRenderer
from jira_emulator.service_core import Event

ISSUE_EVENTS = {"jira:issue_created", "jira:issue_updated", "jira:issue_deleted"}
COMMENT_EVENTS = {"comment_created", "comment_updated", "comment_deleted"}
SUMMARY_FIELDS = ["summary", "issuetype", "project", "assignee", "priority", "status"]
CLOUD_ISSUE_EVENT_OMITS = ("comment", "worklog")


RETRY_STATUSES = frozenset({408, 409, 425, 429})


def _retryable(status: int) -> bool:
    """Jira Cloud retries a delivery answered 408, 409, 425, 429 or 5xx (or not answered)."""
    return status in RETRY_STATUSES or status >= 500


@dataclass
class Delivery:
    """One HTTP attempt of one webhook delivery (kept for tests in `emu.deliveries`)."""

    webhook_id: int
    url: str
    event: str
    headers: dict[str, str]
    body: bytes
    attempt: int
    status: int | None = None
    error: str | None = None

    @property
    def payload(self) -> Any:
        return json.loads(self.body)


def sign(secret: str, body: bytes) -> str:
    """`X-Hub-Signature` value: `sha256=<hex HMAC-SHA256 of the raw body>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def build_payload(state: State, event: Event) -> dict[str, Any]:
    r = IssueRenderer(state, "2")
    issue = event.issue
    body: dict[str, Any] = {
        "timestamp": int(event.timestamp.timestamp() * 1000) if event.timestamp else 0,
        "webhookEvent": event.webhook_event,
    }
    if event.webhook_event in ISSUE_EVENTS:
        if event.webhook_event != "jira:issue_deleted":
            body["issue_event_type_name"] = event.event_type
        body["user"] = r.user_by_name(event.actor)
        rendered = r.issue(issue)
        rendered.pop("expand", None)
        if state.flavor == "cloud":
            # Cloud deliveries really carry this odd self link (see skill-sync/osbot samples).
            rendered["self"] = f"{state.base_url}/rest/api/2/{issue.id}"
            # Atlassian removed comments (and worklogs) from Cloud's jira:issue_* deliveries
            # (deprecation notice, ACJIRA-1225): the 2024 skill-sync deliveries carry neither.
            for absent in CLOUD_ISSUE_EVENT_OMITS:
                rendered["fields"].pop(absent, None)
        body["issue"] = rendered
        if event.changelog is not None:
            body["changelog"] = {
                "id": event.changelog.id,
                "items": [r.change_item(i) for i in event.changelog.items],
            }
    if event.link is not None:
        body["issueLink"] = link_payload(state, event.link)
    if event.comment is not None:
        body["comment"] = r.comment(issue, event.comment)
    if event.webhook_event in COMMENT_EVENTS and state.flavor == "cloud":
        fields = r.all_fields(issue)
        body["issue"] = r.issue_ref(issue) | {"fields": {k: fields[k] for k in SUMMARY_FIELDS}}
    return body


@dataclass
class DeliverySwitch:
    """How deliveries misbehave, beyond what Jira promises anyway (at least once, any order).

    `drop`: the chance a delivery is never sent (1.0: the emulator stops delivering);
    `duplicate`: extra copies of each delivery (same identifier, as a retry after a lost answer);
    `delay`: seconds before a delivery's first attempt, plus up to `jitter` more at random, so
    concurrent deliveries arrive in another order; `hold`: keep deliveries until `release`,
    which sends them in the order asked (`fifo`, `reverse`, `shuffle`).
    """

    drop: float = 0.0
    duplicate: int = 0
    delay: float = 0.0
    jitter: float = 0.0
    hold: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= float(self.drop) <= 1.0:
            raise ValueError("drop: must be a probability between 0 and 1")
        if not 0 <= int(self.duplicate) <= 10:
            raise ValueError("duplicate: must be 0 to 10 extra copies")
        if float(self.delay) < 0 or float(self.jitter) < 0:
            raise ValueError("delay, jitter: must not be negative")


RELEASE_ORDERS = ("fifo", "reverse", "shuffle")


@dataclass
class Outgoing:
    """One delivery of one event to one webhook: every attempt carries its identifier."""

    webhook: Webhook
    event: str
    payload: bytes
    identifier: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class WebhookDispatcher:
    """Matches events to registered webhooks and delivers them in background tasks, at most
    `concurrency` at a time (Jira Cloud: up to 20), retried as Jira Cloud documents."""

    state_of: Callable[[], State]
    matches_jql: Callable[[str, Any], bool]
    transport: httpx.AsyncBaseTransport | None = None
    timeout: httpx.Timeout = field(default_factory=lambda: httpx.Timeout(20.0, connect=5.0))
    max_attempts: int = 6  # the first try and up to five retries, as Jira Cloud documents
    backoff: float = 0.2
    concurrency: int = 20
    switch: DeliverySwitch = field(default_factory=DeliverySwitch)
    random: Random = field(default_factory=Random)
    deliveries: list[Delivery] = field(default_factory=list)
    held: list[Outgoing] = field(default_factory=list)
    dropped: list[Outgoing] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _pending: list[Outgoing] = field(default_factory=list)
    _slots: asyncio.Semaphore | None = None

    def on_event(self, event: Event) -> None:
        state = self.state_of()
        payload: bytes | None = None
        for webhook in list(state.webhooks.values()):
            if not webhook.enabled or event.webhook_event not in webhook.events:
                continue
            if webhook.jql and not self.matches_jql(webhook.jql, event.issue):
                continue
            if payload is None:
                payload = json.dumps(build_payload(state, event), ensure_ascii=False).encode()
            self._route(Outgoing(webhook, event.webhook_event, payload))
        self._start()

    def _route(self, outgoing: Outgoing) -> None:
        if self.switch.drop and self.random.random() < self.switch.drop:
            self.dropped.append(outgoing)
        elif self.switch.hold:
            self.held.append(outgoing)
        else:
            self._pending.extend([outgoing] * (1 + self.switch.duplicate))

    def release(self, order: str = "fifo") -> int:
        """Send the held deliveries (in `order`); how many were released."""
        if order not in RELEASE_ORDERS:
            raise ValueError(f"order: must be one of {', '.join(RELEASE_ORDERS)}")
        held, self.held = self.held, []
        if order == "reverse":
            held.reverse()
        elif order == "shuffle":
            self.random.shuffle(held)
        for outgoing in held:
            self._pending.extend([outgoing] * (1 + self.switch.duplicate))
        self._start()
        return len(held)

    def _start(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a sync caller): `drain()` sends them later
        while self._pending:
            task = loop.create_task(self._deliver(self._pending.pop(0)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def drain(self, wait: float = 10.0) -> list[Delivery]:
        """Wait until every queued delivery is done (tests); returns all deliveries so far."""
        self._start()
        while self._tasks:
            done, _ = await asyncio.wait(set(self._tasks), timeout=wait)
            if not done:
                break
        return self.deliveries

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def headers(self, outgoing: Outgoing, attempt: int = 1) -> dict[str, str]:
        """Lower-case, as Jira sends them; signed when the webhook has a secret (Cloud, and
        Data Center admin webhooks with a secret alike)."""
        headers = {
            "content-type": "application/json; charset=utf-8",
            "user-agent": "Atlassian Webhook HTTP Client",
            "x-atlassian-webhook-identifier": outgoing.identifier,
            "x-atlassian-webhook-flow": "Primary",
        }
        if attempt > 1:
            headers["x-atlassian-webhook-retry"] = str(attempt - 1)
        if outgoing.webhook.secret:
            headers["x-hub-signature"] = sign(outgoing.webhook.secret, outgoing.payload)
        return headers

    async def _deliver(self, outgoing: Outgoing) -> None:
        wait = self.switch.delay + self.random.uniform(0, self.switch.jitter)
        if wait:
            await asyncio.sleep(wait)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        async with (
            self._slots,
            httpx.AsyncClient(transport=self.transport, timeout=self.timeout) as client,
        ):
            for attempt in range(1, self.max_attempts + 1):
                if not await self._attempt(client, outgoing, attempt):
                    return
                if attempt < self.max_attempts:
                    await asyncio.sleep(self.backoff * 2 ** (attempt - 1))

    async def _attempt(self, client: httpx.AsyncClient, outgoing: Outgoing, attempt: int) -> bool:
        """One POST; True when Jira would try again (408, 409, 425, 429, 5xx, no answer)."""
        headers = self.headers(outgoing, attempt)
        webhook = outgoing.webhook
        delivery = Delivery(
            webhook.id, webhook.url, outgoing.event, headers, outgoing.payload, attempt
        )
        self.deliveries.append(delivery)
        try:
            response = await client.post(webhook.url, content=outgoing.payload, headers=headers)
        except httpx.HTTPError as exc:
            delivery.error = f"{type(exc).__name__}: {exc}"
            return True
        delivery.status = response.status_code
        return _retryable(response.status_code)
