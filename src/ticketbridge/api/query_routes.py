"""Read and operate: alerts, tickets, the outbox (dead letters and retry)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from ticketbridge.api.auth import Authenticator
from ticketbridge.api.errors import error_response
from ticketbridge.api.params import Cursor, PageLimit, RowId, StoredKey, search_text
from ticketbridge.api.ports import ApiContainer
from ticketbridge.api.schemas import (
    AlertList,
    AlertView,
    ErrorBody,
    OutboxJobView,
    OutboxList,
    TicketList,
)
from ticketbridge.api.views import alert_body, job_body, listing, ticket_body
from ticketbridge.domain import AlertState, DecisionKind, JobState
from ticketbridge.services.api_keys import Scope
from ticketbridge.services.queries import PENDING, AlertFilter

_AUTH_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody},
    403: {"model": ErrorBody},
}
_NOT_FOUND: dict[int | str, dict[str, object]] = {404: {"model": ErrorBody}}
_BAD_QUERY: dict[int | str, dict[str, object]] = {422: {"model": ErrorBody}}


class SlaFilter(StrEnum):
    """`GET /v1/tickets?sla=`: what the SLA scan found."""

    AT_RISK = "at_risk"
    BREACHED = "breached"


class DecisionParam(StrEnum):
    """`?decision=`: a `DecisionKind`, or `pending` (accepted, not decided yet)."""

    PENDING = PENDING
    CREATE = DecisionKind.CREATE.value
    REPEAT = DecisionKind.REPEAT.value
    REOPEN = DecisionKind.REOPEN.value
    NEW_LINKED = DecisionKind.NEW_LINKED.value
    RESOLVE = DecisionKind.RESOLVE.value
    SUPPRESS = DecisionKind.SUPPRESS.value
    IGNORE = DecisionKind.IGNORE.value


def _decision(param: DecisionParam | None) -> DecisionKind | Literal["pending"] | None:
    if param is None:
        return None
    return "pending" if param is DecisionParam.PENDING else DecisionKind(param.value)


def query_router(container: ApiContainer, auth: Authenticator) -> APIRouter:
    router = APIRouter(responses=_AUTH_ERRORS)
    read = [Depends(auth.require(Scope.READ))]
    admin = [Depends(auth.require(Scope.ADMIN))]

    @router.get(
        "/v1/alerts",
        response_model=AlertList,
        tags=["alerts"],
        dependencies=read,
        responses=_BAD_QUERY,
        summary="Alerts, newest first, a page at a time (filters combine)",
    )
    async def list_alerts(
        status: Annotated[
            AlertState | None, Query(description="Only alerts in this state.")
        ] = None,
        source: Annotated[str | None, search_text("Only alerts of this source.")] = None,
        fingerprint: Annotated[str | None, search_text("Only alerts of this fingerprint.")] = None,
        decision: Annotated[
            DecisionParam | None,
            Query(description="Only alerts decided so; `pending`: not decided yet."),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500, description="At most this many.")] = 100,
        cursor: Cursor = None,
    ) -> AlertList:
        where = AlertFilter(source, fingerprint, status, _decision(decision))
        page = await container.alerts.page(limit=limit, cursor=cursor, where=where)
        return listing(AlertList, page, alert_body)

    @router.get(
        "/v1/alerts/{alert_id}",
        response_model=AlertView,
        tags=["alerts"],
        dependencies=read,
        responses={**_NOT_FOUND, **_BAD_QUERY},
        summary="One alert: state, decision and its reasons, ticket key and URL",
    )
    async def get_alert(
        alert_id: StoredKey,
        source: Annotated[str | None, search_text("When ids collide across sources.")] = None,
    ) -> object:
        view = await container.alerts.get(alert_id, source)
        if view is None:
            return error_response(404, "not_found", f"no alert {alert_id!r}")
        return alert_body(view)

    @router.get(
        "/v1/tickets",
        response_model=TicketList,
        tags=["tickets"],
        dependencies=read,
        responses=_BAD_QUERY,
        summary="Tickets (one per fingerprint and generation), newest first, a page at a time",
    )
    async def list_tickets(
        limit: PageLimit = 100,
        cursor: Cursor = None,
        sla: Annotated[
            SlaFilter | None, Query(description="Only tickets the SLA scan found so.")
        ] = None,
    ) -> TicketList:
        wanted = sla.value if sla is not None else None
        page = await container.alerts.ticket_page(limit=limit, cursor=cursor, sla=wanted)
        return listing(TicketList, page, ticket_body)

    @router.get(
        "/v1/outbox",
        response_model=OutboxList,
        tags=["outbox"],
        dependencies=read,
        responses=_BAD_QUERY,
        summary="Outbox jobs, oldest first; ?state=dead: the dead letters with Jira's messages",
    )
    async def list_outbox(
        state: Annotated[
            JobState | None, Query(description="pending, running, done, dead; absent: any.")
        ] = None,
        limit: PageLimit = 100,
        cursor: Cursor = None,
    ) -> OutboxList:
        page = await container.outbox.page(state=state, limit=limit, cursor=cursor)
        return listing(OutboxList, page, job_body)

    @router.post(
        "/v1/outbox/{job_id}/retry",
        response_model=OutboxJobView,
        tags=["outbox"],
        dependencies=admin,
        responses={**_NOT_FOUND, **_BAD_QUERY},
        summary="Make a dead job due again (after fixing what Jira refused)",
    )
    async def retry_job(job_id: RowId) -> object:
        view = await container.outbox.retry(job_id)
        if view is None:
            return error_response(404, "not_found", f"no dead outbox job {job_id}")
        return job_body(view)

    return router
