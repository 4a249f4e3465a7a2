"""The page machinery of the admin UI: Jinja2 (autoescaped) rendering with a fresh CSP nonce
per page, the session cookie, and the checks every write passes.

Cross-site writes are refused twice over: by the browser's own provenance headers, with the
algorithm of Go 1.25's `http.CrossOriginProtection` (safe methods pass; `Sec-Fetch-Site`
same-origin or none passes, any other value is refused; without it, an `Origin` naming another
host is refused; neither header: not a browser, passes), and by the form token each session
has (`csrf`, a hidden field of every form).

The cookie is `__Host-tb_session` (Secure, Path=/, no Domain) when the request came over TLS
(uvicorn's proxy headers decide for a TLS proxy); over plain http on a laptop a browser refuses
`__Host-` and Secure cookies, so it is `tb_session` there. Both are HttpOnly and SameSite=Lax.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData

from ticketbridge.domain.accounts import Role
from ticketbridge.services.accounts import Accounts, Active

HTMX = "htmx-2.0.11.min.js"
_HERE = Path(__file__).parent
STATIC_DIR = _HERE / "static"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class UiRedirect(Exception):
    """Sign in first: answered with a 303 by install_ui."""

    def __init__(self, location: str) -> None:
        self.location = location


class UiRefused(Exception):
    """A write refused (cross-site, bad form token, read-only role): 403 page."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(_HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def csp(nonce: str) -> str:
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


def page_headers(nonce: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": csp(nonce),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
    }


def is_tls(request: Request) -> bool:
    return request.url.scheme == "https"


def cookie_name(request: Request) -> str:
    return "__Host-tb_session" if is_tls(request) else "tb_session"


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        cookie_name(request),
        token,
        httponly=True,
        samesite="lax",
        secure=is_tls(request),
        path="/",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        cookie_name(request), path="/", secure=is_tls(request), httponly=True, samesite="lax"
    )


def cross_origin_refusal(request: Request) -> str | None:
    """Go 1.25 `CrossOriginProtection.Check`: the reason to refuse, None to pass."""
    if request.method in _SAFE_METHODS:
        return None
    site = request.headers.get("sec-fetch-site", "")
    if site in ("same-origin", "none"):
        return None
    if site:
        return f"cross-origin request refused (Sec-Fetch-Site: {site[:20]})"
    origin = request.headers.get("origin", "")
    if not origin:
        return None  # neither header: same-origin from an old browser, or not a browser
    if urlsplit(origin).netloc == request.headers.get("host", ""):
        return None
    return "cross-origin request refused (Origin is another host)"


def client_address(request: Request) -> str:
    return (request.client.host if request.client else "unknown")[:64]


class Pages:
    """Renders templates and resolves the signed-in user of a request."""

    def __init__(self, accounts: Accounts) -> None:
        self._accounts = accounts
        self._env = environment()

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any],
        *,
        status: int = 200,
        active: Active | None = None,
    ) -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        values = {
            "nonce": nonce,
            "htmx": f"/ui/static/{HTMX}",
            "path": request.url.path,
            "user": active.user if active else None,
            "csrf": active.session.csrf if active else "",
            "admin": bool(active and active.user.role is Role.ADMIN),
            **context,
        }
        html = self._env.get_template(template).render(values)
        return HTMLResponse(html, status_code=status, headers=page_headers(nonce))

    async def active(self, request: Request) -> Active:
        """The signed-in user, or a redirect to the sign-in page."""
        token = request.cookies.get(cookie_name(request))
        active = await self._accounts.resume(token)
        if active is None:
            target = request.url.path if request.method == "GET" else "/ui"
            raise UiRedirect(f"/ui/login?next={target}")
        return active

    async def writing(self, request: Request, *, admin: bool = True) -> tuple[Active, FormData]:
        """A write's checks, in order: not cross-site, signed in, allowed, the form token."""
        refused = cross_origin_refusal(request)
        if refused is not None:
            raise UiRefused(refused)
        active = await self.active(request)
        if admin and active.user.role is not Role.ADMIN:
            raise UiRefused("your role is read: changes need an admin")
        form = await request.form()
        token = form.get("csrf")
        if not isinstance(token, str) or not secrets.compare_digest(token, active.session.csrf):
            raise UiRefused("the form token is missing or stale; reload the page and try again")
        return active, form


def field(form: FormData, name: str, limit: int = 4096) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""
