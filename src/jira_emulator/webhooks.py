"""Webhook deliveries: payloads shaped like the real ones in ../shared/realworld/webhooks/,
sent over HTTP with httpx in the background, signed on Cloud, retried on failure."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
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
class WebhookDispatcher:
    """Matches events to registered webhooks and delivers them in background tasks."""

    state_of: Callable[[], State]
    matches_jql: Callable[[str, Any], bool]
    transport: httpx.AsyncBaseTransport | None = None
    timeout: float = 5.0
    max_attempts: int = 6  # the first try and up to five retries, as Jira Cloud documents
    backoff: float = 0.2
    deliveries: list[Delivery] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _pending: list[tuple[Webhook, str, bytes]] = field(default_factory=list)

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
            self._pending.append((webhook, event.webhook_event, payload))
        self._start()

    def _start(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a sync caller): `drain()` sends them later
        while self._pending:
            webhook, name, payload = self._pending.pop(0)
            task = loop.create_task(self._deliver(webhook, name, payload))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def drain(self, wait: float = 10.0) -> list[Delivery]:
        """Wait until every queued delivery is done (tests); returns all deliveries so far."""
        self._start()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=wait)
        return self.deliveries

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _deliver(self, webhook: Webhook, name: str, payload: bytes) -> None:
        identifier = str(uuid.uuid4())
        async with httpx.AsyncClient(transport=self.transport, timeout=self.timeout) as client:
            for attempt in range(1, self.max_attempts + 1):
                headers = {
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": "Atlassian Webhook HTTP Client",
                    "X-Atlassian-Webhook-Identifier": identifier,
                }
                if attempt > 1:
                    headers["X-Atlassian-Webhook-Retry"] = str(attempt - 1)
                if webhook.secret and self.state_of().flavor == "cloud":
                    headers["X-Hub-Signature"] = sign(webhook.secret, payload)
                delivery = Delivery(webhook.id, webhook.url, name, headers, payload, attempt)
                self.deliveries.append(delivery)
                try:
                    response = await client.post(webhook.url, content=payload, headers=headers)
                    delivery.status = response.status_code
                    if not _retryable(response.status_code):
                        return
                except httpx.HTTPError as exc:
                    delivery.error = f"{type(exc).__name__}: {exc}"
                if attempt < self.max_attempts:
                    await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
