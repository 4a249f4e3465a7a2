"""`POST /v1/alerts` and `POST /v1/sources/{source}`: the ways alerts come in.

Both answer 202 only after the port has committed; the body parsing is done by hand (not by a
pydantic body model) because alerts keep unknown keys whole and the services own validation —
this layer only checks the envelope: JSON, an object or a list of 1..1,000 objects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ticketbridge.api.auth import Authenticator, Scope
from ticketbridge.api.errors import error_response
from ticketbridge.api.metrics import Metrics
from ticketbridge.api.ports import ApiContainer, NativeRequest
from ticketbridge.api.schemas import ErrorBody, IngestResponse, IngestResult
from ticketbridge.errors import InputError, Problem

__all__ = ["MAX_BATCH", "ingest_router", "parse_alert_envelope"]

MAX_BATCH = 1000

_ALERTS_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {"$ref": "#/components/schemas/AlertIn"},
                    {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/AlertIn"},
                        "minItems": 1,
                        "maxItems": MAX_BATCH,
                    },
                ]
            },
            "example": {
                "source": "generic",
                "id": "alert_123",
                "kind": "policy_violation",
                "title": "PII sent to an external model",
                "severity": "high",
            },
        }
    },
}

ALERT_IN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A normalized alert (SPEC §2). Unknown keys are kept in `attributes`.",
    "required": ["title"],
    "properties": {
        "id": {"type": "string"},
        "source": {"type": "string", "default": "generic"},
        "kind": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "severity": {"type": "string", "enum": ["info", "low", "medium", "high", "critical"]},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "status": {"type": "string", "enum": ["firing", "resolved"]},
        "fingerprint": {"type": "string"},
        "attributes": {"type": "object"},
        "occurred_at": {"type": "string", "format": "date-time"},
        "links": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"title": {"type": "string"}, "url": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody},
    403: {"model": ErrorBody},
    422: {"model": ErrorBody},
}


def parse_alert_envelope(body: bytes) -> list[Mapping[str, Any]]:
    """The request body as a list of alert objects; InputError names what is wrong."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError("the body is not JSON", [Problem("body", f"invalid JSON: {exc}")]) from exc
    if isinstance(data, dict):
        return [data]
    if not isinstance(data, list):
        raise InputError("bad body", [Problem("body", "expected an alert object or a list")])
    if not data:
        raise InputError("bad body", [Problem("body", "the list of alerts is empty")])
    if len(data) > MAX_BATCH:
        message = f"at most {MAX_BATCH} alerts per request, got {len(data)}"
        raise InputError("batch too large", [Problem("body", message)])
    problems = [
        Problem(f"[{i}]", "expected an alert object")
        for i, a in enumerate(data)
        if not isinstance(a, dict)
    ]
    if problems:
        raise InputError("bad body", problems)
    return data


def ingest_router(container: ApiContainer, auth: Authenticator, metrics: Metrics) -> APIRouter:
    router = APIRouter(tags=["alerts"])

    def respond(results: Sequence[IngestResult]) -> JSONResponse:
        _count(metrics, results)
        response = IngestResponse(
            accepted=sum(1 for r in results if not r.duplicate),
            duplicates=sum(1 for r in results if r.duplicate),
            results=list(results),
        )
        return JSONResponse(response.model_dump(mode="json"), status_code=202)

    @router.post(
        "/v1/alerts",
        status_code=202,
        response_model=IngestResponse,
        responses=_ERRORS,
        openapi_extra={"requestBody": _ALERTS_BODY},
        summary="Ingest one alert or a list of up to 1,000",
        dependencies=[Depends(auth.require(Scope.INGEST))],
    )
    async def post_alerts(request: Request) -> JSONResponse:
        payloads = parse_alert_envelope(await request.body())
        return respond(await container.ingest.ingest(payloads))

    @router.post(
        "/v1/sources/{source}",
        status_code=202,
        response_model=IngestResponse,
        responses={401: {"model": ErrorBody}, 404: {"model": ErrorBody}, 422: {"model": ErrorBody}},
        summary="Ingest a native payload (TruthVouch, Keeptrusts, Alertmanager, …)",
        description="Authenticated per source (HMAC signature, bearer token or ?token=), "
        "as configured under `sources:`; nothing is stored when authentication fails.",
    )
    async def post_native(source: str, request: Request) -> JSONResponse:
        native = NativeRequest(
            source=source,
            body=await request.body(),
            headers={k.lower(): v for k, v in request.headers.items()},
            query=dict(request.query_params),
        )
        try:
            results = await container.sources.ingest_native(native)
        except LookupError as exc:
            return error_response(404, "unknown_source", f"unknown source {source!r}: {exc}")
        return respond(results)

    return router


def _count(metrics: Metrics, results: Sequence[IngestResult]) -> None:
    for result in results:
        if result.duplicate:
            metrics.alerts_duplicate.labels(source=result.source).inc()
            continue
        metrics.alerts_ingested.labels(source=result.source).inc()
        if result.decision:
            metrics.decisions.labels(decision=result.decision).inc()
