"""`POST /v1/sources/github` (GitHub push webhooks, kept for the audit trail) and
`GET /v1/audit/pushes` (what was kept).

The push route is registered before the generic `/v1/sources/{source}` so it wins for `github`.
It authenticates as `sources.github` configures (GitHub's `X-Hub-Signature-256`, or our own
signature or token) and answers 202 with the commits and Jira keys recorded, 200 with
`duplicate: true` for a redelivery (same `X-GitHub-Delivery`), and 200 for GitHub's `ping`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal, Protocol

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ticketbridge.api.auth import Authenticator, Scope
from ticketbridge.api.ingest_routes import read_body
from ticketbridge.api.params import Cursor, PageLimit, search_text
from ticketbridge.api.ports import NativeRequest
from ticketbridge.api.schemas import ErrorBody
from ticketbridge.domain.pushes import RecordedCommit, RecordedPush
from ticketbridge.services.queries import decode_cursor, page_of

__all__ = [
    "CommitOut",
    "GitHubDelivery",
    "PushAudit",
    "PushList",
    "PushOut",
    "audit_router",
    "push_out",
]


@dataclass(frozen=True)
class GitHubDelivery:
    """What became of one GitHub delivery: a ping (nothing kept) or a push, new or repeated."""

    event: Literal["push", "ping"]
    push: RecordedPush | None = None
    duplicate: bool = False


class PushAudit(Protocol):
    async def receive(self, request: NativeRequest) -> GitHubDelivery:
        """Authenticate, parse and keep a GitHub delivery. Raises `SourceAuthError` (nothing
        kept) or `InputError` naming the field."""
        ...

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


class PushReceipt(BaseModel):
    event: Literal["push", "ping"]
    duplicate: bool
    push: PushOut | None


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


_SOURCE_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody},
    413: {"model": ErrorBody},
    422: {"model": ErrorBody},
}
_READ_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody},
    403: {"model": ErrorBody},
    422: {"model": ErrorBody},
}


def audit_router(audit: PushAudit, auth: Authenticator) -> APIRouter:
    router = APIRouter(tags=["audit"])

    @router.post(
        "/v1/sources/github",
        status_code=202,
        response_model=PushReceipt,
        responses={200: {"model": PushReceipt}, **_SOURCE_ERRORS},
        summary="GitHub push webhook: commits and their Jira keys, kept for the audit trail",
        description="Authenticated as `sources.github` configures (`X-Hub-Signature-256` with "
        "the webhook secret, or a token). 202: recorded; 200 with `duplicate: true`: a "
        "redelivery (same `X-GitHub-Delivery`), nothing new stored; 200: GitHub's ping.",
    )
    async def post_github(request: Request) -> JSONResponse:
        native = NativeRequest(
            source="github",
            body=await read_body(request),
            headers={k.lower(): v for k, v in request.headers.items()},
            query=dict(request.query_params),
        )
        delivery = await audit.receive(native)
        receipt = PushReceipt(
            event=delivery.event,
            duplicate=delivery.duplicate,
            push=push_out(delivery.push) if delivery.push is not None else None,
        )
        status = 202 if delivery.push is not None and not delivery.duplicate else 200
        return JSONResponse(receipt.model_dump(mode="json"), status_code=status)

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
