"""`TemplateComposer`: the issue for an alert rendered from its route's template (`IssueComposer`).

The route's template (config `templates:` or a built-in) gives the summary (clipped to Jira's 255
characters, one line) and the description (Markdown or Jira wiki markup → `Document`, truncated
to Jira's limit; the provider renders it to ADF on Cloud, wiki markup on Data Center). Every
string value of the route's `fields` is a Jinja2 template too. Everything else (priority,
labels, components, assignee, due date, marker) comes from the route as routing decided; the
outbox puts a grouped issue under its epic when it sends it (services/grouping.py).
A route without a template gets `DefaultComposer`'s plain issue, with the route's fields
rendered.

Templates are compiled once, at construction, so a syntax error is a `ConfigError` at start
(`config check` refuses it). A render that fails for one alert (an undefined name because the
alert lacks an attribute, a sandbox refusal) never costs the alert its issue: whoever controls
an alert's content could otherwise suppress its ticket. The part that failed falls back to
`DefaultComposer`'s (summary, description; a field is left out), the description opens with a
warning panel naming the template and the error, and the draft's `warnings` say the same (the
outbox records them with the alert; `plan` lists them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ticketbridge.config import Config
from ticketbridge.config.models import TemplateConfig
from ticketbridge.domain import Alert, Ticket
from ticketbridge.domain.route import Route
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
from ticketbridge.render.document import Panel, Paragraph, Text
from ticketbridge.services.compose import DefaultComposer, default_summary, describe

_JINJA_MARKS = ("{{", "{%", "{#")
_MAX_ERROR = 300  # a render error can quote the alert's data: the note keeps the start


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
        failed: list[str] = []
        fields = self._fields_or_left_out(route.fields, context, failed)
        if route.template is None:
            draft = replace(self._fallback.draft(alert, route, ticket), fields=fields)
        else:
            summary, description = self._templated(alert, route.template, context, failed)
            draft = IssueDraft(
                project=route.project,
                issue_type=route.issue_type,
                summary=summary,
                description=description,
                priority=route.priority,
                labels=tuple(dict.fromkeys(route.labels)),
                components=route.components,
                assignee=route.assignee,
                due_date=route.due_date,
                fields=fields,
                marker=Marker(ticket.marker_key),
            )
        return with_failure_note(draft, failed)

    def _templated(
        self, alert: Alert, name: str, context: Mapping[str, Any], failed: list[str]
    ) -> tuple[str, Document]:
        """Template `name`'s summary and description; a part that fails for this alert is
        the default's (`DefaultComposer`), and `failed` says so."""
        template = self._get(name)
        try:
            summary = self._summary(template, context)
        except ConfigError as error:
            failed.append(failure_note(name, error, "the default summary is used"))
            summary = default_summary(alert)
        try:
            description = self._description(template, context)
        except ConfigError as error:
            failed.append(failure_note(name, error, "the default description is used"))
            description = truncate(describe(alert))
        return summary, description

    def _fields_or_left_out(
        self, fields: Mapping[str, Any], context: Mapping[str, Any], failed: list[str]
    ) -> dict[str, Any]:
        """`render_fields`, but a field whose template fails for this alert is left out."""
        rendered: dict[str, Any] = {}
        for name, value in fields.items():
            try:
                rendered[name] = self._render_value(name, value, context)
            except PermanentError as error:
                failed.append(failure_note(f"fields.{name}", error, "the field is left out"))
        return rendered

    def render_template(self, name: str, context: Mapping[str, Any]) -> tuple[str, Document]:
        """The clipped one-line summary and the truncated description of template `name`;
        a ConfigError when it fails for this context."""
        template = self._get(name)
        return self._summary(template, context), self._description(template, context)

    def _get(self, name: str) -> RenderedIssue:
        template = self._templates.get(name)
        if template is None:  # a configuration error (`config check`), not the alert's
            known = ", ".join(sorted(self._templates)) or "none"
            raise PermanentError(f"template {name!r} is not defined (defined: {known})")
        return template

    def _summary(self, template: RenderedIssue, context: Mapping[str, Any]) -> str:
        summary = " ".join(self._engine.render(template.summary, context).split())
        return clip_summary(summary or "(no summary)")

    def _description(self, template: RenderedIssue, context: Mapping[str, Any]) -> Document:
        return truncate(self._engine.render_document(template.description, context))

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


def with_failure_note(draft: IssueDraft, failed: Sequence[str]) -> IssueDraft:
    """`draft` with the notes of the templates that failed for its alert: a warning panel
    first in the description (text nodes: alert data never becomes markup) and the draft's
    warnings, which `explain` shows. No note: `draft` itself."""
    if not failed:
        return draft
    description = draft.description or Document(())
    note = Panel("warning", tuple(Paragraph((Text(line),)) for line in failed))
    return replace(
        draft,
        description=truncate(Document((note, *description.blocks))),
        warnings=tuple(failed),
    )


def failure_note(template: str, error: Exception, instead: str) -> str:
    """The note of a template that failed for this alert: which, why, what was used instead."""
    message = " ".join(str(error).split())
    if len(message) > _MAX_ERROR:
        message = message[:_MAX_ERROR] + "…"
    return f"ticketbridge: the template {template!r} failed for this alert ({message}); {instead}."
