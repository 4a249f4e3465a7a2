"""`POST /v1/sources/github`: GitHub push webhooks, kept for the audit trail (SPEC §8).

Registered before the generic `/v1/sources/{source}` so it wins for `github`. It authenticates
as `sources.github` configures (GitHub's `X-Hub-Signature-256`, or our own signature or token):
the headers are checked before the body is read (`services.audit_intake.AuditIntake.open`),
and answers 202 with the commits and Jira keys recorded, 200 with `duplicate: true` for a
repeat (same `X-GitHub-Delivery`, or the same push under another id), 200 for GitHub's `ping`.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ticketbridge.api.audit_routes import PushOut, push_out
from ticketbridge.api.bodies import MAX_INTAKE_BODY, UnverifiedReads, read_body
from ticketbridge.api.ports import GitHubIntake
from ticketbridge.api.schemas import ErrorBody


class PushReceipt(BaseModel):
    event: Literal["push", "ping"]
    duplicate: bool
    push: PushOut | None


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody} for status in (401, 413, 415, 422, 503)
}


def github_router(github: GitHubIntake, reads: UnverifiedReads) -> APIRouter:
    router = APIRouter(tags=["audit"])

    @router.post(
        "/v1/sources/github",
        status_code=202,
        response_model=PushReceipt,
        responses={200: {"model": PushReceipt}, **_ERRORS},
        summary="GitHub push webhook: commits and their Jira keys, kept for the audit trail",
        description="Authenticated as `sources.github` configures (`X-Hub-Signature-256` with "
        "the webhook secret, or a token). 202: recorded; 200 with `duplicate: true`: a "
        "repeat (same `X-GitHub-Delivery`, or the same push — repository, ref, before and "
        "after — under another id), nothing new stored; 200: GitHub's ping.",
        max_body_size=MAX_INTAKE_BODY,
    )
    async def post_github(request: Request) -> JSONResponse:
        delivery = github.open(request.headers, dict(request.query_params))
        body = await read_body(request, authenticated=delivery.authenticated, reads=reads)
        received = await github.receive(delivery, body)
        receipt = PushReceipt(
            event=received.event,
            duplicate=received.duplicate,
            push=push_out(received.push) if received.push is not None else None,
        )
        status = 202 if received.push is not None and not received.duplicate else 200
        return JSONResponse(receipt.model_dump(mode="json"), status_code=status)

    return router
