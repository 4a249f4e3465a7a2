"""`POST /v1/search` (read scope): a JQL query passed through to Jira, one page at a time.

The query is Jira's to judge: a JQL error comes back as 422 naming `jql`, with Jira's own
message. What we bound is what we send: the query's length, the page size (1–100) and the page
token's length. `next_page_token` is Jira's (Cloud's `nextPageToken`, Data Center's offset):
pass it back for the next page; null on the last.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from ticketbridge.api.auth import Authenticator
from ticketbridge.api.schemas import ErrorBody
from ticketbridge.providers.base import Issue, SearchPage
from ticketbridge.services.api_keys import Scope

MAX_JQL = 4000
MAX_TOKEN = 2048


class IssueSearch(Protocol):
    async def search(self, jql: str, page_token: str | None, page_size: int) -> SearchPage: ...


class SearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jql: str = Field(min_length=1, max_length=MAX_JQL, description="Jira's query language")
    page_token: str | None = Field(default=None, max_length=MAX_TOKEN)
    page_size: int = Field(default=50, ge=1, le=100)


class FoundIssue(BaseModel):
    id: str
    key: str
    url: str
    project: str
    issue_type: str
    summary: str
    status: str
    status_id: str
    status_category: str = Field(description="new, indeterminate or done (never localized)")
    resolution: str | None
    priority: str | None
    assignee: str | None = Field(description="display name")
    labels: list[str]
    created: datetime
    updated: datetime

    @classmethod
    def of(cls, issue: Issue) -> FoundIssue:
        return cls(
            id=issue.id,
            key=issue.key,
            url=issue.url,
            project=issue.project,
            issue_type=issue.issue_type,
            summary=issue.summary,
            status=issue.status.name,
            status_id=issue.status.id,
            status_category=issue.status.category,
            resolution=issue.resolution,
            priority=issue.priority,
            assignee=issue.assignee.display_name if issue.assignee else None,
            labels=list(issue.labels),
            created=issue.created,
            updated=issue.updated,
        )


class SearchOut(BaseModel):
    issues: list[FoundIssue]
    next_page_token: str | None = Field(description="pass it back for the next page; null: last")


def search_router(search: IssueSearch, auth: Authenticator) -> APIRouter:
    router = APIRouter(
        tags=["jira"],
        dependencies=[Depends(auth.require(Scope.READ))],
        responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}},
    )

    @router.post(
        "/v1/search",
        response_model=SearchOut,
        responses={
            409: {"model": ErrorBody},
            422: {"model": ErrorBody},
            502: {"model": ErrorBody},
            503: {"model": ErrorBody},
        },
        summary="Search Jira with JQL (passed through), one page at a time",
    )
    async def post_search(body: SearchIn) -> SearchOut:
        page = await search.search(body.jql, body.page_token, body.page_size)
        return SearchOut(
            issues=[FoundIssue.of(issue) for issue in page.issues],
            next_page_token=page.next_page_token,
        )

    return router
