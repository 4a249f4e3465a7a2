"""`create_app(container)`: the FastAPI application (OpenAPI at /docs)."""

from __future__ import annotations

import logging
import time
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ticketbridge.api.audit_routes import PushAudit, audit_router
from ticketbridge.api.auth import Authenticator
from ticketbridge.api.bodies import (
    DEFAULT_MAX_BODY,
    JsonTooLarge,
    RequireJson,
    UnverifiedReads,
)
from ticketbridge.api.errors import install_error_handlers
from ticketbridge.api.github_audit import github_router
from ticketbridge.api.ingest_routes import ALERT_IN_SCHEMA, ingest_router
from ticketbridge.api.integration_routes import integration_router
from ticketbridge.api.metrics import CONTENT_TYPE, Metrics
from ticketbridge.api.ports import ApiContainer
from ticketbridge.api.query_routes import query_router
from ticketbridge.api.schemas import ReadinessReport

__all__ = ["create_app"]

log = structlog.get_logger("ticketbridge.api")
_access = logging.getLogger("ticketbridge.api")


def create_app(
    container: ApiContainer,
    *,
    title: str = "ticketbridge",
    audit: PushAudit | None = None,
    unverified_reads: UnverifiedReads | None = None,
) -> FastAPI:
    """`unverified_reads` bounds the bodies read before their sender is proven (default: 8 at
    once, waiting up to 10 s for a turn)."""
    app = _App(
        title=title,
        summary="Alerts in, exactly one Jira issue out.",
        version="0.1.0",
        docs_url="/docs",
        max_body_size=DEFAULT_MAX_BODY,  # the intake routes allow more, once authenticated
    )
    auth = Authenticator(container.api_keys)
    reads = unverified_reads or UnverifiedReads()
    app.state.container = container
    app.state.authenticator = auth
    install_error_handlers(app)
    if audit is not None:
        app.include_router(audit_router(audit, auth))
    # before ingest_router: /v1/sources/github wins over /v1/sources/{source}
    app.include_router(github_router(container.github, reads))
    app.include_router(ingest_router(container, auth, container.metrics, reads))
    app.include_router(query_router(container, auth))
    app.include_router(integration_router(container, auth))
    _add_operational_routes(app, container)
    app.add_middleware(RequireJson)
    app.add_middleware(_Timing, metrics=container.metrics)
    _add_alert_schema(app)
    return app


class _App(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        # Outside Starlette's body limit, which answers with plain text (api.bodies)
        return JsonTooLarge(super().build_middleware_stack())


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

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics")
    async def metrics() -> Response:
        counts = await container.outbox.counts()
        container.metrics.set_job_counts({k.value: v for k, v in counts.items()})
        return Response(container.metrics.render(), media_type=CONTENT_TYPE)


def _add_alert_schema(app: FastAPI) -> None:
    """Register `AlertIn` (the raw-body schema of POST /v1/alerts) in the OpenAPI components."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            schema.setdefault("components", {}).setdefault("schemas", {})["AlertIn"] = (
                ALERT_IN_SCHEMA
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


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
