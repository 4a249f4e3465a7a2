"""`GET /ui`: a page that says where things are until the admin UI lands."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ticketbridge</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>ticketbridge</h1>
<p>The admin UI is not built yet. Meanwhile:</p>
<ul>
<li><a href="/docs">API reference (OpenAPI)</a></li>
<li><a href="/readyz">Readiness</a> · <a href="/metrics">Metrics</a></li>
<li>CLI: <code>ticketbridge --help</code></li>
</ul>
</body></html>
"""


def ui_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/ui", response_class=HTMLResponse)
    async def ui_home() -> str:
        return _PAGE

    return router
