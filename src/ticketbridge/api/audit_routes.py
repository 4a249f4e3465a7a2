"""`GET /v1/audit/pushes`: the GitHub pushes kept for the audit trail (they come in through
`POST /v1/sources/github`, `api.github_audit`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from ticketbridge.api.auth import Authenticator
from ticketbridge.api.params import Cursor, PageLimit, search_text
from ticketbridge.api.schemas import ErrorBody
from ticketbridge.domain.pushes import RecordedCommit, RecordedPush
from ticketbridge.services.api_keys import Scope
from ticketbridge.services.queries import decode_cursor, page_of


class PushAudit(Protocol):
    async def pushes(
        self,
        *,
        limit: int = 100,
        before_id: int | None = None,
        repository: str | None = None,
        jira_key: str | None = None,
    ) -> Sequence[RecordedPush]: ...


class AuthorOut(BaseModel):
    name: str
    email: str | None
    username: str | None


class CommitOut(BaseModel):
    id: str
    message: str
    author: AuthorOut
    url: str
    timestamp: datetime | None
    jira_keys: list[str]


class PushOut(BaseModel):
    id: int
    delivery_id: str
    repository: str
    repository_url: str | None
    ref: str
    before: str
    after: str
    pusher: str | None
    compare_url: str | None
    received_at: datetime
    jira_keys: list[str]
    commits: list[CommitOut]


class PushList(BaseModel):
    items: list[PushOut] = Field(description="Newest first.")
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next (older) page; null: last page."
    )


def _commit_out(commit: RecordedCommit) -> CommitOut:
    author = AuthorOut(
        name=commit.author_name, email=commit.author_email, username=commit.author_username
    )
    return CommitOut(
        id=commit.id,
        message=commit.message,
        author=author,
        url=commit.url,
        timestamp=commit.timestamp,
        jira_keys=list(commit.jira_keys),
    )


def push_out(push: RecordedPush) -> PushOut:
    return PushOut(
        id=push.id,
        delivery_id=push.delivery_id,
        repository=push.repository,
        repository_url=push.repository_url,
        ref=push.ref,
        before=push.before,
        after=push.after,
        pusher=push.pusher,
        compare_url=push.compare_url,
        received_at=push.received_at,
        jira_keys=list(push.jira_keys),
        commits=[_commit_out(c) for c in push.commits],
    )


_READ_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody},
    403: {"model": ErrorBody},
    422: {"model": ErrorBody},
}


def audit_router(audit: PushAudit, auth: Authenticator) -> APIRouter:
    router = APIRouter(tags=["audit"])

    @router.get(
        "/v1/audit/pushes",
        response_model=PushList,
        responses=_READ_ERRORS,
        dependencies=[Depends(auth.require(Scope.READ))],
        summary="GitHub pushes kept for the audit trail, newest first",
    )
    async def list_pushes(
        limit: PageLimit = 100,
        cursor: Cursor = None,
        repository: Annotated[str | None, search_text("owner/name only.")] = None,
        key: Annotated[str | None, search_text("Only pushes mentioning this key.")] = None,
    ) -> PushList:
        pushes = await audit.pushes(
            limit=limit + 1,  # one more: is there a next page at all?
            before_id=decode_cursor(cursor),
            repository=repository,
            jira_key=key,
        )
        page = page_of(pushes, limit, lambda push: push.id)
        return PushList(items=[push_out(p) for p in page.items], next_cursor=page.next_cursor)

    return router
