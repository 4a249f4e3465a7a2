"""The template engine: sandbox escapes fail with a clear ConfigError and never execute."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jinja2 import StrictUndefined, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ticketbridge.errors import ConfigError
from ticketbridge.render import (
    Document,
    Heading,
    Link,
    Paragraph,
    Table,
    TemplateEngine,
    Text,
    to_text,
)


class Recorder:
    """A context value whose every use is recorded, to prove escapes run nothing."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any) -> str:
        self.calls.append(args)
        return "called"

    def delete(self) -> None:
        self.calls.append(("delete",))

    delete.alters_data = True  # type: ignore[attr-defined]  # Django's convention, honoured

    def _private(self) -> None:
        self.calls.append(("private",))


def render_error(source: str, context: dict[str, Any], **limits: Any) -> ConfigError:
    engine = TemplateEngine(**limits)
    with pytest.raises(ConfigError) as caught:
        engine.render(engine.compile("probe", source), context)
    return caught.value


MARKER = Path("/tmp/ticketbridge-render-sandbox-escape-marker")
TOUCH = f"system('touch {MARKER}')"
NESTED_LOOPS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
DOUBLING = "{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}"

ESCAPES: list[tuple[str, str, str]] = [
    ("class walk", "{{ ''.__class__.__mro__[1].__subclasses__() ~ rec() }}", "'__class__'"),
    ("cycler globals", "{{ cycler.__init__.__globals__.os." + TOUCH + " }}", "'__init__'"),
    ("template reference", "{{ self._TemplateReference__context }}", "'_TemplateReference__"),
    ("lipsum is gone", "{{ lipsum.__globals__['os']." + TOUCH + " }}", "'lipsum' is undefined"),
    ("namespace internals", "{{ namespace.__init__.__globals__ }}", "'__init__'"),
    ("underscore attribute", "{{ rec._private() }}", "'_private'"),
    ("dunder call", "{{ rec.__call__('x') }}", "'__call__'"),
    ("function globals", "{{ rec.__globals__ }}", "'__globals__'"),
    ("altering method", "{{ rec.delete() }}", "not safely callable"),
    ("list mutation", "{{ items.append(rec()) }}", "'append'"),
    ("format attribute walk", "{{ rec('{0.__class__.__mro__}'.format('')) }}", "'__class__'"),
    ("format item walk", "{{ rec('{0[__class__]}'.format('')) }}", "'__class__'"),
    ("format_map walk", "{{ rec('{x.__init__}'.format_map({'x': rec})) }}", "'__init__'"),
]
# Budgets: the render stops where one is reached, keeps what it wrote, and says which (never an
# error: an alert's size must not make a create fail).
LIMITS: list[tuple[str, str, str]] = [
    (
        "huge range",
        "{% for i in range(10**9) %}{{ rec() }}{% endfor %}",
        "range() of 1,000,000,000",
    ),
    ("huge string before the call", "{{ rec('a' * 10**9) }}", "would be 1,000,000,000 long"),
    ("huge power", "{{ rec(10 ** 1000000) }}", "too large"),
    ("printf width", "{{ rec('%999999999s' % 'a') }}", "format width"),
    ("format width", "{{ rec('{:>999999999}'.format(1)) }}", "format width"),
    ("center filter", "{{ rec('a'|center(10**9)) }}", "center filter"),
    ("replace blow-up", "{{ rec(('x' * 100000)|replace('x', 'x' * 100000)) }}", "replace filter"),
    ("join blow-up", "{{ rec(range(100000)|join('x' * 100000)) }}", "join filter"),
    ("nested loops", NESTED_LOOPS + "{{ rec() }}", "too many loop iterations"),
    ("doubling", "{% set ns = namespace(s='ab') %}" + DOUBLING + "{{ rec() }}", "a concatenation"),
]


@pytest.fixture(autouse=True)
def _no_marker() -> None:
    MARKER.unlink(missing_ok=True)


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in LIMITS], ids=[c[0] for c in LIMITS]
)
def test_a_budget_stops_the_render_with_a_marker_and_runs_nothing(
    source: str, expected: str
) -> None:
    rec = Recorder()
    engine = TemplateEngine()

    text = engine.render(engine.compile("probe", "before " + source), {"rec": rec})

    assert rec.calls == []
    written, marker = text.split("\n")
    assert written == "before "
    assert marker.startswith("… truncated by ticketbridge: ")
    assert expected in marker


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in ESCAPES], ids=[c[0] for c in ESCAPES]
)
def test_sandbox_escape_fails_clearly_and_runs_nothing(source: str, expected: str) -> None:
    rec = Recorder()

    error = render_error(source, {"rec": rec, "items": [1, 2]})

    assert rec.calls == []
    assert not MARKER.exists()
    [problem] = error.problems
    assert problem.path == "templates.probe"
    assert problem.line == 1
    assert expected in problem.message
    assert "templates.probe (line 1)" in str(error)


def test_the_recorder_does_record_an_allowed_call() -> None:
    """Guard for the test above: a legitimate call is seen."""
    rec = Recorder()
    engine = TemplateEngine()

    assert engine.render(engine.compile("ok", "{{ rec('x') }}"), {"rec": rec}) == "called"
    assert rec.calls == [("x",)]


def test_a_long_render_is_stopped_by_the_time_budget() -> None:
    source = (
        "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(40) }}"
    )

    engine = TemplateEngine(max_seconds=0.2)

    text = engine.render(engine.compile("probe", source), {})

    assert text.endswith("\n… truncated by ticketbridge: rendering took longer than 0.2 s")


def test_output_is_cut_at_the_limit_with_a_marker() -> None:
    engine = TemplateEngine(max_output=1000)

    text = engine.render(engine.compile("probe", "{{ 'x' * 900 }}{{ 'y' * 900 }}"), {})

    assert text == (
        "x" * 900
        + "y" * 100
        + "\n… truncated by ticketbridge: the template's output reached 1,000 characters"
    )


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        ("ok\n{{ alert.title", 2, "syntax error: unexpected end of template"),
        ("{% for x in y %}\nno end", 1, "syntax error: Unexpected end of template"),
        ("a\n\n{% include 'other' %}", 3, "include is not supported"),
        ("{% import 'm' as m %}", 1, "import is not supported"),
    ],
)
def test_compile_errors_name_the_template_and_line(source: str, line: int, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        TemplateEngine().compile("hallucination_bug.description", source)

    [problem] = caught.value.problems
    assert problem.path == "templates.hallucination_bug.description"
    assert problem.line == line
    assert message in problem.message


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        (
            "T\n{{ alert.title }}\n{{ alert.nope }}",
            3,
            "undefined name: 'dict object' has no attribute",
        ),
        ("{{ nobody }}", 1, "undefined name: 'nobody' is undefined"),
        ("{% if nobody %}x{% endif %}", 1, "'nobody' is undefined"),
        ("\n{{ 1 / 0 }}", 2, "ZeroDivisionError: division by zero"),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", 1, "recursion too deep"),
    ],
)
def test_render_errors_name_the_template_the_line_and_the_name(
    source: str, line: int, message: str
) -> None:
    error = render_error(source, {"alert": {"title": "T"}})

    [problem] = error.problems
    assert (problem.path, problem.line) == ("templates.probe", line)
    assert message in problem.message


def test_templates_render_by_name_to_a_document_in_their_format() -> None:
    engine = TemplateEngine()
    engine.compile("md", "## {{ title }}\n[console]({{ url }})")
    engine.compile("wiki", "h2. {{ title }}\n[console|{{ url }}]", fmt="wiki")
    context = {"title": "Drift", "url": "https://c.example/1"}
    expected = Document((
        Heading(2, (Text("Drift"),)),
        Paragraph((Text("console", (Link("https://c.example/1"),)),)),
    ))  # fmt: skip

    assert engine.render_document("md", context) == expected
    assert engine.render_document("wiki", context) == expected
    assert "md" in engine
    assert "nope" not in engine


def test_unknown_template_and_format_are_config_errors() -> None:
    engine = TemplateEngine()

    with pytest.raises(ConfigError, match=r"templates\.nope: no template of this name"):
        engine.render("nope", {})
    with pytest.raises(ConfigError, match="unknown format 'html'"):
        engine.compile("x", "", fmt="html")  # type: ignore[arg-type]


def test_escape_filters_keep_user_text_out_of_the_markup() -> None:
    engine = TemplateEngine()
    engine.compile("md", "| F | V |\n|---|---|\n| R | {{ v | md_escape(inline=true) }} |")
    engine.compile("wiki", "||F||V||\n|R|{{ v | wiki_escape(inline=true) }}|", fmt="wiki")
    hostile = "a | b\n**x** [y](https://evil.example) @[boss] {code} [~boss]"

    for name in ("md", "wiki"):
        doc = engine.render_document(name, {"v": hostile})
        [table] = doc.blocks
        assert isinstance(table, Table)
        assert len(table.rows[1].cells) == 2
        value = table.rows[1].cells[1]
        assert to_text(Document(value.content)).replace("\n", " ") == hostile.replace("\n", " ")


DICT_LOOKUPS = [
    "{{ d.a }}",
    "{{ d.nested.b }}",
    "{{ d['a'] }}",
    "{{ d.missing | default('fallback') }}",
    "{{ d.missing is defined }}",
    "{{ d.items() | list | length }}",  # a dict attribute wins over the key of that name
    "{{ d.get('a') }}",
    "{{ d.keys is callable }}",
    "{{ d.copy is defined }}",
    "{{ d.missing }}",
    "{{ d.nested.missing }}",
    "{{ d.__class__ }}",
    "{{ d.mro }}",
]


def jinja_sandbox_outcome(source: str, context: dict[str, Any]) -> tuple[str, str]:
    """What Jinja's own sandbox gives: ("ok", text), ("undefined", message) or ("refused", "")."""
    reference = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    try:
        return "ok", reference.from_string(source).render(context)
    except UndefinedError as error:
        return "undefined", str(error.message)
    except SecurityError:
        return "refused", ""


@pytest.mark.parametrize("source", DICT_LOOKUPS)
def test_dict_lookups_are_jinjas_sandbox_lookups(source: str) -> None:
    """The sandbox reads a plain dict's keys without Jinja's try-getattr-first dance; the
    result (value, undefined, refusal) must be what Jinja's own sandbox gives."""
    context = {"d": {"a": 1, "items": "shadowed", "copy": 2, "nested": {"b": "x"}}}
    kind, expected = jinja_sandbox_outcome(source, context)
    if kind == "ok":
        engine = TemplateEngine()
        assert engine.render(engine.compile("probe", source), context) == expected
    else:
        message = render_error(source, context).problems[0].message
        assert expected in message
        assert ("refused by the template sandbox" in message) == (kind == "refused")


def test_values_are_escaped_in_documents_unless_marked_and_never_in_text() -> None:
    engine = TemplateEngine()
    md = engine.compile(
        "md", "{{ v }} {{ v | safe }}\n\n| a |\n|---|\n| {{ w | md_escape(inline=true) }} |"
    )
    wiki = engine.compile("wiki", "{{ v }} {{ w }}", fmt="wiki")
    context = {"v": "**b** [l](https://x.example)", "w": "x | *y*\nz"}

    document = engine.render_document(md, context)
    [paragraph, table] = document.blocks
    assert isinstance(paragraph, Paragraph)
    assert isinstance(table, Table)
    assert paragraph.content == (
        Text("**b** [l](https://x.example) "),
        Text("b", ("strong",)),
        Text(" "),
        Text("l", (Link("https://x.example"),)),
    )
    assert to_text(Document(table.rows[1].cells[0].content)) == "x | *y* z"
    assert to_text(engine.render_document(wiki, context)) == (
        "**b** [l](https://x.example) x | *y*\nz"
    )
    assert engine.render(md, context).startswith("**b** [l](https://x.example) **b**")
