"""`JiraTemplate`: reusable issue templates as seed 000 defines them.

    template = JiraTemplate(
        name="Hallucination Bug", project_key="OPS", issue_type="Bug",
        fields={"summary": "Hallucination: {{alert.title}}", "description": "h2. Issue\\n…",
                "priority": "High", "labels": ["hallucination"], "components": [{"name": "AI"}]},
    )
    handler.create_issue_from_template(template="hallucination_bug", context=alert_data)

Summary, description and every other text value (in lists and objects too) are sandboxed
Jinja2 (`render.TemplateEngine`) over `alert` (the context) and the context's own keys. The
description is Markdown or Jira wiki markup (`format=`); the default `"auto"` reads it as wiki
when it uses wiki syntax (`h2.` headings, `||` tables, `[title|url]` links, `{code}`), as seed
000's template does, else as Markdown. It is rendered to ADF on Cloud, wiki markup on DC.

A template registers itself by name and by its snake_case slug ("Hallucination Bug" →
`hallucination_bug`), process-wide, because seed 000 refers to templates by that slug in
`create_issue_from_template(template=…)` and in `configure_rule(action={"template": …})`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ticketbridge.errors import ConfigError, Problem
from ticketbridge.render import Document, TemplateEngine, TemplateFormat

TemplateFormatChoice = Literal["markdown", "wiki", "auto"]
_WIKI_SYNTAX = re.compile(
    r"^\s*h[1-6]\.\s|^\s*\|\||\[[^\]\n|]+\|[^\]\n]+\]|\{code|\{noformat|^\s*bq\.\s", re.M
)
_REGISTRY: dict[str, JiraTemplate] = {}
_REGISTRY_LOCK = threading.Lock()


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


@dataclass(frozen=True, eq=False)
class JiraTemplate:
    name: str
    summary: str | None = None
    description: str | None = None
    format: TemplateFormatChoice = "auto"
    project_key: str | None = None
    issue_type: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    _engine: TemplateEngine = field(default_factory=TemplateEngine, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ConfigError("invalid template", [Problem("name", "must not be empty")])
        if self.format not in ("markdown", "wiki", "auto"):
            problem = Problem(f"templates.{self.name}.format", "use markdown, wiki or auto")
            raise ConfigError("invalid template", [problem])
        if self.summary_source is None:
            problem = Problem(f"templates.{self.name}.summary", "a template needs a summary")
            raise ConfigError("invalid template", [problem])
        self._compile()
        with _REGISTRY_LOCK:
            _REGISTRY[self.name] = self
            _REGISTRY[slug(self.name)] = self

    @property
    def summary_source(self) -> str | None:
        value = self.summary if self.summary is not None else self.fields.get("summary")
        return value if isinstance(value, str) else None

    @property
    def description_source(self) -> str | None:
        value = self.description if self.description is not None else self.fields.get("description")
        return value if isinstance(value, str) else None

    @property
    def description_format(self) -> TemplateFormat:
        if self.format != "auto":
            return self.format
        text = self.description_source or ""
        return "wiki" if _WIKI_SYNTAX.search(text) else "markdown"

    def _compile(self) -> None:
        self._engine.compile(f"{self.name}.summary", self.summary_source or "")
        description = self.description_source
        if description is not None:
            self._engine.compile(f"{self.name}.description", description, self.description_format)
        for path, text in _texts(self.fields):
            self._engine.compile(f"{self.name}.{path}", text)

    def render_summary(self, context: Mapping[str, Any]) -> str:
        return " ".join(self._engine.render(f"{self.name}.summary", context).split())

    def render_description(self, context: Mapping[str, Any]) -> Document | None:
        if self.description_source is None:
            return None
        return self._engine.render_document(f"{self.name}.description", context)

    def render_fields(self, context: Mapping[str, Any]) -> dict[str, Any]:
        """Jira-style `fields` with summary, description and every text value rendered."""
        rendered: dict[str, Any] = {
            key: self._render_value(key, value, context)
            for key, value in self.fields.items()
            if key not in ("summary", "description")
        }
        rendered["summary"] = self.render_summary(context)
        description = self.render_description(context)
        if description is not None:
            rendered["description"] = description
        return rendered

    def _render_value(self, path: str, value: Any, context: Mapping[str, Any]) -> Any:
        if isinstance(value, str):
            return self._engine.render(f"{self.name}.{path}", context)
        if isinstance(value, list | tuple):
            return [
                self._render_value(f"{path}[{i}]", item, context) for i, item in enumerate(value)
            ]
        if isinstance(value, Mapping):
            return {k: self._render_value(f"{path}.{k}", v, context) for k, v in value.items()}
        return value


def _texts(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every text value of `fields` but summary and description, with its path
    (`labels[2]`, `components[0].name`): each is a template."""
    found: list[tuple[str, str]] = []

    def walk(path: str, value: Any) -> None:
        if isinstance(value, str):
            found.append((path, value))
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(f"{path}[{index}]", item)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                walk(f"{path}.{key}", item)

    for key, value in fields.items():
        if key not in ("summary", "description"):
            walk(key, value)
    return found


def find_template(template: JiraTemplate | str) -> JiraTemplate:
    """The template itself, or the registered one of that name or slug."""
    if isinstance(template, JiraTemplate):
        return template
    with _REGISTRY_LOCK:
        found = _REGISTRY.get(template) or _REGISTRY.get(slug(template))
    if found is None:
        raise ConfigError(
            "unknown template",
            [Problem(f"templates.{template}", "no JiraTemplate of this name was defined")],
        )
    return found


def template_context(data: Mapping[str, Any]) -> dict[str, Any]:
    """What a template sees: `alert` (the data) and the data's own keys, unless the data is
    already a context with an `alert` key."""
    if "alert" in data and isinstance(data["alert"], Mapping):
        return dict(data)
    return {**data, "alert": dict(data)}
