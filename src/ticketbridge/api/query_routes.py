"""Read and operate: alerts, tickets, the outbox (dead letters and retry)."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from fastapi import APIRouter, Depends, Query

from ticketbridge.api.auth import Authenticator, Scope
from ticketbridge.api.errors import error_response
from ticketbridge.api.ports import ApiContainer
from ticketbridge.api.schemas import (
    AlertList,
    AlertView,
    ErrorBody,
    OutboxJobView,
    OutboxList,
    TicketList,
)

__all__ = ["ALERT_STATES", "JOB_STATES", "query_router"]

AlertState = Literal[
    "open",
    "ticketed",
    "in_progress",
    "resolved",
    "false_positive",
    "accepted",
    "suppressed",
    "ignored",
    "dead",
]
JobState = Literal["pending", "running", "done", "dead"]
ALERT_STATES: tuple[str, ...] = get_args(AlertState)
JOB_STATES: tuple[str, ...] = get_args(JobState)

Limit = Annotated[int, Query(ge=1, le=1000, description="Page size.")]
After = Annotated[str | None, Query(description="The `next_after` of the previous page.")]
_AUTH_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody},
    403: {"model": ErrorBody},
}


def query_router(container: ApiContainer, auth: Authenticator) -> APIRouter:
    router = APIRouter(responses=_AUTH_ERRORS)
    read = [Depends(auth.require(Scope.READ))]
    admin = [Depends(auth.require(Scope.ADMIN))]

    @router.get("/v1/alerts", response_model=AlertList, tags=["alerts"], dependencies=read)
    async def list_alerts(
        status: Annotated[AlertState | None, Query(description="Filter by alert state.")] = None,
        limit: Limit = 100,
        after: After = None,
    ) -> AlertList:
        items = list(await container.alerts.list_alerts(state=status, limit=limit, after=after))
        return AlertList(items=items, next_after=items[-1].id if len(items) == limit else None)

    @router.get(
        "/v1/alerts/{alert_id}",
        response_model=AlertView,
        tags=["alerts"],
        dependencies=read,
        responses={404: {"model": ErrorBody}},
        summary="One alert: state, decision and its reasons, ticket key and URL",
    )
    async def get_alert(alert_id: str) -> object:
        alert = await container.alerts.get_alert(alert_id)
        if alert is None:
            return error_response(404, "not_found", f"no alert {alert_id!r}")
        return alert

    @router.get("/v1/tickets", response_model=TicketList, tags=["tickets"], dependencies=read)
    async def list_tickets(limit: Limit = 100, after: After = None) -> TicketList:
        items = list(await container.tickets.list_tickets(limit=limit, after=after))
        return TicketList(items=items, next_after=items[-1].key if len(items) == limit else None)

    @router.get("/v1/outbox", response_model=OutboxList, tags=["outbox"], dependencies=read)
    async def list_outbox(
        state: Annotated[JobState | None, Query(description="e.g. dead: the dead letters.")] = None,
        limit: Limit = 100,
        after: After = None,
    ) -> OutboxList:
        items = list(await container.outbox.list_jobs(state=state, limit=limit, after=after))
        return OutboxList(items=items, next_after=items[-1].id if len(items) == limit else None)

    @router.post(
        "/v1/outbox/{job_id}/retry",
        response_model=OutboxJobView,
        tags=["outbox"],
        dependencies=admin,
        responses={404: {"model": ErrorBody}},
        summary="Make a dead job due again (after fixing what Jira refused)",
    )
    async def retry_job(job_id: str) -> object:
        job = await container.outbox.retry(job_id)
        if job is None:
            return error_response(404, "not_found", f"no outbox job {job_id!r}")
        return job

    return router
