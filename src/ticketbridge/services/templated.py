"""`TemplateComposer`: the issue for an alert rendered from its route's template (`IssueComposer`).

The route's template (config `templates:` or a built-in) gives the summary (clipped to Jira's 255
characters, one line) and the description (Markdown or Jira wiki markup → `Document`, truncated
to Jira's limit; the provider renders it to ADF on Cloud, wiki markup on Data Center). Every
string value of the route's `fields`, and its labels, components, assignee and templated due
date, is a Jinja2 template too (services/route_values.py); a value that renders empty is left
out with a warning (`plan` shows it), never sent as `''`. Priority, issue type and marker come
from the route as routing decided; the outbox puts a grouped issue under its epic when it sends
it (services/grouping.py).
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
from ticketbridge.config.teams import teams_of
from ticketbridge.domain import Alert, Ticket
from ticketbridge.domain.route import Route
from ticketbridge.domain.teams import Team
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
from ticketbridge.services.route_values import RouteValues, failure_note, templated_values

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
        self._values: dict[tuple[str, str], CompiledTemplate] = {}
        self._fallback = DefaultComposer()
        self._teams: dict[str, Team] = {}

    @classmethod
    def from_config(
        cls, config: Config, *, engine: TemplateEngine | None = None
    ) -> TemplateComposer:
        """Compile the configuration's templates and every templated field value of its
        defaults and routes now: a syntax error is a ConfigError at start, not a dead job."""
        composer = cls(config.templates, engine=engine)
        composer._teams = teams_of(config.teams)
        for where, value in templated_values(config):
            if isinstance(value, str) and any(m in value for m in _JINJA_MARKS):
                composer._compile_value(where, value)
        return composer

    @property
    def template_names(self) -> tuple[str, ...]:
        return tuple(self._templates)

    def draft(self, alert: Alert, route: Route, ticket: Ticket) -> IssueDraft:
        context = template_context(alert)
        failed: list[str] = []
        values = RouteValues(
            self._render_text, context, failed, teams=self._teams, at=alert.received_at
        )
        fields = values.fields(route.fields)
        if route.template is None:
            draft = self._fallback.draft(alert, route, ticket)
        else:
            summary, description = self._templated(alert, route.template, context, failed)
            draft = IssueDraft(
                project=route.project,
                issue_type=route.issue_type,
                summary=summary,
                description=description,
                priority=route.priority,
                marker=Marker(ticket.marker_key),
            )
        draft = replace(
            draft,
            labels=values.labels(route.labels),
            components=values.components(route.components),
            assignee=values.assignee(route.assignee),
            due_date=values.due_date(route),
            fields=fields,
        )
        return with_failure_note(draft, failed, [*values.omitted, *values.resolved])

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
            return self._render_text(f"fields.{name}", value, context)
        if isinstance(value, list | tuple):
            return [self._render_value(name, item, context) for item in value]
        return value

    def _render_text(self, where: str, source: str, context: Mapping[str, Any]) -> str:
        """`source` rendered (stripped) when it is a template, else itself; `where` names it
        (`fields.Team`, `labels`)."""
        if not any(mark in source for mark in _JINJA_MARKS):
            return source  # a literal: no template to run
        try:
            compiled = self._values.get((where, source)) or self._compile_value(where, source)
            return self._engine.render(compiled, context).strip()
        except ConfigError as error:
            raise PermanentError(str(error)) from error

    def _compile_value(self, where: str, source: str) -> CompiledTemplate:
        compiled = self._values[(where, source)] = self._engine.compile(where, source)
        return compiled


def with_failure_note(
    draft: IssueDraft, failed: Sequence[str], omitted: Sequence[str] = ()
) -> IssueDraft:
    """`draft` with the notes of the templates that failed for its alert: a warning panel
    first in the description (text nodes: alert data never becomes markup) and the draft's
    warnings, which `explain` shows. `omitted` (values that rendered empty) are warnings only:
    an optional value is no failure worth a panel in the issue. No note: `draft` itself."""
    if not failed:
        return replace(draft, warnings=tuple(omitted)) if omitted else draft
    description = draft.description or Document(())
    note = Panel("warning", tuple(Paragraph((Text(line),)) for line in failed))
    return replace(
        draft,
        description=truncate(Document((note, *description.blocks))),
        warnings=(*failed, *omitted),
    )
