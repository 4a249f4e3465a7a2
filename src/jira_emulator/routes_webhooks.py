"""Webhook registration: the admin API `/rest/webhooks/1.0/webhook` (both flavours) and, on
Cloud, the REST `/rest/api/{2,3}/webhook` (dynamic webhooks: url + jqlFilter + events)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from jira_emulator.errors import JiraError, bad_request, not_found
from jira_emulator.http import (
    GATEWAY_USER,
    Host,
    JiraJSON,
    actor,
    json_body,
    require_admin,
    rest_routes,
)
from jira_emulator.model import Webhook
from jira_emulator.render import jira_time

KNOWN_EVENTS = {
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
    "issuelink_created",
    "issuelink_deleted",
    "worklog_updated",
}
ADMIN = "/rest/webhooks/1.0/webhook"


def webhook_routes(host: Host, apis: list[str]) -> list[Route]:
    def admin_json(webhook: Webhook) -> dict[str, Any]:
        user = next((u for u in host.state.users.values() if u.admin), None)
        return {
            "name": webhook.name,
            "url": webhook.url,
            "excludeBody": webhook.exclude_body,
            "filters": {"issue-related-events-section": webhook.jql or ""},
            "events": list(webhook.events),
            "enabled": webhook.enabled,
            "self": f"{host.state.base_url}{ADMIN}/{webhook.id}",
            "lastUpdatedUser": user.account_id if user else None,
            "lastUpdatedDisplayName": user.display_name if user else None,
            "lastUpdated": int(host.service.clock() * 1000),
        }

    def from_body(body: Any, webhook_id: int) -> Webhook:
        if not isinstance(body, dict):
            raise bad_request(messages=["Request body must be a JSON object."])
        errors = {}
        if not body.get("name"):
            errors["name"] = "Name is required."
        if not str(body.get("url") or "").startswith(("http://", "https://")):
            errors["url"] = "URL must be a valid http(s) URL."
        events = body.get("events") or []
        unknown = [e for e in events if e not in KNOWN_EVENTS]
        if unknown:
            errors["events"] = f"Unknown events: {', '.join(map(str, unknown))}"
        if errors:
            raise bad_request(errors=errors)
        jql = (body.get("filters") or {}).get("issue-related-events-section") or None
        if jql:
            host.compile_jql(jql)
        return Webhook(
            webhook_id,
            str(body["name"]),
            str(body["url"]),
            list(events),
            jql,
            body.get("secret") or None,
            bool(body.get("enabled", True)),
            bool(body.get("excludeBody", False)),
        )

    def find(request: Request) -> Webhook:
        raw = request.path_params["webhook_id"]
        webhook = host.state.webhooks.get(int(raw)) if raw.isdigit() else None
        if webhook is None:
            raise not_found(f"Webhook with id {raw} does not exist.")
        return webhook

    async def admin_list(request: Request, api: str) -> Response:
        require_admin(actor(request))
        return JiraJSON([admin_json(w) for w in host.state.webhooks.values()])

    async def admin_create(request: Request, api: str) -> Response:
        require_admin(actor(request))
        webhook = from_body(await json_body(request), host.state.next_id("webhook", 1))
        host.state.webhooks[webhook.id] = webhook
        return JiraJSON(admin_json(webhook), 201)

    async def admin_get(request: Request, api: str) -> Response:
        require_admin(actor(request))
        return JiraJSON(admin_json(find(request)))

    async def admin_update(request: Request, api: str) -> Response:
        require_admin(actor(request))
        webhook = from_body(await json_body(request), find(request).id)
        host.state.webhooks[webhook.id] = webhook
        return JiraJSON(admin_json(webhook))

    async def admin_delete(request: Request, api: str) -> Response:
        require_admin(actor(request))
        del host.state.webhooks[find(request).id]
        return Response(status_code=204)

    async def dynamic_register(request: Request, api: str) -> Response:
        _app_only(request)
        body = await json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("webhooks"), list):
            raise bad_request(messages=["'url' and 'webhooks' are required."])
        results: list[dict[str, Any]] = []
        for entry in body["webhooks"]:
            try:
                webhook = from_body(
                    {
                        "name": "dynamic",
                        "url": body.get("url"),
                        "events": entry.get("events"),
                        "filters": {"issue-related-events-section": entry.get("jqlFilter")},
                    },
                    host.state.next_id("webhook", 1),
                )
            except JiraError as error:
                results.append(
                    {
                        "errors": error.body.get("errorMessages", [])
                        + list(error.body.get("errors", {}).values())
                    }
                )
                continue
            host.state.webhooks[webhook.id] = webhook
            results.append({"createdWebhookId": webhook.id})
        return JiraJSON({"webhookRegistrationResult": results})

    async def dynamic_list(request: Request, api: str) -> Response:
        _app_only(request)
        expires = jira_time(host.service.now() + timedelta(days=30))
        values = [  # the spec's Webhook requires url, as the registration gave it
            {
                "id": w.id,
                "jqlFilter": w.jql or "",
                "events": w.events,
                "url": w.url,
                "expirationDate": expires,
            }
            for w in host.state.webhooks.values()
        ]
        return JiraJSON(
            {
                "maxResults": 100,
                "startAt": 0,
                "total": len(values),
                "isLast": True,
                "values": values,
            }
        )

    async def dynamic_delete(request: Request, api: str) -> Response:
        _app_only(request)
        body = await json_body(request)
        for webhook_id in (body or {}).get("webhookIds", []):
            host.state.webhooks.pop(int(webhook_id), None)
        return Response(status_code=202)

    admin = [
        ("GET", ADMIN, admin_list),
        ("POST", ADMIN, admin_create),
        ("GET", ADMIN + "/{webhook_id}", admin_get),
        ("PUT", ADMIN + "/{webhook_id}", admin_update),
        ("DELETE", ADMIN + "/{webhook_id}", admin_delete),
    ]
    routes = rest_routes(host, admin, ["2"])
    if host.state.flavor == "cloud":
        dynamic = [
            ("POST", "/webhook", dynamic_register),
            ("GET", "/webhook", dynamic_list),
            ("DELETE", "/webhook", dynamic_delete),
        ]
        routes += rest_routes(host, dynamic, apis)
    return routes


def _app_only(request: Request) -> None:
    """Dynamic webhooks are for Connect and OAuth 2.0 apps only (Atlassian's REST reference):
    a bearer token through api.atlassian.com, never a user's API token or a scoped token."""
    through_gateway = request.scope.get("state", {}).get(GATEWAY_USER) is not None
    if not (through_gateway and request.headers.get("authorization", "").startswith("Bearer ")):
        raise JiraError(403, messages=["Only Connect and OAuth 2.0 apps can use this operation."])
