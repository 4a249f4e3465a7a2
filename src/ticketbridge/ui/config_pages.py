"""Routes (ordered, shadowed ones marked, CEL checked as typed, a test box with the decision
trail) and Templates (a live preview: ADF rendered and wiki text side by side, budgets,
the sandbox's errors). Both run `ticketbridge plan --offline`'s Planner; nothing is written."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from ticketbridge.config.models import TemplateConfig
from ticketbridge.errors import InputError, Problem
from ticketbridge.ui.adf_html import adf_html
from ticketbridge.ui.ports import UiContainer
from ticketbridge.ui.web import Pages, field

SAMPLE_ALERT = """{
  "source": "generic",
  "id": "sample-1",
  "kind": "policy_violation",
  "title": "PII sent to an external model",
  "description": "The AI gateway blocked a prompt containing a customer email address.",
  "severity": "high",
  "attributes": {"policy_name": "no-pii", "model": "gpt-4o", "action": "block"}
}"""


def config_pages(container: UiContainer, pages: Pages) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    previews = container.previews

    def routes_context(**extra: Any) -> dict[str, Any]:
        return {
            "title": "Routes",
            "routes": previews.routes(),
            "when": "",
            "cel_errors": None,
            "preview_action": "/ui/routes/test",
            "pasted": SAMPLE_ALERT,
            "stored": "",
            "preview": None,
            **extra,
        }

    def templates_context(name: str, **extra: Any) -> dict[str, Any]:
        return {
            "title": "Templates",
            "templates": previews.templates(),
            "name": name,
            "editing": previews.template(name),
            "pasted": SAMPLE_ALERT,
            "stored": "",
            "edited": None,
            **extra,
        }

    async def edited(form: Any) -> dict[str, Any]:
        pasted, stored = field(form, "alert", 256 * 1024), field(form, "stored", 400)
        values = {
            "summary": field(form, "summary_template", 4096),
            "description": field(form, "description_template", 64 * 1024),
            "format": field(form, "format", 16) or "markdown",
        }
        shown: dict[str, Any] = {"pasted": pasted, "stored": stored}
        try:
            editing = TemplateConfig.model_validate(values)
            alert = await previews.alert(pasted, stored)
        except ValidationError as error:
            problems = [Problem(str(e["loc"][0]), e["msg"]) for e in error.errors()]
            return shown | {"editing": _Editing(values), "preview_problems": problems}
        except InputError as error:
            return shown | {"editing": _Editing(values), "preview_problems": error.problems}
        result = previews.render_edited(alert, editing)
        snippet = _yaml_snippet(field(form, "name", 64) or "my_template", editing)
        return shown | {
            "editing": editing,
            "edited": result,
            "preview_problems": list(result.problems),
            "adf_html": adf_html(result.adf),
            "yaml_snippet": snippet,
        }

    async def previewed(form: Any) -> dict[str, Any]:
        pasted, stored = field(form, "alert", 256 * 1024), field(form, "stored", 400)
        values: dict[str, Any] = {"pasted": pasted, "stored": stored}
        try:
            alert = await previews.alert(pasted, stored)
        except InputError as error:
            return values | {"preview_problems": error.problems}
        preview = await previews.preview(alert)
        return values | {"preview": preview, "adf_html": adf_html(preview.adf)}

    @router.get("/ui/routes", response_class=HTMLResponse)
    async def routes(request: Request) -> Response:
        active = await pages.active(request)
        return pages.render(request, "routes.html", routes_context(), active=active)

    @router.post("/ui/routes/check", response_class=HTMLResponse)
    async def check(request: Request) -> Response:
        active, form = await pages.writing(request, admin=False)
        when = field(form, "when", 10_000)
        context = routes_context(when=when, cel_errors=previews.check_condition(when))
        return pages.render(request, "routes.html", context, active=active)

    @router.post("/ui/routes/test", response_class=HTMLResponse)
    async def test(request: Request) -> Response:
        active, form = await pages.writing(request, admin=False)
        context = routes_context(**await previewed(form))
        return pages.render(request, "routes.html", context, active=active)

    @router.get("/ui/templates", response_class=HTMLResponse)
    async def templates(request: Request, template: str = "") -> Response:
        active = await pages.active(request)
        context = templates_context(template[:64])
        return pages.render(request, "templates.html", context, active=active)

    @router.post("/ui/templates/preview", response_class=HTMLResponse)
    async def preview(request: Request) -> Response:
        active, form = await pages.writing(request, admin=False)
        context = templates_context(field(form, "name", 64), **await edited(form))
        return pages.render(request, "templates.html", context, active=active)

    return router


class _Editing:
    """The edit as typed, shown again when it could not be rendered."""

    def __init__(self, values: dict[str, str]) -> None:
        self.summary, self.description = values["summary"], values["description"]
        self.format = values["format"]


def _yaml_snippet(name: str, template: TemplateConfig) -> str:
    """The edit as a `templates:` entry (JSON strings are valid YAML scalars)."""
    lines = [
        "templates:",
        f"  {json.dumps(name)}:",
        f"    summary: {json.dumps(template.summary)}",
        f"    description: {json.dumps(template.description)}",
    ]
    if template.format != "markdown":
        lines.append(f"    format: {template.format}")
    return "\n".join(lines)
