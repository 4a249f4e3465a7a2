"""What the OpenAPI says beyond what FastAPI derives from the routes: the raw-body schema of
`POST /v1/alerts`, and how the native sources authenticate.

API keys are declared by the routes themselves (`api.auth`: the `apiKey` bearer scheme with
each route's scope). The native source routes read their body raw and check the source's own
credential, so their schemes are declared here: a signature header, a bearer token or
`?token=`, any one of them (as `sources.<name>` configures), GitHub's signature for its
push webhook, and Jira's signature or token for its webhook.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from ticketbridge.api.ingest_routes import ALERT_IN_SCHEMA
from ticketbridge.api.jira_routes import SITE_WEBHOOK

SOURCE_SCHEMES: dict[str, dict[str, str]] = {
    "sourceSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "X-TicketBridge-Signature",
        "description": '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the '
        "source's `secret`; accepted within 5 minutes of now.",
    },
    "sourceToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The source's `token` (not an API key): `Authorization: Bearer <token>`.",
    },
    "sourceTokenQuery": {
        "type": "apiKey",
        "in": "query",
        "name": "token",
        "description": "The source's `token`, for senders that cannot set headers.",
    },
    "oauthState": {
        "type": "apiKey",
        "in": "query",
        "name": "state",
        "description": "The state `ticketbridge config jira --oauth` started the authorization "
        "with (a browser coming back from Atlassian carries no API key): known, used once, "
        "valid ten minutes.",
    },
    "githubSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Hub-Signature-256",
        "description": "GitHub's `sha256=<hex HMAC-SHA256 of the body>` with the webhook secret.",
    },
    "jiraSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Hub-Signature",
        "description": "Jira's `sha256=<hex HMAC of the raw body>` (sha384, sha512 too) with "
        "`jira.webhook.secret`.",
    },
    "jiraTokenQuery": {
        "type": "apiKey",
        "in": "query",
        "name": "token",
        "description": "`jira.webhook.token`: Data Center webhooks without a secret.",
    },
}
_SOURCE_SECURITY: list[dict[str, list[str]]] = [
    {"sourceSignature": []},
    {"sourceToken": []},
    {"sourceTokenQuery": []},
]
_ROUTE_SECURITY = {
    ("/v1/sources/{source}", "post"): _SOURCE_SECURITY,
    ("/v1/sources/github", "post"): [{"githubSignature": []}, *_SOURCE_SECURITY],
    ("/v1/integrations/jira/oauth/callback", "get"): [{"oauthState": []}],
    ("/v1/jira/webhook", "post"): [{"jiraSignature": []}, {"jiraTokenQuery": []}],
    (SITE_WEBHOOK, "post"): [{"jiraSignature": []}, {"jiraTokenQuery": []}],
}


def document_openapi(app: FastAPI) -> None:
    """Complete the app's OpenAPI once, when it is first asked for."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            components = schema.setdefault("components", {})
            components.setdefault("schemas", {})["AlertIn"] = ALERT_IN_SCHEMA
            components.setdefault("securitySchemes", {}).update(SOURCE_SCHEMES)
            for (path, method), security in _ROUTE_SECURITY.items():
                operation = schema.get("paths", {}).get(path, {}).get(method)
                if operation is not None:
                    operation["security"] = security
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
