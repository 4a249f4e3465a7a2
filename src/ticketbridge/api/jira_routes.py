"""Two-way sync's HTTP side (SPEC §6): `POST /v1/jira/webhook` (Jira's deliveries) and
`GET /v1/jira/deliveries` (the delivery log).

The webhook authenticates on its headers first (`services.jira_webhook`), reads the body within
the intake limit (under `UnverifiedReads` while a signature is still to be checked), verifies
the signature over those raw bytes, stores and commits, and answers 200 — also for a retry of a
stored delivery and for one we will not be able to use (Jira never retries a 4xx: the event
would be lost). Only an unavailable store answers 503, which Jira retries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from ticketbridge.api.auth import Authenticator
from ticketbridge.api.bodies import MAX_INTAKE_BODY, UnverifiedReads, read_body
from ticketbridge.api.errors import error_response
from ticketbridge.api.params import Cursor, PageLimit
from ticketbridge.api.schemas import ErrorBody
from ticketbridge.domain.deliveries import JiraDelivery
from ticketbridge.errors import Problem
from ticketbridge.services.api_keys import Scope
from ticketbridge.services.jira_webhook import OpenedDelivery, Received
from ticketbridge.services.queries import Page


class WebhookIntake(Protocol):
    """`services.jira_webhook.JiraWebhookIntake`."""

    def open(self, headers: Any, query: Any) -> OpenedDelivery: ...

    async def receive(self, opened: OpenedDelivery, body: bytes) -> Received: ...


class Deliveries(Protocol):
    """`services.jira_deliveries.DeliveryLog`."""

    async def page(self, *, limit: int = 100, cursor: str | None = None) -> Page[JiraDelivery]: ...


@dataclass(frozen=True)
class JiraSync:
    """What `create_app` needs for two-way sync's routes."""

    intake: WebhookIntake
    deliveries: Deliveries
    taking: bool = True  # False with `sync.mode: poll`: reconcile alone reads Jira
    sites: Mapping[str, WebhookIntake] = field(default_factory=dict)  # the other sites' webhooks


SITE_WEBHOOK = "/v1/jira/sites/{site}/webhook"
"""Another Jira site's (`jira.sites`) webhook URL path."""


def site_webhook_path(site: str) -> str:
    """Where the site named `site` sends its webhooks (on this server)."""
    return SITE_WEBHOOK.format(site=site)


class WebhookReceipt(BaseModel):
    identifier: str
    duplicate: bool = Field(description="A retry of a delivery already stored: nothing new.")


class DeliveryOut(BaseModel):
    id: int
    identifier: str
    received_at: datetime
    retry: int
    flow: str | None
    signature: str = Field(description="How it authenticated: sha256 (…) or token.")
    event: str | None
    applied: bool
    applied_at: datetime | None
    outcome: str | None = Field(
        description="applied, unchanged, stale, echo, unknown_issue, ignored or rejected; "
        "null while not applied yet"
    )
    reason: str | None
    issue_key: str | None
    ticket_id: int | None
    alert: str | None = Field(description="source/id of the ticket's latest alert")
    attempts: int


class DeliveryList(BaseModel):
    items: list[DeliveryOut] = Field(description="Newest first.")
    next_cursor: str | None = None


def delivery_out(delivery: JiraDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id or 0,
        identifier=delivery.identifier,
        received_at=delivery.received_at,
        retry=delivery.retry,
        flow=delivery.flow,
        signature=delivery.signature,
        event=delivery.event,
        applied=delivery.applied,
        applied_at=delivery.applied_at,
        outcome=delivery.outcome.value if delivery.outcome else None,
        reason=delivery.reason,
        issue_key=delivery.issue_key,
        ticket_id=delivery.ticket_id,
        alert=delivery.alert,
        attempts=delivery.attempts,
    )


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody} for status in (401, 404, 413, 415, 503)
}
_READ_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody} for status in (401, 403, 422)
}


def jira_router(sync: JiraSync, auth: Authenticator, reads: UnverifiedReads) -> APIRouter:
    intake, log = sync.intake, sync.deliveries
    router = APIRouter(tags=["two-way sync"])

    @router.post(
        "/v1/jira/webhook",
        response_model=WebhookReceipt,
        responses=_ERRORS,
        summary="Jira webhook deliveries: stored, answered 200, applied asynchronously",
        description="Authenticated by `X-Hub-Signature: sha256=<hex HMAC of the raw body>` "
        "with `jira.webhook.secret`, or `?token=` equal to `jira.webhook.token` (Data "
        "Center). 401: nothing stored. Deduplicated on `X-Atlassian-Webhook-Identifier`.",
        max_body_size=MAX_INTAKE_BODY,
    )
    async def post_webhook(request: Request) -> JSONResponse:
        return await _received(sync, intake, request, reads)

    @router.post(
        SITE_WEBHOOK,
        response_model=WebhookReceipt,
        responses=_ERRORS,
        summary="Another Jira site's webhook deliveries (`jira.sites`), as /v1/jira/webhook",
        description="Authenticated with that site's `webhook.secret` or `webhook.token`; its "
        "deliveries are applied to that site's tickets only. 404: no such site.",
        max_body_size=MAX_INTAKE_BODY,
    )
    async def post_site_webhook(site: str, request: Request) -> JSONResponse:
        site_intake = sync.sites.get(site)
        if site_intake is None:  # nothing read: an unknown site costs nothing
            problem = Problem("site", f"no other Jira site is named {site[:64]!r}")
            return error_response(404, "unknown_site", "no such Jira site", [problem])
        return await _received(sync, site_intake, request, reads)

    @router.get(
        "/v1/jira/deliveries",
        response_model=DeliveryList,
        responses=_READ_ERRORS,
        dependencies=[Depends(auth.require(Scope.READ))],
        summary="The Jira delivery log, newest first",
    )
    async def list_deliveries(limit: PageLimit = 100, cursor: Cursor = None) -> DeliveryList:
        page = await log.page(limit=limit, cursor=cursor)
        return DeliveryList(
            items=[delivery_out(d) for d in page.items], next_cursor=page.next_cursor
        )

    return router


async def _received(
    sync: JiraSync, intake: WebhookIntake, request: Request, reads: UnverifiedReads
) -> JSONResponse:
    """A delivery authenticated, stored and acknowledged (see the module's docstring)."""
    if not sync.taking:  # nothing read, nothing stored: Jira's log shows the refusal
        return error_response(404, "webhooks_off", "deliveries are not taken", [_POLL])
    opened = intake.open(request.headers, request.query_params)
    body = await read_body(request, authenticated=opened.method is None, reads=reads)
    try:
        received = await intake.receive(opened, body)
    except SQLAlchemyError:  # the store is down: Jira retries a 5xx
        return error_response(
            503, "store_unavailable", "the store is unavailable; retry", headers=_RETRY
        )
    receipt = WebhookReceipt(identifier=received.identifier, duplicate=received.duplicate)
    return JSONResponse(receipt.model_dump(), status_code=200)


_RETRY = {"Retry-After": "5"}
_POLL = Problem(
    "sync.mode",
    "poll: reconcile reads Jira instead of deliveries; set both or webhook to take them",
)
