"""`GET/PUT /v1/integrations/jira` and `POST /v1/integrations/jira/test` (admin scope): the same
connection `ticketbridge config jira` stores, secrets encrypted and never returned; running
processes use a saved connection from their next Jira call, without a restart.

`POST /v1/integrations/jira` accepts Audital's own registration body (seed 002: `jiraBaseUrl`,
`userEmail`, `apiToken`, `projects`, `linkPattern`, `captureFields`) as an alias of the PUT:
a Cloud connection, the first project as the default one, the pattern for commit messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from ticketbridge.api.auth import Authenticator
from ticketbridge.api.ports import ApiContainer
from ticketbridge.api.schemas import (
    ErrorBody,
    JiraConnectionIn,
    JiraConnectionView,
    JiraTestReport,
)
from ticketbridge.errors import InputError, Problem
from ticketbridge.services.api_keys import Scope

_Key = Field(min_length=1, max_length=255)


class AuditalRegistration(BaseModel):
    """Audital's `POST /v1/integrations/jira` body (Jira Cloud: email and API token)."""

    model_config = ConfigDict(extra="forbid")

    jiraBaseUrl: str = Field(min_length=1, max_length=2048)
    userEmail: str = Field(min_length=1, max_length=320)
    apiToken: SecretStr = Field(min_length=1, max_length=4096)
    projects: list[str] = Field(default_factory=list, max_length=100)
    linkPattern: str | None = Field(default=None, max_length=1000)
    captureFields: list[str] | None = Field(default=None, max_length=100)

    def as_connection(self) -> JiraConnectionIn:
        return JiraConnectionIn(
            flavor="cloud",
            url=self.jiraBaseUrl,
            auth={
                "type": "token",
                "email": self.userEmail,
                "api_token": self.apiToken.get_secret_value(),
            },
            project_key=self.projects[0] if self.projects else None,
            projects=self.projects,
            link_pattern=self.linkPattern,
            capture_fields=self.captureFields,
        )


# Our paths in a refusal → Audital's names, so a problem names the field the caller sent.
_AUDITAL_NAMES = (
    ("url", "jiraBaseUrl"),
    ("auth", "userEmail"),  # a missing or bad email is the only auth field besides the token
    ("link_pattern", "linkPattern"),
    ("capture_fields", "captureFields"),
)


def _in_audital_terms(problem: Problem) -> Problem:
    if problem.path.endswith("api_token"):
        return Problem("apiToken", problem.message, problem.line)
    for ours, theirs in _AUDITAL_NAMES:
        if problem.path == ours or problem.path.startswith(ours + "."):
            return Problem(theirs, problem.message, problem.line)
    return problem


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
        return await container.jira.save(body)

    @router.post(
        "/v1/integrations/jira",
        response_model=JiraConnectionView,
        status_code=201,
        responses={409: {"model": ErrorBody}, 422: {"model": ErrorBody}},
        summary="Audital's registration body (seed 002), an alias of the PUT",
    )
    async def register_jira(body: AuditalRegistration) -> JiraConnectionView:
        try:
            return await container.jira.save(body.as_connection())
        except InputError as error:
            problems = [_in_audital_terms(p) for p in error.problems]
            raise InputError("the Jira registration is not valid", problems) from None

    @router.post(
        "/v1/integrations/jira/test",
        response_model=JiraTestReport,
        responses={409: {"model": ErrorBody}, 502: {"model": ErrorBody}, 503: {"model": ErrorBody}},
        summary="Test Connection: user, flavour, API version and projects",
    )
    async def test_jira() -> JiraTestReport:
        return await container.jira.test()

    return router


def oauth_callback_router(container: ApiContainer) -> APIRouter:
    """Atlassian sends the user's browser here after consent: no API key (a browser carries
    none); the state, unguessable, used once and expiring, is the proof."""
    router = APIRouter(tags=["integrations"], responses={400: {"model": ErrorBody}})

    @router.get(
        "/v1/integrations/jira/oauth/callback",
        response_class=PlainTextResponse,
        summary="OAuth 2.0 (3LO) callback: finishes `ticketbridge config jira --oauth`",
    )
    async def oauth_callback(
        state: Annotated[str, Query(min_length=1, max_length=512)],
        code: Annotated[str | None, Query(max_length=4096)] = None,
        error: Annotated[str | None, Query(max_length=255)] = None,
    ) -> PlainTextResponse:
        site = await container.jira.complete_oauth(state, code, error)
        return PlainTextResponse(f"ticketbridge is connected to Jira {site}. You can close this.")

    return router
