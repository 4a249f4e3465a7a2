"""`GET/PUT /v1/integrations/jira` and `POST /v1/integrations/jira/test` (admin scope): the same
connection `ticketbridge config jira` stores, secrets encrypted and never returned."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ticketbridge.api.auth import Authenticator, Scope
from ticketbridge.api.ports import ApiContainer
from ticketbridge.api.schemas import (
    ErrorBody,
    JiraConnectionIn,
    JiraConnectionView,
    JiraTestReport,
)

__all__ = ["integration_router"]


def integration_router(container: ApiContainer, auth: Authenticator) -> APIRouter:
    router = APIRouter(
        tags=["integrations"],
        dependencies=[Depends(auth.require(Scope.ADMIN))],
        responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}},
    )

    @router.get("/v1/integrations/jira", response_model=JiraConnectionView)
    async def get_jira() -> JiraConnectionView:
        return container.jira.current()

    @router.put(
        "/v1/integrations/jira",
        response_model=JiraConnectionView,
        responses={409: {"model": ErrorBody}, 422: {"model": ErrorBody}},
        summary="Store the Jira connection (ticketbridge.yaml's `jira:` wins when present)",
    )
    async def put_jira(body: JiraConnectionIn) -> JiraConnectionView:
        return container.jira.save(body)

    @router.post(
        "/v1/integrations/jira/test",
        response_model=JiraTestReport,
        responses={409: {"model": ErrorBody}, 502: {"model": ErrorBody}, 503: {"model": ErrorBody}},
        summary="Test Connection: user, flavour, API version and projects",
    )
    async def test_jira() -> JiraTestReport:
        return await container.jira.test()

    return router
