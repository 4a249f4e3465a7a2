"""`/_emulator/*`: the Python test API over HTTP, for a real-server emulator.

GET    /_emulator/health                      {"flavor": …, "issues": n}
POST   /_emulator/reset                       back to the seed
POST   /_emulator/snapshot                    {"id": n};  POST /_emulator/restore/{id}
GET    /_emulator/requests                    the request log;  DELETE clears it
GET    /_emulator/counters                    {"METHOD /route/template": n}
GET    /_emulator/counters?by=status          {"METHOD /route/template 201": n}
GET    /_emulator/issues                      stored issues (key, status, fields, properties)
GET    /_emulator/deliveries                  webhook delivery attempts
PUT    /_emulator/index-lag   {"seconds": s}
PUT    /_emulator/strict      {"enabled": b}
POST   /_emulator/faults      {"method", "path", "kind", "status", "delay", "probability",
                               "count", "body"};  DELETE clears
PUT    /_emulator/limits      {"enabled": b, …} (forwarded to the rate limiter)
PUT    /_emulator/webhooks/switch   {"drop": p, "duplicate": n, "delay": s, "jitter": s,
                                     "hold": b} (webhooks.DeliverySwitch; {} switches it off)
POST   /_emulator/webhooks/release  {"order": "fifo" | "reverse" | "shuffle"}: send held ones
GET    /_emulator/changes           {"<user>": {"<event type>" | "status": n}}: who changed what
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, Router

from jira_emulator.model import State
from jira_emulator.richtext import plain_text
from jira_emulator.webhooks import DeliverySwitch

if TYPE_CHECKING:
    from jira_emulator.app import Emulator


def _body_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode()


def _problem(message: str, status: int = 400) -> Response:
    return JSONResponse({"errorMessages": [message], "errors": {}}, status)


# What a fault rule may set over HTTP: everything `Faults.add` takes, Jira's error body too.
_FAULT_KEYS = ("method", "path", "kind", "status", "delay", "probability", "count", "body")


def control_router(emu: Emulator) -> Router:
    snapshots: dict[int, State] = {}

    async def health(request: Request) -> Response:
        return JSONResponse({"flavor": emu.flavor, "issues": len(emu.state.issues)})

    async def reset(request: Request) -> Response:
        emu.reset()
        return Response(status_code=204)

    async def snapshot(request: Request) -> Response:
        snap_id = len(snapshots) + 1
        snapshots[snap_id] = emu.snapshot()
        return JSONResponse({"id": snap_id}, 201)

    async def restore(request: Request) -> Response:
        snap = snapshots.get(int(request.path_params["snap_id"]))
        if snap is None:
            return _problem("no such snapshot", 404)
        emu.restore(snap)
        return Response(status_code=204)

    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            emu.requests.clear()
            emu.counters.clear()
            emu.answered.clear()
            return Response(status_code=204)
        return JSONResponse(
            [
                {
                    "method": r.method,
                    "path": r.path,
                    "query": r.query,
                    "json": r.json,
                    "body": _body_text(r.body),
                    "status": r.status,
                    "route": r.route,
                }
                for r in emu.requests
            ]
        )

    async def counters(request: Request) -> Response:
        by_status = request.query_params.get("by") == "status"
        return JSONResponse(dict(emu.answered if by_status else emu.counters))

    async def issues(request: Request) -> Response:
        state = emu.state
        return JSONResponse(
            [
                {
                    "id": i.id,
                    "key": i.key,
                    "status": state.statuses[i.status].name,
                    "statusCategory": state.statuses[i.status].category,
                    "resolution": state.resolutions[i.resolution].name if i.resolution else None,
                    "summary": i.fields.get("summary"),
                    "description": plain_text(i.fields.get("description")),
                    "labels": i.fields.get("labels", []),
                    "properties": i.properties,
                    "comments": [plain_text(c.body) for c in i.comments],
                }
                for i in state.issues.values()
            ]
        )

    async def deliveries(request: Request) -> Response:
        return JSONResponse(
            [
                {
                    "webhookId": d.webhook_id,
                    "url": d.url,
                    "event": d.event,
                    "headers": d.headers,
                    "body": _body_text(d.body),
                    "attempt": d.attempt,
                    "status": d.status,
                    "error": d.error,
                }
                for d in emu.deliveries
            ]
        )

    async def json_of(request: Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.body() or b"{}")
        except json.JSONDecodeError:
            return {}
        return body if isinstance(body, dict) else {}

    async def index_lag(request: Request) -> Response:
        body = await json_of(request)
        if not isinstance(body.get("seconds"), int | float):
            return _problem("'seconds' must be a number")
        emu.index_lag = float(body["seconds"])
        return JSONResponse({"seconds": emu.index_lag})

    async def strict(request: Request) -> Response:
        body = await json_of(request)
        emu.strict = bool(body.get("enabled", True))
        return JSONResponse({"enabled": emu.strict})

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            emu.faults.clear()
            return Response(status_code=204)
        body = await json_of(request)
        try:
            emu.faults.add(**{k: v for k, v in body.items() if k in _FAULT_KEYS})
        except (TypeError, ValueError) as exc:
            return _problem(str(exc))
        return Response(status_code=201)

    async def limits(request: Request) -> Response:
        body = await json_of(request)
        try:
            emu.limits.configure(**body)
        except (TypeError, ValueError) as exc:
            return _problem(str(exc))
        return Response(status_code=204)

    async def webhook_switch(request: Request) -> Response:
        body = await json_of(request)
        names = ("drop", "duplicate", "delay", "jitter", "hold")
        try:
            emu.webhooks.switch = DeliverySwitch(**{k: v for k, v in body.items() if k in names})
        except (TypeError, ValueError) as exc:
            return _problem(str(exc))
        return JSONResponse({k: getattr(emu.webhooks.switch, k) for k in names})

    async def webhook_release(request: Request) -> Response:
        body = await json_of(request)
        try:
            released = emu.webhooks.release(str(body.get("order", "fifo")))
        except ValueError as exc:
            return _problem(str(exc))
        return JSONResponse({"released": released})

    async def changes(request: Request) -> Response:
        by_actor: dict[str, dict[str, int]] = {}
        for (actor, kind), count in emu.changes.items():
            by_actor.setdefault(actor, {})[kind] = count
        return JSONResponse(by_actor)

    return Router(
        routes=[
            Route("/_emulator/health", health, methods=["GET"]),
            Route("/_emulator/reset", reset, methods=["POST"]),
            Route("/_emulator/snapshot", snapshot, methods=["POST"]),
            Route("/_emulator/restore/{snap_id:int}", restore, methods=["POST"]),
            Route("/_emulator/requests", requests, methods=["GET", "DELETE"]),
            Route("/_emulator/counters", counters, methods=["GET"]),
            Route("/_emulator/issues", issues, methods=["GET"]),
            Route("/_emulator/deliveries", deliveries, methods=["GET"]),
            Route("/_emulator/index-lag", index_lag, methods=["PUT"]),
            Route("/_emulator/strict", strict, methods=["PUT"]),
            Route("/_emulator/faults", faults, methods=["POST", "DELETE"]),
            Route("/_emulator/limits", limits, methods=["PUT"]),
            Route("/_emulator/webhooks/switch", webhook_switch, methods=["PUT"]),
            Route("/_emulator/webhooks/release", webhook_release, methods=["POST"]),
            Route("/_emulator/changes", changes, methods=["GET"]),
        ]
    )
