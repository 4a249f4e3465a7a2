"""Reports (SPEC §9): `GET /v1/reports/summary` and `GET /v1/reports/{metric}`, the rows behind
one of its numbers (paged like every list, or all of them as CSV). Read scope."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel

from ticketbridge.api.auth import Authenticator
from ticketbridge.api.params import Cursor, PageLimit, search_text
from ticketbridge.api.ports import Reports
from ticketbridge.api.schemas import ErrorBody
from ticketbridge.domain import AlertState, Severity
from ticketbridge.domain.reports import MAX_DAYS, Bucket, Drill, Metric, ReportFilter
from ticketbridge.services.api_keys import Scope
from ticketbridge.services.reports import Summary

_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody},
    403: {"model": ErrorBody},
    422: {"model": ErrorBody},
}


class ReportRows(BaseModel):
    metric: Metric
    items: list[dict[str, Any]]
    next_cursor: str | None


Days = Annotated[
    int, Query(ge=1, le=MAX_DAYS, description="The period: this many UTC days ending today.")
]


def _filter(
    project: Annotated[str | None, search_text("Only tickets of this Jira project.")] = None,
    route: Annotated[str | None, search_text("Only tickets opened on this route.")] = None,
    source: Annotated[str | None, search_text("Only tickets opened by this source.")] = None,
    kind: Annotated[str | None, search_text("Only tickets opened by this kind.")] = None,
    severity: Annotated[Severity | None, Query(description="Only this severity.")] = None,
    state: Annotated[AlertState | None, Query(description="Only tickets in this state.")] = None,
) -> ReportFilter:
    return ReportFilter(
        project,
        route,
        source,
        kind,
        severity.value if severity else None,
        state.value if state else None,
    )


Filter = Annotated[ReportFilter, Depends(_filter)]


def report_router(reports: Reports, auth: Authenticator) -> APIRouter:
    router = APIRouter(tags=["reports"], responses=_ERRORS)
    read = [Depends(auth.require(Scope.READ))]

    @router.get(
        "/v1/reports/summary",
        response_model=Summary,
        dependencies=read,
        summary="Every figure of the period, with the period before; docs/metrics.md",
    )
    async def summary(where: Filter, days: Days = 7) -> Summary:
        return await reports.summary(days, where)

    @router.get(
        "/v1/reports/{metric}",
        response_model=ReportRows,
        dependencies=read,
        responses={200: {"content": {"text/csv": {}}}},
        summary="The rows behind one number of the summary (same days and filters)",
    )
    async def rows(
        metric: Annotated[Metric, Path(description="The figure's metric.")],
        where: Filter,
        days: Days = 7,
        period: Annotated[
            Literal["current", "previous"], Query(description="Which period's number.")
        ] = "current",
        bucket: Annotated[Bucket | None, Query(description="backlog: the age bucket.")] = None,
        day: Annotated[date | None, Query(description="created, resolved: one day.")] = None,
        format: Annotated[
            Literal["json", "csv"], Query(description="csv: every row at once.")
        ] = "json",
        limit: PageLimit = 100,
        cursor: Cursor = None,
    ) -> Any:
        drill = Drill(metric, period, bucket, day.isoformat() if day else None)
        if format == "csv":
            body = await reports.csv(drill, days, where)
            return Response(body, media_type="text/csv; charset=utf-8")
        page = await reports.rows(drill, days, where, limit=limit, cursor=cursor)
        return ReportRows(metric=metric, items=page.items, next_cursor=page.next_cursor)

    return router
