"""`install_ui(app, container)`: the static files, the pages, sign-in and sign-out, and the
answers to a refused write, a needed sign-in or an unknown page."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from ticketbridge.domain import JobState
from ticketbridge.errors import Problem
from ticketbridge.services.accounts import LoginRefused, LoginThrottled
from ticketbridge.ui.admin_pages import admin_pages
from ticketbridge.ui.config_pages import config_pages
from ticketbridge.ui.jira_oauth_pages import jira_oauth_pages
from ticketbridge.ui.observe_pages import observe_pages
from ticketbridge.ui.operate_pages import operate_pages
from ticketbridge.ui.ports import UiContainer
from ticketbridge.ui.settings_pages import settings_pages
from ticketbridge.ui.web import (
    STATIC_DIR,
    Pages,
    UiRedirect,
    UiRefused,
    clear_session_cookie,
    client_address,
    cookie_name,
    cross_origin_refusal,
    field,
    is_tls,
    set_session_cookie,
)

LOGIN_COOKIE = "tb_login"  # the sign-in form's token (no session exists yet)


def install_ui(app: FastAPI, container: UiContainer) -> None:
    pages = Pages(container.accounts)
    app.mount("/ui/static", StaticFiles(directory=STATIC_DIR), name="ui-static")
    app.include_router(_entry(container, pages))
    app.include_router(operate_pages(container, pages))
    app.include_router(config_pages(container, pages))
    app.include_router(admin_pages(container, pages))
    app.include_router(settings_pages(container, pages))
    app.include_router(observe_pages(container, pages))
    app.include_router(jira_oauth_pages(container, pages))
    app.include_router(_not_found(pages))  # last: /ui/{page} would shadow the pages above

    async def redirect(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UiRedirect)
        return RedirectResponse(exc.location, status_code=303)

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UiRefused)
        context = {"title": "Refused", "message": exc.reason, "back": "/ui"}
        return pages.render(request, "message.html", context, status=403)

    app.add_exception_handler(UiRedirect, redirect)
    app.add_exception_handler(UiRefused, refused)


def _safe_next(target: str) -> str:
    """Only a path of ours: never another site (`//evil`, `https://…`)."""
    ok = target.startswith("/ui") and not target.startswith("//") and "\\" not in target
    return target if ok else "/ui"


def _entry(container: UiContainer, pages: Pages) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    accounts = container.accounts

    def login_form(request: Request, status: int = 200, **values: Any) -> Response:
        """The sign-in form with a fresh pre-session token, in a cookie and in the form
        (double submit: a page elsewhere can make the browser post, but cannot read either)."""
        token = secrets.token_urlsafe(24)
        context = {"title": "Sign in", "next": "/ui", "username": "", "login_token": token}
        response = pages.render(request, "login.html", context | values, status=status)
        response.set_cookie(
            LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=is_tls(request)
        )
        return response

    @router.get("/ui/login", response_class=HTMLResponse)
    async def login_page(request: Request, next: str = "/ui") -> Response:
        return login_form(request, next=_safe_next(next))

    @router.post("/ui/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        refusal = cross_origin_refusal(request)
        if refusal is not None:
            raise UiRefused(refusal)
        form = await request.form()
        username, target = field(form, "username", 255), _safe_next(field(form, "next"))
        sent, kept = field(form, "login_token", 100), request.cookies.get(LOGIN_COOKIE, "")
        if not sent or not secrets.compare_digest(sent.encode(), kept.encode()):
            raise UiRefused("the sign-in form is stale; reload it and sign in again")
        try:
            signed = await accounts.sign_in(
                username, field(form, "password", 1024), client_address(request)
            )
        except (LoginRefused, LoginThrottled) as error:
            status = 429 if isinstance(error, LoginThrottled) else 401
            problems = [Problem("sign-in", str(error))]
            return login_form(
                request,
                status,
                next=target,
                username=username,
                problems=problems,
                problems_title="Not signed in:",
            )
        # The old session (if any) ends: a new id at every sign-in.
        await accounts.sign_out(request.cookies.get(cookie_name(request)))
        response = RedirectResponse(target, status_code=303)
        set_session_cookie(response, request, signed.token)
        response.delete_cookie(LOGIN_COOKIE, secure=is_tls(request), httponly=True)
        return response

    @router.post("/ui/logout")
    async def logout(request: Request) -> Response:
        await pages.writing(request, admin=False)
        await accounts.sign_out(request.cookies.get(cookie_name(request)))
        response = RedirectResponse("/ui/login", status_code=303)
        clear_session_cookie(response, request)
        return response

    @router.get("/ui", response_class=HTMLResponse)
    async def home(request: Request) -> Response:
        active = await pages.active(request)
        counts = await container.outbox.counts()
        rows = [(state.value, counts.get(state, 0)) for state in JobState]
        context = {"title": "Overview", "jira": container.ui_jira.current(), "counts": rows}
        return pages.render(request, "home.html", context, active=active)

    return router


def _not_found(pages: Pages) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/ui/{page}", response_class=HTMLResponse)
    async def not_found(request: Request, page: str) -> Response:
        active = await pages.active(request)
        context = {"title": "Not found", "message": "No such page.", "back": "/ui"}
        return pages.render(request, "message.html", context, status=404, active=active)

    return router
