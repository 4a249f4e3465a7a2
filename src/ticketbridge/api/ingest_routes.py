"""`POST /v1/alerts` and `POST /v1/sources/{source}`: the ways alerts come in.

Both answer 202 only after the alerts are committed; the decider decides them after (with
`?wait=true`, before the answer; with `?wait=ticket`, the answer also waits, for up to 10 s,
until each ticket's issue key exists: `services.ticket_wait`). The caller is authenticated
before a byte of the body is read (`api.bodies`); the body is read raw (not through a FastAPI
body model): the intake services own alert validation (field paths like `[3].severity`), and
alerts keep unknown keys whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BeforeValidator
from pydantic_core import to_json

from ticketbridge.api.auth import Authenticator, caller
from ticketbridge.api.bodies import MAX_INTAKE_BODY, UnverifiedReads, read_body
from ticketbridge.api.errors import error_response
from ticketbridge.api.metrics import Metrics
from ticketbridge.api.ports import ApiContainer
from ticketbridge.api.schemas import ErrorBody, IngestResponse
from ticketbridge.api.views import ingest_dict
from ticketbridge.services import IngestResult
from ticketbridge.services.api_keys import Scope
from ticketbridge.services.intake import MAX_BATCH
from ticketbridge.services.ticket_wait import Answer, Wait

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
        "id": {
            "type": "string",
            "description": "Unique per source (a number is taken as text). Without one, each "
            "post is a new occurrence.",
        },
        "source": {"type": "string", "default": "generic"},
        "kind": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "severity": {
            "type": "string",
            "enum": ["info", "low", "medium", "high", "critical"],
            "description": "Any case; the common synonyms (warning, error, fatal, minor, …) "
            "are accepted too.",
        },
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

_TRUE = frozenset(("true", "1", "yes", "on", "t", "y"))
_FALSE = frozenset(("false", "0", "no", "off", "f", "n"))


def _wait_value(value: object) -> object:
    """`?wait=` took a boolean before `ticket` existed: its spellings keep their meaning."""
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return Wait.DECISIONS
        if lowered in _FALSE:
            return Wait.COMMIT
        return lowered
    return value


_WaitQuery = Annotated[
    Wait,
    BeforeValidator(_wait_value),
    Query(
        description="`false` (default): answer at the commit; the decision follows "
        "(GET /v1/alerts/{id}). `true`: answer once the alerts are decided (decision, reasons, "
        "ticket if it exists). `ticket`: also wait, for up to 10 s, until each ticket's issue "
        "key exists (or its create failed: `ticket_error`); `waited.complete` is false when "
        "the bound came first."
    ),
]

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody},
    403: {"model": ErrorBody},
    413: {"model": ErrorBody},
    415: {"model": ErrorBody},
    422: {"model": ErrorBody},
}


def ingest_router(
    container: ApiContainer, auth: Authenticator, metrics: Metrics, reads: UnverifiedReads
) -> APIRouter:
    router = APIRouter(tags=["alerts"])

    def respond(answer: Answer) -> Response:
        results = answer.results
        _count(metrics, results)
        duplicates = sum(1 for r in results if r.duplicate)
        body: dict[str, object] = {
            "accepted": len(results) - duplicates,
            "duplicates": duplicates,
            "results": [ingest_dict(i, r) for i, r in enumerate(results)],
        }
        if answer.wait is Wait.TICKET:
            body["waited"] = _waited(answer)
        # pydantic-core's serializer: ~3x the json module on answers of 1,000 results
        return Response(to_json(body), status_code=202, media_type="application/json")

    @router.post(
        "/v1/alerts",
        status_code=202,
        response_model=IngestResponse,
        responses=_ERRORS,
        openapi_extra={"requestBody": _ALERTS_BODY},
        summary="Ingest one alert or a list of up to 1,000",
        description="Each alert's `source` (default `generic`) must be one the key was "
        "granted (`apikey create --source`); otherwise 403 naming it, and nothing is stored.",
        max_body_size=MAX_INTAKE_BODY,
        dependencies=[Depends(auth.require(Scope.INGEST))],
    )
    async def post_alerts(
        request: Request,
        wait: _WaitQuery = Wait.COMMIT,
    ) -> Response:
        body = await read_body(request, authenticated=True, reads=reads)
        granted = caller(request).sources
        return respond(await container.intake.post(body, granted=granted, wait=wait))

    @router.post(
        "/v1/sources/{source}",
        status_code=202,
        response_model=IngestResponse,
        responses={**_ERRORS, 404: {"model": ErrorBody}, 503: {"model": ErrorBody}},
        summary="Ingest a native payload (TruthVouch, Keeptrusts, Alertmanager, …)",
        description="Authenticated per source (HMAC signature, bearer token or ?token=), "
        "as configured under `sources:`; nothing is stored when authentication fails. Every "
        "alert is in the source's own name (a `generic` delivery naming another source: 403).",
        max_body_size=MAX_INTAKE_BODY,
    )
    async def post_native(
        source: str, request: Request, wait: _WaitQuery = Wait.COMMIT
    ) -> Response:
        try:
            delivery = container.sources.open(source, request.headers, dict(request.query_params))
        except LookupError as exc:
            return error_response(404, "unknown_source", f"unknown source {source!r}: {exc}")
        body = await read_body(request, authenticated=delivery.authenticated, reads=reads)
        return respond(await container.sources.ingest(delivery, body, wait))

    return router


def _waited(answer: Answer) -> dict[str, object]:
    """`?wait=ticket`: whether every issue key (or the error of a dead create) is in the answer,
    or the bound came first (the creates go on in the outbox)."""
    limit = answer.limit.total_seconds()
    note = (
        "every ticket's issue exists, or its error is given"
        if answer.complete
        else f"stopped waiting after {limit:g} s: issues still being created are not in this "
        "answer (GET /v1/alerts/{id} shows them once created)"
    )
    return {"for": answer.wait.value, "complete": answer.complete, "note": note}


def _count(metrics: Metrics, results: Sequence[IngestResult]) -> None:
    # Decisions are counted where they are taken (bootstrap); here one increment per source,
    # not per alert: a labelled increment costs microseconds and a request holds 1,000 alerts.
    counts = Counter((r.source, r.duplicate) for r in results)
    for (source, duplicate), count in counts.items():
        counter = metrics.alerts_duplicate if duplicate else metrics.alerts_ingested
        counter.labels(source=source).inc(count)
