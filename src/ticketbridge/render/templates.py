"""Named, sandboxed Jinja2 templates, rendered to text or to a Document.

A template is Markdown (default) or Jira wiki markup (`fmt="wiki"`); Jinja runs first, then the
matching parser. Values are escaped by default when a document is rendered (`render_document`):
every `{{ … }}` is text in the template's markup (`md_escape` or `wiki_escape`) unless it is
already markup — `| md_escape(inline=true)` (newlines folded, for table cells), `| url` (a link
target, whole and percent-encoded), or `| safe` (trusted Markdown, never alert text). `render`
(summaries, field values, group keys: plain text) does not escape. In a wiki template `{{…}}` is
Jinja: write monospace as `{% raw %}{{text}}{% endraw %}`. A mention survives in a document only
when the template's own text writes it (render/safety.py).

Budgets never fail a render: output past `max_output` characters, loops past `max_iterations`
iterations, renders past `max_seconds`, and any value the sandbox would refuse to build for its
size end the render where they are reached; what was written is kept, followed by the marker
"… truncated by ticketbridge: <which limit>". So no alert, however large, makes a create fail.

`render_document` of a Markdown template fills a skeleton (`skeleton.py`): Jinja runs with
placeholders for the `{{ … }}` outputs, the text with placeholders is parsed once per shape and
the values are filled in where that gives exactly the Document parsing the real text gives;
otherwise (a value that could change the Markdown structure, a budget that stopped the render)
the real text is parsed. Parsing every render was 3,000 issues/s with the SPEC template, under
the 5,000/s Jira can take (bench/RESULTS.md "One path per job"). Templates that capture output
(`{% set %}…{% endset %}`, macros, call/filter blocks, blocks, recursive loops, autoescape
blocks), and wiki templates, are parsed.
The real text is the skeleton with each value written as its place wants it (`placed_values`,
from the skeleton's parse): in a code span or a top-level fenced code block as it is, when
nothing in it can end the code, everywhere else escaped. Templates that capture output, and
skeletons that cannot be planned, escape every value (code then shows the escapes).

Every failure is a `ConfigError` whose problem path is `templates.<name>`, with the line in the
template where Jinja knows it: syntax errors at `compile`, undefined names and sandbox violations
at `render`. The sandbox (see `sandbox.py`) makes escapes fail before they run anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import TracebackType
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError, nodes
from jinja2.environment import Template
from jinja2.exceptions import SecurityError

from ticketbridge.domain.states import TemplateFormat
from ticketbridge.errors import ConfigError, Problem
from ticketbridge.render.document import Document, Paragraph, Text
from ticketbridge.render.markdown import md_escape, parse_markdown
from ticketbridge.render.safety import MARKDOWN_MENTION, WIKI_MENTION, keep_mentions
from ticketbridge.render.sandbox import (
    ITERATION_FILTER,
    Budget,
    Escape,
    OutputRecorder,
    Sandbox,
    SandboxLimitError,
    active_budget,
    active_escape,
    active_recorder,
)
from ticketbridge.render.skeleton import fill_markdown, placed_values, real_text
from ticketbridge.render.wiki import wiki_escape
from ticketbridge.render.wiki_in import parse_wiki

_FORMATS: tuple[TemplateFormat, ...] = ("markdown", "wiki")
_ESCAPES: dict[TemplateFormat, Escape] = {"markdown": md_escape, "wiki": wiki_escape}
# How a mention is written in each format (a mention the template does not write goes back to it).
_MENTION_TEXT: dict[TemplateFormat, Callable[[str], str]] = {
    "markdown": lambda account: f"@[{account}]",
    "wiki": lambda account: f"[~{account}]",
}
_MENTION_START: dict[TemplateFormat, str] = {"markdown": "@[", "wiki": "[~"}
LIMIT_MARKER = "… truncated by ticketbridge: {reason}"
"""Ends a render a budget stopped (`{reason}` names the limit)."""
# Nodes whose output is captured into a value (not written out): placeholders there would be
# seen by the template's own code, so such templates are always parsed.
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
    fillable: bool = False  # outputs are only written out: the skeleton fill may record them
    mentions: frozenset[str] = field(default=frozenset())  # the ids its own text mentions

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
    ) -> None:
        self._env = Sandbox()
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
        compiled = CompiledTemplate(name, fmt, template, fillable, _written_mentions(source))
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
        """Render to text, values as they are; every failure is a ConfigError naming the
        template (and line). A render a budget stopped ends with `LIMIT_MARKER`."""
        compiled = self.get(template) if isinstance(template, str) else template
        output = self._run(compiled, context, None, None)
        if output.stopped is None:
            return output.text
        return f"{output.text}\n{LIMIT_MARKER.format(reason=output.stopped)}"

    def render_document(
        self,
        template: str | CompiledTemplate,
        context: Mapping[str, Any],
        fmt: TemplateFormat | None = None,
    ) -> Document:
        """Jinja, then the parser of the template's format (or `fmt`); a Markdown template's
        skeleton is filled where that gives the parse's Document with certainty."""
        compiled = self.get(template) if isinstance(template, str) else template
        fmt = fmt or compiled.fmt
        if fmt == "markdown" and compiled.fillable:
            return self._render_placed(compiled, context)
        output = self._run(compiled, context, None, _ESCAPES[fmt])
        return self._document(compiled, fmt, output.text, output.stopped)

    def _render_placed(self, compiled: CompiledTemplate, context: Mapping[str, Any]) -> Document:
        """A Markdown template whose outputs are only written out: the values are recorded
        and each is written as its place in the document wants it (`placed_values`: code as it
        is, the rest escaped), filled into the skeleton's cached parse where certain."""
        recorder = OutputRecorder()
        output = self._run(compiled, context, recorder, md_escape)
        values, as_is = recorder.values, recorder.as_is
        if output.stopped is None:
            filled = fill_markdown(output.text, values, as_is, compiled.mentions)
            if filled is not None:
                return filled
        text = real_text(output.text, placed_values(output.text, values, as_is))
        if text is None:  # the template's own text holds placeholder characters
            output = self._run(compiled, context, None, md_escape)
            text = output.text
        elif output.stopped is not None:
            text = text[: self.max_output]
        return self._document(compiled, "markdown", text, output.stopped)

    def _document(
        self, compiled: CompiledTemplate, fmt: TemplateFormat, text: str, stopped: str | None
    ) -> Document:
        """The parse of a render's text: mentions only the template's own, and the marker
        when a budget stopped the render."""
        document = _parse(fmt, text)
        if _MENTION_START[fmt] in text:  # else the document holds no mention to check
            document = keep_mentions(document, compiled.mentions, _MENTION_TEXT[fmt])
        if stopped is not None:
            marker = Paragraph((Text(LIMIT_MARKER.format(reason=stopped), ("em",)),))
            document = Document((*document.blocks, marker))
        return document

    def _run(
        self,
        compiled: CompiledTemplate,
        context: Mapping[str, Any],
        recorder: OutputRecorder | None,
        escape: Escape | None,
    ) -> _Output:
        """Render under a fresh budget; every failure a ConfigError naming template and line."""
        budget = Budget(self.max_seconds, self.max_iterations, self.max_output)
        token = active_budget().set(budget)
        recording = active_recorder().set(recorder)  # None: outputs are written as they are
        escaping = active_escape().set(escape)  # None: values are written as they are
        try:
            return self._render(compiled, context, recorder)
        except _RENDER_ERRORS as error:
            line = _template_line(error.__traceback__, compiled.filename)
            raise _config_error(compiled.name, _describe(error), line) from None
        finally:
            active_escape().reset(escaping)
            active_recorder().reset(recording)
            active_budget().reset(token)

    def _render(
        self,
        compiled: CompiledTemplate,
        context: Mapping[str, Any],
        recorder: OutputRecorder | None,
    ) -> _Output:
        parts: list[str] = []
        size = 0
        stopped: str | None = None
        # What `Template.generate` does, less its generator wrapped around the template's.
        template = compiled.template
        chunks = template.root_render_func(template.new_context(dict(context)))
        try:
            for chunk in chunks:
                # With a recorder the chunks hold placeholders: count the real outputs' length.
                size += len(chunk)
                if size + (recorder.extra if recorder is not None else 0) > self.max_output:
                    stopped = f"the template's output reached {self.max_output:,} characters"
                    # With a recorder the caller cuts the real text (values placed) instead.
                    parts.append(
                        chunk if recorder else chunk[: self.max_output - size + len(chunk)]
                    )
                    break
                parts.append(chunk)
        except SandboxLimitError as limit:  # a budget: keep what was written (module docstring)
            stopped = str(limit)
        except _RENDER_ERRORS:
            self._env.handle_exception()  # Jinja's: the traceback shows the template's lines
        return _Output("".join(parts), stopped)


@dataclass(frozen=True, slots=True)
class _Output:
    """What a render wrote; `stopped` names the budget that ended it early (None: it ran)."""

    text: str
    stopped: str | None


@lru_cache(maxsize=512)
def _parse(fmt: TemplateFormat, text: str) -> Document:
    """Parsing costs far more than Jinja; repeats (digests, plan, replay) reuse the Document,
    which is immutable and so safe to share."""
    return parse_wiki(text) if fmt == "wiki" else parse_markdown(text)


def _written_mentions(source: str) -> frozenset[str]:
    """The account ids a template's own text mentions (in either format's syntax)."""
    found = MARKDOWN_MENTION.findall(source) + WIKI_MENTION.findall(source)
    return frozenset(found)


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
