"""Named, sandboxed Jinja2 templates, rendered to text or to a Document.

A template is Markdown (default) or Jira wiki markup (`fmt="wiki"`); Jinja runs first, then the
matching parser. Autoescaping is off (the output is Markdown or wiki markup, not HTML); untrusted
values should pass through `| md_escape` or `| wiki_escape` (both take `inline=true` to fold
newlines for table cells). In a wiki template `{{…}}` is Jinja: write monospace as
`{% raw %}{{text}}{% endraw %}`.

`render_document` of a Markdown template takes a fast path (`skeleton.py`): Jinja runs with
placeholders for the `{{ … }}` outputs, the text with placeholders is parsed once per shape and
the values are filled in where that gives exactly the Document parsing the real text gives;
otherwise the real text is parsed. `TemplateEngine(fast=False)` always parses (the reference the
fast path is tested against). Templates that capture output (`{% set %}…{% endset %}`, macros,
call/filter blocks, blocks, recursive loops, autoescape blocks) always parse.

Every failure is a `ConfigError` whose problem path is `templates.<name>`, with the line in the
template where Jinja knows it: syntax errors at `compile`, undefined names, sandbox violations
and budget overruns at `render`. The sandbox (see `sandbox.py`) makes escapes fail before they
run anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import TracebackType
from typing import Any, Literal

from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError, nodes
from jinja2.environment import Template
from jinja2.exceptions import SecurityError

from ticketbridge.errors import ConfigError, Problem
from ticketbridge.render.document import Document
from ticketbridge.render.markdown import parse_markdown
from ticketbridge.render.sandbox import (
    ITERATION_FILTER,
    Budget,
    OutputRecorder,
    Sandbox,
    active_budget,
    active_recorder,
)
from ticketbridge.render.skeleton import fill_measured, real_text
from ticketbridge.render.wiki_in import parse_wiki

__all__ = ["CompiledTemplate", "TemplateEngine", "TemplateFormat"]

TemplateFormat = Literal["markdown", "wiki"]
_FORMATS: tuple[TemplateFormat, ...] = ("markdown", "wiki")
# Nodes whose output is captured into a value (not written out): placeholders there would be
# seen by the template's own code, so such templates never take the fast path.
_CAPTURING = (
    nodes.Macro,
    nodes.CallBlock,
    nodes.FilterBlock,
    nodes.AssignBlock,
    nodes.Block,
    nodes.ScopedEvalContextModifier,
    nodes.EvalContextModifier,
)
# What a template's own code can raise while rendering (never a bare `except Exception`).
_RENDER_ERRORS = (
    TemplateError,
    ArithmeticError,
    LookupError,
    TypeError,
    ValueError,
    AttributeError,
    RecursionError,
    MemoryError,
)


@dataclass(frozen=True, eq=False)
class CompiledTemplate:
    """A compiled template: render it with `TemplateEngine.render` or `render_document`."""

    name: str
    fmt: TemplateFormat
    template: Template
    fillable: bool = False  # outputs are only written out: the fast path may record them

    @property
    def filename(self) -> str:
        return _filename(self.name)


class TemplateEngine:
    """Compiles and renders templates in the sandbox; one engine can serve every thread."""

    def __init__(
        self,
        *,
        max_output: int = 200_000,
        max_iterations: int = 100_000,
        max_seconds: float = 2.0,
        fast: bool = True,
    ) -> None:
        self._env = Sandbox()
        self.fast = fast
        self._templates: dict[str, CompiledTemplate] = {}
        self.max_output = max_output
        self.max_iterations = max_iterations
        self.max_seconds = max_seconds

    def compile(self, name: str, source: str, fmt: TemplateFormat = "markdown") -> CompiledTemplate:
        """Compile `source` as template `name` (kept for `render(name, …)`)."""
        if fmt not in _FORMATS:
            raise _config_error(name, f"unknown format {fmt!r} (use markdown or wiki)", None)
        filename = _filename(name)
        try:
            tree = self._env.parse(source, name, filename)
            _refuse_loading(tree, name)
            _budget_loops(tree)
            fillable = _writes_outputs_only(tree)
            code = self._env.compile(tree, name, filename)
        except TemplateSyntaxError as error:
            raise _config_error(name, f"syntax error: {error.message}", error.lineno) from None
        # A plain dict, not the ChainMap `make_globals` gives: Jinja copies the globals into
        # every render's context, and iterating a ChainMap costs more than the render itself.
        # The sandbox's globals are set once, in its constructor, so a copy sees them all.
        globals_ = dict(self._env.make_globals(None))
        template = self._env.template_class.from_code(self._env, code, globals_, None)
        compiled = CompiledTemplate(name, fmt, template, fillable)
        self._templates[name] = compiled
        return compiled

    def get(self, name: str) -> CompiledTemplate:
        try:
            return self._templates[name]
        except KeyError:
            raise _config_error(name, "no template of this name", None) from None

    def __contains__(self, name: object) -> bool:
        return name in self._templates

    def render(self, template: str | CompiledTemplate, context: Mapping[str, Any]) -> str:
        """Render to text; every failure is a ConfigError naming the template (and line)."""
        compiled = self.get(template) if isinstance(template, str) else template
        return self._run(compiled, context, None)

    def render_document(
        self,
        template: str | CompiledTemplate,
        context: Mapping[str, Any],
        fmt: TemplateFormat | None = None,
    ) -> Document:
        """Jinja, then the parser of the template's format (or `fmt`)."""
        return self.render_measured(template, context, fmt)[0]

    def render_measured(
        self,
        template: str | CompiledTemplate,
        context: Mapping[str, Any],
        fmt: TemplateFormat | None = None,
    ) -> tuple[Document, int | None]:
        """`render_document`, and the Document's `text_measure` when the fast path knows it
        without a pass over the Document (None otherwise)."""
        compiled = self.get(template) if isinstance(template, str) else template
        fmt = fmt or compiled.fmt
        if self.fast and fmt == "markdown" and compiled.fillable:
            return self._render_filled(compiled, context)
        return _parse(fmt, self.render(compiled, context)), None

    def _render_filled(
        self, compiled: CompiledTemplate, context: Mapping[str, Any]
    ) -> tuple[Document, int | None]:
        """The fast path: the same budgets and errors, the values recorded (module docstring)."""
        recorder = OutputRecorder()
        skeleton = self._run(compiled, context, recorder)
        filled = fill_measured(skeleton, recorder.values)
        if filled is not None:
            return filled
        text = real_text(skeleton, recorder.values)
        source = text if text is not None else self.render(compiled, context)
        return _parse("markdown", source), None

    def _run(
        self,
        compiled: CompiledTemplate,
        context: Mapping[str, Any],
        recorder: OutputRecorder | None,
    ) -> str:
        """Render under a fresh budget; every failure a ConfigError naming template and line."""
        budget = Budget(self.max_seconds, self.max_iterations, self.max_output)
        token = active_budget().set(budget)
        recording = active_recorder().set(recorder)  # None: outputs are written as they are
        try:
            return self._render(compiled, context, recorder)
        except _RENDER_ERRORS as error:
            line = _template_line(error.__traceback__, compiled.filename)
            raise _config_error(compiled.name, _describe(error), line) from None
        finally:
            active_recorder().reset(recording)
            active_budget().reset(token)

    def _render(
        self,
        compiled: CompiledTemplate,
        context: Mapping[str, Any],
        recorder: OutputRecorder | None,
    ) -> str:
        parts: list[str] = []
        size = 0
        # What `Template.generate` does, less its generator wrapped around the template's.
        template = compiled.template
        chunks = template.root_render_func(template.new_context(dict(context)))
        try:
            for chunk in chunks:
                # With a recorder the chunks hold placeholders: count the real outputs' length.
                size += len(chunk)
                if size + (recorder.extra if recorder is not None else 0) > self.max_output:
                    raise SecurityError(f"output is longer than {self.max_output:,} characters")
                parts.append(chunk)
        except _RENDER_ERRORS:
            self._env.handle_exception()  # Jinja's: the traceback shows the template's lines
        return "".join(parts)


@lru_cache(maxsize=512)
def _parse(fmt: TemplateFormat, text: str) -> Document:
    """Parsing costs far more than Jinja; repeats (digests, plan, replay) reuse the Document,
    which is immutable and so safe to share."""
    return parse_wiki(text) if fmt == "wiki" else parse_markdown(text)


def _filename(name: str) -> str:
    return f"<templates.{name}>"


def _config_error(name: str, message: str, line: int | None) -> ConfigError:
    problem = Problem(path=f"templates.{name}", message=message, line=line)
    return ConfigError(f"template {name!r} is refused", [problem])


def _refuse_loading(tree: nodes.Template, name: str) -> None:
    loading = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)
    for node in tree.find_all(loading):
        kind = type(node).__name__.lower()
        message = f"{kind} is not supported: templates are self-contained"
        raise TemplateSyntaxError(message, node.lineno, name)


def _writes_outputs_only(tree: nodes.Template) -> bool:
    """No `{{ … }}` output of the template is captured into a value (`_CAPTURING`)."""
    if any(True for _ in tree.find_all(_CAPTURING)):
        return False
    return not any(loop.recursive for loop in tree.find_all(nodes.For))


def _budget_loops(tree: nodes.Template) -> None:
    """Wrap every loop's iterable so each iteration counts against the render's budget."""
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Filter(
            loop.iter, ITERATION_FILTER, [], [], None, None, lineno=loop.lineno
        )


def _describe(error: BaseException) -> str:
    if isinstance(error, UndefinedError):
        return f"undefined name: {error.message}"
    if isinstance(error, SecurityError):
        return f"refused by the template sandbox: {error}"
    if isinstance(error, RecursionError):
        return "recursion too deep"
    if isinstance(error, TemplateError):
        return f"template error: {error.message}"
    return f"{type(error).__name__}: {error}"


def _template_line(trace: TracebackType | None, filename: str) -> int | None:
    """The template line Jinja's rewritten traceback points at (the innermost one)."""
    line = None
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == filename:
            line = trace.tb_lineno
        trace = trace.tb_next
    return line
