"""Our webhook in Jira: registered through the admin REST API, or the exact steps to do it by
hand when the account may not (two-way sync, SPEC §6).

The admin API (`/rest/webhooks/1.0/webhook`) is the one a token or PAT user can call, on
Cloud and Data Center alike, and only as a Jira administrator. Cloud's `/rest/api/3/webhook`
is for Connect and OAuth 2.0 apps only (403 for anyone else), so it is not used. The webhook
carries the events two-way sync reads, a JQL filter on the projects our tickets are in, and
the secret Jira signs every delivery with (`X-Hub-Signature`). The secret cannot be read back
from Jira: it is stored with the connection, encrypted, before Jira is asked.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import httpx
from pydantic import SecretStr

from ticketbridge.api.jira_connection import StoredConnection
from ticketbridge.api.jira_routes import site_webhook_path
from ticketbridge.api.metrics import Metrics
from ticketbridge.bootstrap.jira import (
    build_provider,
    effective_jira,
    other_site,
    projects_to_check,
)
from ticketbridge.bootstrap.jira_live import NO_JIRA, connection_store
from ticketbridge.bootstrap.jira_oauth import stored_tokens
from ticketbridge.config.integrations import JiraConfig, JiraWebhookConfig
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings
from ticketbridge.errors import (
    AuthFailed,
    ConfigError,
    Forbidden,
    InputError,
    PermanentError,
    Problem,
)

WEBHOOK_PATH = "/v1/jira/webhook"
WEBHOOK_NAME = "ticketbridge"
WEBHOOK_EVENTS = (
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
)


@dataclass(frozen=True)
class WebhookPlan:
    url: str
    secret: str
    jql: str | None
    events: tuple[str, ...] = WEBHOOK_EVENTS
    name: str = WEBHOOK_NAME


@dataclass(frozen=True)
class Registration:
    outcome: Literal["registered", "exists", "not_permitted"]
    plan: WebhookPlan
    webhook: str | None = None  # Jira's link to the webhook
    steps: tuple[str, ...] = ()  # what to do by hand (not_permitted)


def our_url(settings: Settings, url: str | None, path: str = WEBHOOK_PATH) -> str:
    """Where Jira should deliver: `--url`, else TICKETBRIDGE_PUBLIC_URL + /v1/jira/webhook
    (`path`: another site's, /v1/jira/sites/<name>/webhook)."""
    if url is None and settings.public_url:
        url = settings.public_url.rstrip("/") + path
    if url is None:
        raise ConfigError(
            "no URL to register",
            [Problem("--url", "give --url, or set TICKETBRIDGE_PUBLIC_URL (Jira must reach it)")],
        )
    if not url.startswith(("https://", "http://")) or len(url) > 2000:
        raise InputError("not a webhook URL", [Problem("--url", "an http(s) URL Jira can reach")])
    return url


def our_projects(config: Config, connection: StoredConnection) -> list[str] | None:
    """The projects our issues can be in: the defaults', the routes' and epics', the stored
    connection's; None when a route computes its project (a template): any project then."""
    named = [r.project for r in config.routes] + [
        r.group.project for r in config.routes if r.group is not None
    ]
    if any(p is not None and "{" in p for p in named):
        return None
    found = [*projects_to_check(connection, config.defaults.project).values()]
    return sorted({p for p in [*found, *named] if p})


def project_jql(projects: Sequence[str] | None) -> str | None:
    """Only our projects' issues are delivered (Jira's JQL filter); None: every issue."""
    keys = sorted({p for p in projects or () if p})
    if not keys:
        return None
    quoted = ", ".join('"' + k.replace("\\", "\\\\").replace('"', '\\"') + '"' for k in keys)
    return f"project in ({quoted})"


def manual_steps(plan: WebhookPlan, site: str) -> tuple[str, ...]:
    return (
        f"Sign in to {site} as a Jira administrator.",
        "Open Settings (gear) → System → WebHooks (Data Center: Administration → System → "
        "WebHooks) and choose 'Create a WebHook'.",
        f"Name: {plan.name}",
        f"URL: {plan.url}",
        f"Secret: {plan.secret}",
        f"JQL (Issue related events): {plan.jql or '(leave empty: all issues)'}",
        "Events: Issue created, updated, deleted; Comment created, updated, deleted.",
        "Leave 'Exclude body' unticked, and save.",
    )


def _with_secret(
    settings: Settings, connection: StoredConnection, fixed: bool, secret: str | None
) -> tuple[StoredConnection, str]:
    """The connection with the webhook secret to register: `secret`, else the stored one,
    else a new one; stored (encrypted) unless ticketbridge.yaml defines the connection."""
    current = connection.jira.webhook.secret
    known = current.get_secret_value() if current is not None else None
    chosen = secret or known or secrets.token_urlsafe(32)
    if chosen == known:
        return connection, chosen
    if fixed:
        raise ConfigError(
            "ticketbridge.yaml defines the Jira connection",
            [Problem("jira.webhook.secret", "set it there (e.g. ${JIRA_WEBHOOK_SECRET})")],
        )
    webhook = JiraWebhookConfig(secret=SecretStr(chosen), token=connection.jira.webhook.token)
    updated = replace(connection, jira=connection.jira.model_copy(update={"webhook": webhook}))
    connection_store(settings).save(updated)
    return updated, chosen


async def register_webhook(
    settings: Settings,
    config: Config,
    *,
    url: str | None = None,
    secret: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    site: str | None = None,
) -> Registration:
    """Our webhook in the default site's Jira, or in another site's (`site`, `jira.sites`:
    its own URL, its secret from ticketbridge.yaml)."""
    if site is not None and site != config.default_site:
        connection: StoredConnection | None = StoredConnection(other_site(config, site), None)
        target, fixed = our_url(settings, url, site_webhook_path(site)), True
    else:
        connection = effective_jira(settings, config)
        target, fixed = our_url(settings, url), config.primary_jira is not None
    if connection is None:
        raise ConfigError("no Jira is configured", [NO_JIRA])
    connection, chosen = _with_secret(settings, connection, fixed, secret)
    plan = WebhookPlan(target, chosen, project_jql(our_projects(config, connection)))
    return await register_plan(settings, connection.jira, plan, transport)


async def register_plan(
    settings: Settings,
    jira: JiraConfig,
    plan: WebhookPlan,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Registration:
    """`plan` registered through the admin API, unless a webhook to its URL exists; the manual
    steps when the account may not."""
    async with stored_tokens(settings) as oauth:  # an OAuth 2.0 connection's tokens
        provider = build_provider(
            jira, Metrics(), transport, allowed=settings.outbound_allow, oauth=oauth
        )
        try:
            existing = _pointing_at(await provider.client.admin_webhooks(), plan.url)
            if existing is not None:
                return Registration("exists", plan, str(existing.get("self") or ""))
            created = await provider.client.register_admin_webhook(_body(plan))
        except (Forbidden, AuthFailed):
            return Registration("not_permitted", plan, steps=manual_steps(plan, str(jira.url)))
        finally:
            await provider.aclose()
    return Registration("registered", plan, str((created or {}).get("self") or ""))


async def webhooks_pointing_at_us(
    settings: Settings, connection: StoredConnection, transport: httpx.AsyncBaseTransport | None
) -> list[str] | None:
    """The admin webhooks that deliver to us (our public URL, else any `/v1/jira/webhook`);
    None when the account may not list them."""
    async with stored_tokens(settings) as oauth:  # an OAuth 2.0 connection's tokens
        provider = build_provider(
            connection.jira, Metrics(), transport, allowed=settings.outbound_allow, oauth=oauth
        )
        try:
            listed = await provider.client.admin_webhooks()
        except PermanentError:  # not an administrator (403), no admin API (404): cannot tell
            return None
        finally:
            await provider.aclose()
    ours = settings.public_url.rstrip("/") + WEBHOOK_PATH if settings.public_url else None
    return [
        str(hook.get("url"))
        for hook in _hooks(listed)
        if (ours and hook.get("url") == ours)
        or (not ours and str(hook.get("url") or "").split("?")[0].endswith(WEBHOOK_PATH))
    ]


def _hooks(listed: Any) -> list[Mapping[str, Any]]:
    return [h for h in listed if isinstance(h, Mapping)] if isinstance(listed, list) else []


def _pointing_at(listed: Any, url: str) -> Mapping[str, Any] | None:
    return next((h for h in _hooks(listed) if h.get("url") == url), None)


def _body(plan: WebhookPlan) -> dict[str, Any]:
    return {
        "name": plan.name,
        "url": plan.url,
        "events": list(plan.events),
        "filters": {"issue-related-events-section": plan.jql or ""},
        "excludeBody": False,
        "secret": plan.secret,
    }
