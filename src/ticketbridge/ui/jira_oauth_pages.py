""" "Connect with Atlassian" (OAuth 2.0, 3LO) on the Jira page: the form (client id, client
secret, write-only) starts the authorization, the browser goes to Atlassian, and Atlassian
sends it back to `/ui/jira/oauth/callback`, which finishes through the same `OAuthConnector` as
the API's callback and shows the Jira page with the result.

The page's CSP (`form-action 'self'`) covers the redirects a form submission follows, so the
POST answers with a page that moves on to Atlassian by itself (meta refresh, no script) and
offers the link as well. The callback needs no session: the state (unguessable, used once,
expiring) is the proof, as for the API's callback; the change is recorded under the signed-in
user when there is one."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ticketbridge.errors import ConfigError, InputError, Problem, TicketBridgeError
from ticketbridge.ui.ports import UiContainer
from ticketbridge.ui.web import Pages, cookie_name, field

_OAUTH_FIELDS = ("client_id", "client_secret", "auth_url", "api_url", "url", "project_key")


def jira_oauth_pages(container: UiContainer, pages: Pages) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    jira, accounts = container.ui_jira, container.accounts

    @router.post("/ui/jira/oauth", response_class=HTMLResponse)
    async def start(request: Request) -> Response:
        active, form = await pages.writing(request)
        values = {name: field(form, name, 2000) for name in _OAUTH_FIELDS}
        values["allow_private"] = field(form, "allow_private", 10)
        try:
            url = await jira.start_oauth(values, str(request.base_url))
        except (InputError, ConfigError) as error:
            context = {
                "title": "Jira connection",
                "jira": jira.current(),
                "report": None,
                "oauth": {k: v for k, v in values.items() if k != "client_secret"},
                "problems": list(error.problems) or [Problem("oauth", str(error))],
            }
            return pages.render(request, "jira.html", context, status=422, active=active)
        detail = {"client_id": values["client_id"], "auth_url": values["auth_url"] or "default"}
        await accounts.record(active.user.username, "jira.oauth.start", "jira", detail)
        context = {"title": "Connect with Atlassian", "authorization_url": url}
        return pages.render(request, "oauth_continue.html", context, active=active)

    @router.get("/ui/jira/oauth/callback", response_class=HTMLResponse)
    async def callback(
        request: Request, state: str = "", code: str | None = None, error: str | None = None
    ) -> Response:
        active = await accounts.resume(request.cookies.get(cookie_name(request)))
        context: dict[str, object] = {"title": "Jira connection", "report": None}
        status = 200
        try:
            site = await jira.complete_oauth(
                state[:512], code and code[:4096], error and error[:255]
            )
        except InputError as refused:
            context["problems"], status = list(refused.problems), 400
        except (TicketBridgeError, httpx.HTTPError) as failed:
            message = f"the authorization did not complete ({type(failed).__name__})"
            context["problems"], status = [Problem("oauth", message)], 502
        else:
            context["notice"] = f"Connected with Atlassian: {site}."
            who = active.user.username if active else "oauth-callback"
            await accounts.record(who, "jira.oauth.connect", site, {"site": site})
        context["problems_title"] = "Not connected:"
        context["jira"] = jira.current()
        return pages.render(request, "jira.html", context, status=status, active=active)

    return router
