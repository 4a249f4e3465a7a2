"""API keys (issue, revoke), users (create, role, disable) and the changes made in the UI."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ticketbridge.domain.accounts import Role
from ticketbridge.errors import InputError, Problem
from ticketbridge.services.accounts import parse_role
from ticketbridge.ui.ports import UiContainer
from ticketbridge.ui.web import Pages, field


def admin_pages(container: UiContainer, pages: Pages) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    keys, accounts = container.api_keys, container.accounts

    async def keys_context(**extra: Any) -> dict[str, Any]:
        return {"title": "API keys", "keys": await keys.list(), "issued": None, **extra}

    async def users_context(**extra: Any) -> dict[str, Any]:
        roles = [r.value for r in Role]
        return {"title": "Users", "users": await accounts.users(), "roles": roles, **extra}

    @router.get("/ui/keys", response_class=HTMLResponse)
    async def keys_page(request: Request) -> Response:
        active = await pages.active(request)
        return pages.render(request, "keys.html", await keys_context(), active=active)

    @router.post("/ui/keys", response_class=HTMLResponse)
    async def issue_key(request: Request) -> Response:
        active, form = await pages.writing(request)
        name, scopes, sources = (
            field(form, "name", 255),
            field(form, "scopes"),
            field(form, "sources"),
        )
        try:
            issued = await keys.issue(name, [scopes], [sources])
        except InputError as error:
            context = await keys_context(problems=error.problems)
            return pages.render(request, "keys.html", context, status=422, active=active)
        detail = {"scopes": list(issued.key.scopes), "sources": list(issued.key.sources)}
        await accounts.record(active.user.username, "apikey.create", issued.key.name, detail)
        # Shown once, on this answer only (no redirect: the token is not kept anywhere).
        context = await keys_context(issued=issued)
        return pages.render(request, "keys.html", context, status=201, active=active)

    @router.post("/ui/keys/{key_id}/revoke")
    async def revoke_key(request: Request, key_id: int) -> Response:
        active, _ = await pages.writing(request)
        revoked = await keys.revoke(key_id)
        target = revoked.name if revoked else f"key {key_id}"
        await accounts.record(active.user.username, "apikey.revoke", target, {})
        return RedirectResponse("/ui/keys", status_code=303)

    @router.get("/ui/users", response_class=HTMLResponse)
    async def users_page(request: Request) -> Response:
        active = await pages.active(request)
        return pages.render(request, "users.html", await users_context(), active=active)

    @router.post("/ui/users", response_class=HTMLResponse)
    async def create_user(request: Request) -> Response:
        active, form = await pages.writing(request)
        username = field(form, "username", 255)
        try:
            role = parse_role(field(form, "role", 16))
            user = await accounts.create_user(username, field(form, "password", 1024), role)
        except InputError as error:
            context = await users_context(problems=error.problems)
            return pages.render(request, "users.html", context, status=422, active=active)
        detail = {"role": user.role.value}
        await accounts.record(active.user.username, "user.create", user.username, detail)
        return RedirectResponse("/ui/users", status_code=303)

    @router.post("/ui/users/{username}", response_class=HTMLResponse)
    async def update_user(request: Request, username: str) -> Response:
        active, form = await pages.writing(request)
        disabled = field(form, "disabled", 4) == "1"
        try:
            role = parse_role(field(form, "role", 16))
            if username == active.user.username and (disabled or role is not Role.ADMIN):
                problem = Problem("role", "you cannot demote or disable yourself")
                raise InputError("refused", [problem])
            user = await accounts.update(username, role=role, disabled=disabled)
        except InputError as error:
            context = await users_context(problems=error.problems)
            return pages.render(request, "users.html", context, status=422, active=active)
        detail = {"role": user.role.value, "disabled": user.disabled}
        await accounts.record(active.user.username, "user.update", user.username, detail)
        return RedirectResponse("/ui/users", status_code=303)

    @router.get("/ui/changes", response_class=HTMLResponse)
    async def changes(request: Request) -> Response:
        active = await pages.active(request)
        context = {"title": "Changes", "changes": await accounts.changes(200)}
        return pages.render(request, "changes.html", context, active=active)

    return router
