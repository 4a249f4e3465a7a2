"""The audit trail over HTTP (SPEC §8): `GET /v1/audit` (filters, keyset paging),
`GET /v1/audit/verify`, `POST /v1/audit/{event_id}/links` (a LINK_ADDED event)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ticketbridge.api.auth import Authenticator
from ticketbridge.api.errors import error_response
from ticketbridge.api.params import Cursor, PageLimit, search_text
from ticketbridge.api.schemas import ErrorBody
from ticketbridge.services.api_keys import Scope
from ticketbridge.services.audit_service import AuditTrail, EventFilter
from ticketbridge.services.queries import decode_cursor, page_of

EventId = Annotated[str, Path(pattern=r"^evt_[0-9a-f]{1,36}$", description="An event's id.")]
_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody},
    403: {"model": ErrorBody},
    404: {"model": ErrorBody},
    422: {"model": ErrorBody},
}


class EventList(BaseModel):
    items: list[dict[str, Any]] = Field(description="Events in SPEC §8's shape, by position.")
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for more.")


class LinkIn(BaseModel):
    """Audital's manual link: a Jira issue (or another reference) tied to an event."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(default="JIRA_TICKET", max_length=64)
    externalId: str = Field(min_length=1, max_length=255)
    url: str | None = Field(default=None, max_length=2000)
    summary: str | None = Field(default=None, max_length=2000)
    status: str | None = Field(default=None, max_length=255)
    approver: str | None = Field(default=None, max_length=255)


class LinkAdded(BaseModel):
    event_id: str = Field(description="The LINK_ADDED event that records the link.")
    linked_to: str


def _after(cursor: str | None) -> int | None:
    decoded = decode_cursor(cursor)
    return decoded - 1 if decoded is not None else None  # cursors hold position + 1


def trail_router(trail: AuditTrail, auth: Authenticator) -> APIRouter:
    router = APIRouter(tags=["audit"])
    read = [Depends(auth.require(Scope.READ))]

    @router.get(
        "/v1/audit",
        response_model=EventList,
        responses=_ERRORS,
        dependencies=read,
        summary="The audit trail's events, oldest first",
    )
    async def list_events(
        limit: PageLimit = 100,
        cursor: Cursor = None,
        type: Annotated[list[str] | None, Query(max_length=20)] = None,
        alert: Annotated[str | None, search_text("<source>/<alert id>")] = None,
        ticket: Annotated[str | None, search_text("A Jira issue key.")] = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> EventList:
        wanted = EventFilter(tuple(type or ()), alert, ticket, since, until)
        events = await trail.events(wanted, limit=limit + 1, after=_after(cursor))
        page = page_of(events, limit, lambda e: e.position + 1)
        return EventList(items=[e.document() for e in page.items], next_cursor=page.next_cursor)

    @router.get(
        "/v1/audit/verify",
        responses=_ERRORS,
        dependencies=read,
        summary="Verify the whole trail: chain, positions, signed checkpoints, forks",
    )
    async def verify() -> JSONResponse:
        report = await trail.verifier.verify()
        return JSONResponse(report.as_json())

    @router.post(
        "/v1/audit/{event_id}/links",
        response_model=LinkAdded,
        status_code=201,
        responses=_ERRORS,
        dependencies=[Depends(auth.require(Scope.ADMIN))],
        summary="Link a Jira issue to an event (recorded as a LINK_ADDED event)",
    )
    async def add_link(event_id: EventId, link: LinkIn) -> object:
        added = await trail.add_link(event_id, link.model_dump(exclude_none=True))
        if added is None:
            return error_response(404, "not_found", f"no audit event {event_id!r}")
        return LinkAdded(event_id=added, linked_to=event_id)

    return router
