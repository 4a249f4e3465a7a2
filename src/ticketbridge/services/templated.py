"""`TemplateComposer`: the issue for an alert rendered from its route's template (`IssueComposer`).

The route's template (config `templates:` or a built-in) gives the summary (clipped to Jira's 255
characters, one line) and the description (Markdown or Jira wiki markup → `Document`, truncated
to Jira's limit; the provider renders it to ADF on Cloud, wiki markup on Data Center). Every
string value of the route's `fields` is a Jinja2 template too. Everything else (priority,
labels, components, assignee, due date, marker) comes from the route as routing decided; the
outbox puts a grouped issue under its epic when it sends it (services/grouping.py).
A route without a template gets `DefaultComposer`'s plain issue, with the route's fields
rendered.

Templates are compiled once, at construction, so a syntax error is a `ConfigError` at start; a
render that fails for one alert (an undefined name, a sandbox refusal) is a `PermanentError`
naming the template, so the outbox dead-letters that job with the reason instead of retrying it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ticketbridge.config import Config
from ticketbridge.config.models import TemplateConfig
from ticketbridge.domain import Alert, Ticket
from ticketbridge.errors import ConfigError, PermanentError
from ticketbridge.providers.base import IssueDraft, Marker
from ticketbridge.render import (
    CompiledTemplate,
    Document,
    TemplateEngine,
    clip_summary,
    truncate,
)
from ticketbridge.render.builtin import BUILTIN_TEMPLATES
from ticketbridge.services.compose import DefaultComposer
from ticketbridge.services.ports import Route

__all__ = ["RenderedIssue", "TemplateComposer", "template_context"]

_JINJA_MARKS = ("{{", "{%", "{#")


def template_context(alert: Alert) -> dict[str, Any]:
    """What a template sees: `alert` as plain data (the same view CEL conditions get)."""
    return {"alert": alert.as_mapping()}


class RenderedIssue:
    """A compiled summary/description pair of one named template."""

    def __init__(self, name: str, config: TemplateConfig, engine: TemplateEngine) -> None:
        self.name = name
        self.format = config.format
        self.summary = engine.compile(f"{name}.summary", config.summary, "markdown")
        self.description = engine.compile(f"{name}.description", config.description, config.format)


class TemplateComposer:
    """Satisfies `IssueComposer`: route template → summary, description and fields."""

    def __init__(
        self,
        templates: Mapping[str, TemplateConfig] | None = None,
        *,
        engine: TemplateEngine | None = None,
        include_builtins: bool = True,
    ) -> None:
        """`templates` are the configuration's; the built-ins are added under their
        `builtin/…` names unless the configuration defines the same name."""
        self._engine = engine or TemplateEngine()
        every = {**(BUILTIN_TEMPLATES if include_builtins else {}), **(templates or {})}
        self._templates = {
            name: RenderedIssue(name, config, self._engine) for name, config in every.items()
        }
        self._fields: dict[tuple[str, str], CompiledTemplate] = {}
        self._fallback = DefaultComposer()

    @classmethod
    def from_config(
        cls, config: Config, *, engine: TemplateEngine | None = None
    ) -> TemplateComposer:
        """Compile the configuration's templates and every templated field value of its
        defaults and routes now: a syntax error is a ConfigError at start, not a dead job."""
        composer = cls(config.templates, engine=engine)
        blocks = [("defaults", config.defaults.fields)]
        blocks += [(f"routes.{r.name}", r.fields) for r in config.routes]
        for _, fields in blocks:
            for name, value in fields.items():
                for text in value if isinstance(value, list) else [value]:
                    if isinstance(text, str) and any(m in text for m in _JINJA_MARKS):
                        composer._compile_field(name, text)
        return composer

    @property
    def template_names(self) -> tuple[str, ...]:
        return tuple(self._templates)

    def draft(self, alert: Alert, route: Route, ticket: Ticket) -> IssueDraft:
        context = template_context(alert)
        fields = self.render_fields(route.fields, context)
        if route.template is None:
            return replace(self._fallback.draft(alert, route, ticket), fields=fields)
        summary, description = self.render_template(route.template, context)
        return IssueDraft(
            project=route.project,
            issue_type=route.issue_type,
            summary=summary,
            description=description,
            priority=route.priority,
            labels=tuple(dict.fromkeys(route.labels)),
            components=route.components,
            assignee=route.assignee,
            due_date=route.due,
            fields=fields,
            marker=Marker(ticket.marker_key),
        )

    def render_template(self, name: str, context: Mapping[str, Any]) -> tuple[str, Document]:
        """The clipped one-line summary and the truncated description of template `name`."""
        template = self._templates.get(name)
        if template is None:
            known = ", ".join(sorted(self._templates)) or "none"
            raise PermanentError(f"template {name!r} is not defined (defined: {known})")
        try:
            summary = " ".join(self._engine.render(template.summary, context).split())
            description = self._engine.render_document(template.description, context)
        except ConfigError as error:
            raise PermanentError(str(error)) from error
        return clip_summary(summary or "(no summary)"), truncate(description)

    def render_fields(
        self, fields: Mapping[str, Any], context: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Each string value rendered as a Jinja2 template (lists: each string item)."""
        return {name: self._render_value(name, value, context) for name, value in fields.items()}

    def _render_value(self, name: str, value: Any, context: Mapping[str, Any]) -> Any:
        if isinstance(value, str):
            return self._render_text(name, value, context)
        if isinstance(value, list | tuple):
            return [self._render_value(name, item, context) for item in value]
        return value

    def _render_text(self, name: str, source: str, context: Mapping[str, Any]) -> str:
        if not any(mark in source for mark in _JINJA_MARKS):
            return source  # a literal: no template to run
        try:
            compiled = self._fields.get((name, source)) or self._compile_field(name, source)
            return self._engine.render(compiled, context).strip()
        except ConfigError as error:
            raise PermanentError(str(error)) from error

    def _compile_field(self, name: str, source: str) -> CompiledTemplate:
        compiled = self._fields[(name, source)] = self._engine.compile(f"fields.{name}", source)
        return compiled
