"""`create_app(container)`: the FastAPI application (OpenAPI at /docs, served without a CDN);
`create_metrics_app(container)`: `/metrics` alone, for a listen address of its own."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import structlog
from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ticketbridge.api.audit_routes import PushAudit, audit_router
from ticketbridge.api.audit_trail_routes import trail_router
from ticketbridge.api.auth import Authenticator
from ticketbridge.api.bodies import (
    DEFAULT_MAX_BODY,
    JsonTooLarge,
    RequireJson,
    UnverifiedReads,
)
from ticketbridge.api.errors import install_error_handlers
from ticketbridge.api.github_audit import github_router
from ticketbridge.api.ingest_routes import ingest_router
from ticketbridge.api.integration_routes import integration_router, oauth_callback_router
from ticketbridge.api.jira_routes import JiraSync, jira_router
from ticketbridge.api.metrics import CONTENT_TYPE, Metrics
from ticketbridge.api.openapi import document_openapi
from ticketbridge.api.ports import ApiContainer
from ticketbridge.api.query_routes import query_router
from ticketbridge.api.report_routes import report_router
from ticketbridge.api.schemas import ErrorBody, ReadinessReport
from ticketbridge.api.search_routes import IssueSearch, search_router
from ticketbridge.services.api_keys import Scope as KeyScope
from ticketbridge.services.audit_service import AuditTrail

log = structlog.get_logger("ticketbridge.api")
_access = logging.getLogger("ticketbridge.api")
_DOCS_STATIC = "/docs/static"  # Swagger UI and ReDoc files, from the fastapi-offline package


@dataclass(frozen=True)
class MetricsExposure:
    """Where `GET /metrics` is served: on the API (`on_api`, the default) or only by
    `create_metrics_app` on an address of its own; `require_key`: an API key with the read
    scope is needed, wherever it is served."""

    on_api: bool = True
    require_key: bool = False


def create_app(
    container: ApiContainer,
    *,
    title: str = "ticketbridge",
    audit: PushAudit | None = None,
    trail: AuditTrail | None = None,
    unverified_reads: UnverifiedReads | None = None,
    metrics: MetricsExposure = MetricsExposure(),
    jira_sync: JiraSync | None = None,
    search: IssueSearch | None = None,
) -> FastAPI:
    """`unverified_reads` bounds the bodies read before their sender is proven (default: 8 at
    once, waiting up to 10 s for a turn); `metrics` says where `/metrics` is served."""
    app = FastAPIOffline(
        title=title,
        summary="Alerts in, exactly one Jira issue out.",
        version="0.1.0",
        static_url=_DOCS_STATIC,
        # Swagger UI would otherwise send the OpenAPI's URL to validator.swagger.io for a badge.
        swagger_ui_parameters={"validatorUrl": None},
        max_body_size=DEFAULT_MAX_BODY,  # the intake routes allow more, once authenticated
    )
    _json_when_too_large(app)
    auth = Authenticator(container.api_keys)
    reads = unverified_reads or UnverifiedReads()
    app.state.container = container
    app.state.authenticator = auth
    install_error_handlers(app)
    if audit is not None:
        app.include_router(audit_router(audit, auth))
    if trail is not None:
        app.include_router(trail_router(trail, auth))
    # before ingest_router: /v1/sources/github wins over /v1/sources/{source}
    app.include_router(github_router(container.github, reads))
    app.include_router(ingest_router(container, auth, container.metrics, reads))
    if jira_sync is not None:  # two-way sync: POST /v1/jira/webhook, GET /v1/jira/deliveries
        app.include_router(jira_router(jira_sync, auth, reads))
    app.include_router(query_router(container, auth))
    app.include_router(report_router(container.reports, auth))
    app.include_router(integration_router(container, auth))
    app.include_router(oauth_callback_router(container))
    if search is not None:
        app.include_router(search_router(search, auth))
    _add_operational_routes(app, container)
    if metrics.on_api:
        app.include_router(_metrics_router(container, auth, metrics.require_key))
    app.add_middleware(RequireJson)
    app.add_middleware(_Timing, metrics=container.metrics)
    document_openapi(app)
    return app


def create_metrics_app(container: ApiContainer, *, require_key: bool = False) -> FastAPI:
    """`GET /metrics` and nothing else (no docs, no OpenAPI): what a private listen address
    serves when `/metrics` is kept off the API's."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    install_error_handlers(app)
    auth = Authenticator(container.api_keys)
    app.include_router(_metrics_router(container, auth, require_key))
    return app


def _json_when_too_large(app: FastAPI) -> None:
    """`JsonTooLarge` outside the whole stack, Starlette's body limit included (it answers
    with plain text; api.bodies). FastAPIOffline builds the app, so this wraps its builder."""
    build = app.build_middleware_stack

    def outermost() -> ASGIApp:
        return JsonTooLarge(build())

    app.build_middleware_stack = outermost  # type: ignore[method-assign]


def _add_operational_routes(app: FastAPI, container: ApiContainer) -> None:
    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["operations"],
        response_model=ReadinessReport,
        responses={503: {"model": ReadinessReport}},
        summary="Database reachable and migrations current",
    )
    async def readyz() -> JSONResponse:
        checks = list(await container.health.readiness())
        report = ReadinessReport(ready=all(c.ok for c in checks), checks=checks)
        return JSONResponse(report.model_dump(), status_code=200 if report.ready else 503)


def _metrics_router(container: ApiContainer, auth: Authenticator, require_key: bool) -> APIRouter:
    router = APIRouter(tags=["operations"])
    keyed = [Depends(auth.require(KeyScope.READ))] if require_key else []
    errors: dict[int | str, dict[str, object]] = (
        {401: {"model": ErrorBody}, 403: {"model": ErrorBody}} if require_key else {}
    )

    @router.get(
        "/metrics",
        dependencies=keyed,
        responses=errors,
        response_class=Response,
        summary="Prometheus metrics",
    )
    async def metrics() -> Response:
        counts = await container.outbox.counts()
        container.metrics.set_job_counts({k.value: v for k, v in counts.items()})
        if container.schedules is not None:
            container.metrics.set_schedules(await container.schedules.rows())
            container.metrics.set_fleet(
                await container.schedules.processes(),
                await container.schedules.oldest_pending(),
                container.now(),
            )
        return Response(container.metrics.render(), media_type=CONTENT_TYPE)

    return router


class _Timing:
    """Pure ASGI middleware (cheaper than BaseHTTPMiddleware): latency per route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            elapsed = time.perf_counter() - started
            self.metrics.http_latency.labels(
                method=scope["method"], route=template, status=f"{status // 100}xx"
            ).observe(elapsed)
            if status >= 500:
                log.warning("request_failed", method=scope["method"], route=template, status=status)
            elif _access.isEnabledFor(logging.DEBUG):  # the route template: no ids, no tokens
                log.debug(
                    "request",
                    method=scope["method"],
                    route=template,
                    status=status,
                    ms=round(elapsed * 1000, 2),
                )
