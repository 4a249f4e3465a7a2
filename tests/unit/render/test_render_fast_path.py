"""The fast path of Markdown templates (render/skeleton.py) gives exactly the Document parsing
the real text gives, whatever the template and the alert hold, and keeps every sandbox check.

The reference is `TemplateEngine(fast=False)` (Jinja → text → markdown-it, as before the fast
path); every property compares the two engines' Documents (or their errors) for equality.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import pickle
from collections.abc import Mapping
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from render_support import adf_errors
from test_render_seed_templates import CONTEXT, SEEDS

from support.realworld import REPO
from ticketbridge.errors import ConfigError
from ticketbridge.render import (
    Document,
    Link,
    Paragraph,
    TemplateEngine,
    Text,
    adf_size,
    parse_markdown,
    text_measure,
    to_adf,
)
from ticketbridge.render.adf import adf_and_size
from ticketbridge.render.builtin import BUILTIN_TEMPLATES
from ticketbridge.render.skeleton import PLAIN_URL, fill_markdown, real_text

EXAMPLES = int(os.environ.get("TICKETBRIDGE_HYPOTHESIS_EXAMPLES", "150"))
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# -- values an alert may carry: ordinary ones (the fast path fills them) and hostile ones ------

ALPHABET = (
    list("abcXYZ019 .-:/")
    + list("\\`*_{}[]()#+!|<>~&@$%^=;\"',?")
    + [
        "\n",
        "\t",
        "\r",
        "é",
        "—",
        "…",
        "😀",
        "\u00a0",
        "\u2028",
        "\ue000",
        "\ue001",
        "\x00",
    ]
)
TRICKY = [
    "",
    " ",
    "1. item",
    "1.5",
    "2) x",
    "- x",
    "# h",
    "C#",
    "a #",
    "> q",
    "    code",
    "***",
    "x*",
    "*x",
    "[!NOTE]",
    "@[abc]",
    "amp",
    "javascript:alert(1)",
    "a|b",
    "line\nbreak",
    "trailing  ",
    "\ue0000\ue001",
    "https://console.example/alerts/7",
]
ORDINARY = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 .:/-]{0,14}[A-Za-z0-9?]", fullmatch=True)
TEXT = st.text(alphabet=st.one_of(st.sampled_from(ALPHABET), st.characters()), max_size=16)
LEAF: st.SearchStrategy[Any] = st.one_of(
    ORDINARY,
    TEXT,
    st.sampled_from(TRICKY),
    st.none(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
)
URL = st.one_of(
    st.sampled_from(
        [
            "https://console.example/alerts/7",
            "https://ex.example/ü/a?b=c#d",
            "https://a.example/%zz%41",
            "/relative/path",
            "javascript:alert(1)",
            "https://a.example/a b",
            "https://a.example/(x)",
            "",
        ]
    ),
    ORDINARY,
    TEXT,
)


def optional(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=fields)


ENTRY = optional(timestamp=LEAF, actor=LEAF, action=LEAF)
EVIDENCE = optional(
    name=LEAF,
    id=LEAF,
    hashes=optional(md5=LEAF, sha1=LEAF, sha256=LEAF),
    custody_log=st.lists(ENTRY, max_size=2),
)
MITRE_ITEM = optional(id=LEAF, name=LEAF)
ATTRIBUTE_NAMES = ["query", "response", "category", "model", "policy_name", "action"]
ATTRIBUTE_NAMES += ["gateway_id", "user_id", "escalation_id", "control_id", "control_title"]
ATTRIBUTE_NAMES += ["framework", "failure_reason", "evidence_id"]
ATTRIBUTES = optional(
    **dict.fromkeys(ATTRIBUTE_NAMES, LEAF),
    mitre=optional(
        tactics=st.lists(MITRE_ITEM, max_size=2), techniques=st.lists(MITRE_ITEM, max_size=2)
    ),
    custody=optional(evidence=st.lists(EVIDENCE, max_size=2), log=st.lists(ENTRY, max_size=2)),
)
ALERT = st.fixed_dictionaries(
    {
        "id": LEAF,
        "title": LEAF,
        "description": LEAF,
        "source": LEAF,
        "severity": st.one_of(st.sampled_from(["critical", "high", "low"]), LEAF),
        "confidence": LEAF,
        "occurred_at": st.one_of(st.just("2026-11-20T10:00:00+00:00"), LEAF),
        "attributes": ATTRIBUTES,
        "links": st.lists(st.fixed_dictionaries({"title": LEAF, "url": URL}), max_size=2),
    }
)


# -- the two engines -----------------------------------------------------------------------


def outcome(engine: TemplateEngine, source: str, context: Mapping[str, Any]) -> Any:
    """The Document, or the error the engine gave (message and problems). A length the
    engine reports with the Document must be the Document's `text_measure`."""
    try:
        compiled = engine.compile("t", source)
        document, length = engine.render_measured(compiled, context)
    except ConfigError as error:
        return (str(error), error.problems)
    assert length is None or length == text_measure(document)
    return document


def assert_same(source: str, context: Mapping[str, Any], **limits: Any) -> Any:
    fast = outcome(TemplateEngine(fast=True, **limits), source, context)
    slow = outcome(TemplateEngine(fast=False, **limits), source, context)
    assert fast == slow
    if isinstance(fast, Document):
        assert_same_adf(fast, slow)
    return fast


def assert_same_adf(fast: Document, slow: Document) -> None:
    """The ADF (and its size) the fast path prepares is `to_adf` of the slow path's Document,
    fresh on every call: changing one does not change the next."""
    assert slow.prepared is None
    expected = to_adf(slow)
    first = to_adf(fast)
    assert first == expected
    assert adf_and_size(fast) == (expected, adf_size(expected))
    if fast.prepared is not None:
        first["content"].clear()
        assert to_adf(fast) == expected


def spec_example() -> str:
    """SPEC §3's template as examples/ticketbridge.yaml has it (its `templates:` section alone:
    the rest holds `${VAR}` references only the config loader resolves)."""
    text = (REPO / "examples" / "ticketbridge.yaml").read_text()
    section = text[text.index("\ntemplates:") : text.index("\nroutes:")]
    description: str = yaml.safe_load(section)["templates"]["hallucination_bug"]["description"]
    return description


BUILTINS = {name: config.description for name, config in BUILTIN_TEMPLATES.items()}
MARKDOWN_SEEDS = {name: source for name, source, fmt in SEEDS if fmt == "markdown"}


@pytest.mark.parametrize("name", [*BUILTINS, "spec-example"])
@SETTINGS
@given(alert=ALERT)
def test_builtin_and_spec_templates_fast_equals_slow(name: str, alert: dict[str, Any]) -> None:
    source = spec_example() if name == "spec-example" else BUILTINS[name]

    result = assert_same(source, {"alert": alert})

    if isinstance(result, Document):
        assert adf_errors(to_adf(result)) == []


SEED_LEAVES = st.one_of(LEAF, st.sampled_from(["T1003", "acme-prod", "EV-77", "collector"]))


@st.composite
def seed_context(draw: st.DrawFn) -> dict[str, Any]:
    """The seed tests' context with some leaves replaced by random values."""

    def vary(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: vary(item) for key, item in value.items()}
        if isinstance(value, list):
            return [vary(item) for item in value]
        return draw(SEED_LEAVES) if draw(st.booleans()) else value

    varied: dict[str, Any] = vary(CONTEXT)
    return varied


@pytest.mark.parametrize("name", list(MARKDOWN_SEEDS))
@SETTINGS
@given(context=seed_context())
def test_seed_templates_fast_equals_slow(name: str, context: dict[str, Any]) -> None:
    assert_same(MARKDOWN_SEEDS[name], context)


def test_seed_templates_unchanged_context_fast_equals_slow() -> None:
    for source in MARKDOWN_SEEDS.values():
        assert isinstance(assert_same(source, CONTEXT), Document)


# -- random small templates ----------------------------------------------------------------

OUTPUTS = [
    "{{ v.a }}",
    "{{ v.b }}",
    "{{ v.c | md_escape }}",
    "{{ v.a | md_escape(inline=true) }}",
    "{{ v.b }}{{ v.c }}",
    "{% if v.a %}{{ v.a }}{% else %}none{% endif %}",
    "{% for x in [v.a, v.b] %}- {{ x }}\n{% endfor %}",
    "{{ v.b | md_escape }}",
    "{{ v.c | md_escape(inline=true) }}",
]
PIECES = [
    *[p for p in ALPHABET if p not in "\x00\ue000\ue001"],
    "# ",
    "## ",
    "- ",
    "1. ",
    "3) ",
    "> ",
    "> [!NOTE]\n> ",
    "> [!",
    "```\n",
    "```py\n",
    "`",
    "    ",
    "| a | b |\n|---|---|\n| ",
    " | ",
    " |\n",
    "**",
    "~~",
    "[link](https://l.example/",
    "[",
    "](",
    ")",
    "![i](",
    "<https://a.example/",
    "<b>",
    "@[",
    "&amp",
    "&",
    ";",
    "\\",
    "[ref]: https://r.example\n",
    "[ref]",
    '"',
    "===\n",
    "---\n",
    "\n",
    "\n\n",
    "  \n",
    "text ",
    "\ue000",
    "   - ",
    "* ",
    "+ ",
    " #",
    "\\*",
    "_x_",
    "~~x~~",
    "(",
    "'",
    "=",
    "0",
    "1",
    ".",
]
TEMPLATE = st.lists(
    st.one_of(st.sampled_from(OUTPUTS), st.sampled_from(PIECES)), min_size=1, max_size=12
).map("".join)


@SETTINGS
@given(source=TEMPLATE, a=LEAF, b=URL, c=LEAF)
def test_random_templates_fast_equals_slow(source: str, a: Any, b: Any, c: Any) -> None:
    assert_same(source, {"v": {"a": a, "b": b, "c": c}})


# -- which values the fast path fills, and that it fills them right ------------------------

P0, P1 = "\ue0000\ue001", "\ue0001\ue001"
FILLS = "fills"
PARSES = "parses the real text"


@pytest.mark.parametrize(
    ("skeleton", "values", "expected"),
    [
        (f"## Issue\n{P0}\n", ["Query 3: is the Earth flat?"], FILLS),
        (f"## Issue\n{P0}\n", ["Query 3\\: is the Earth flat\\?"], FILLS),  # md_escape'd
        (f"| Confidence | {P0} |\n|---|---|\n| a | {P1} |", ["0.42", "x y"], FILLS),
        (f"[View]({P0})", ["https://console.example/alerts/7"], FILLS),
        (f"[View](https://attack.mitre.org/t/{P0}/)", ["T1003"], FILLS),
        (f"`{P0}`", ["9e107d9d372bb6826bd81d3542a419d6"], FILLS),
        (f"```\n{P0}\n```", ["a = b * c"], FILLS),
        (f"- {P0}", ["- x"], PARSES),  # would be a nested list
        (f"{P0}", ["1. item"], PARSES),  # an ordered list
        (f"{P0}", ["1.5 s"], FILLS),
        (f"{P0})", ["00"], PARSES),  # `00)`: an ordered list
        (f"1{P0}. x", ["2"], PARSES),
        (f"{P0}{P1}. x", ["1", "2"], PARSES),
        (f"**{P0}**", ["\\*x"], PARSES),  # the escaped * next to ** changes flanking
        (f"a **{P0}**", ["x\\*"], PARSES),
        (f"{P0}", ["a*b"], PARSES),  # unescaped emphasis character
        (f"{P0}", [""], PARSES),
        (f"{P0}", ["trailing "], PARSES),
        (f"## {P0}", ["C\\#"], PARSES),  # ends with # (a heading's closing sequence)
        (f"> {P0}", ["\\[!NOTE\\]"], PARSES),  # would be a panel
        (f"&am{P0};", ["p"], PARSES),  # would be an entity
        (f"[a]({P0})", ["javascript:alert(1)"], PARSES),  # markdown-it refuses the link
        (f"[a]({P0})", ["https://a.example/a b"], PARSES),
        (f"[a]({P0})", ["javascript:void"], PARSES),  # refused when the ADF is prepared
        (f"[a]({P0})[b]({P1})", ["https://a.example", "javascript:void"], PARSES),
        (f"![i]({P0})", ["https://i.example/a.png"], PARSES),  # images: raw alt text
        (f"<{P0}>", ["https://a.example"], PARSES),
        (f"@[{P0}]", ["abc"], PARSES),  # a mention
        (f"[ref]: https://r.example\n[{P0}]", ["ref"], PARSES),
        (f"```{P0}\nx\n```", ["py"], PARSES),  # code block language
        (f"`{P0}`", ["a`b"], PARSES),
        (f"{P0}", ["a|b"], PARSES),
        (f"{P0}", ["line\nbreak"], PARSES),
    ],
)
def test_fill_decisions(skeleton: str, values: list[str], expected: str) -> None:
    filled = fill_markdown(skeleton, values)
    text = real_text(skeleton, values)

    assert text is not None
    assert ("fills" if filled is not None else PARSES) == expected
    if filled is not None:
        assert filled == parse_markdown(text)


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("## Issue\n{{ v }}\n\n| a | b |\n|---|---|\n| x | `{{ v }}` |\n", "value 🙂 x"),
        ("1. {{ v }}\n2. [link](https://x.test/{{ v }})\n\n> quoted\n> more {{ v }}\n", "ab-c"),
        ("Escapes: {{ v }} and *{{ v }}*\n", "ab\\_c"),
        ("- {{ v }}\n  - **{{ v }}**\n\n```\n{{ v }}\n```\n", "𝔘nicode"),
    ],
)
def test_fast_path_reports_the_documents_text_length(source: str, value: str) -> None:
    """The length comes from the skeleton's measure plus the values (UTF-16, escapes
    resolved), never from a pass over the Document; it must be what that pass gives."""
    engine = TemplateEngine()
    document, length = engine.render_measured(engine.compile("t", source), {"v": value})
    assert length is not None
    assert length == text_measure(document)
    slow = TemplateEngine(fast=False)
    assert document == slow.render_document(slow.compile("t", source), {"v": value})


def test_fill_refuses_a_skeleton_whose_text_holds_placeholder_characters() -> None:
    assert fill_markdown(f"x \ue000 {P0}", ["a"]) is None
    assert real_text(f"x \ue000 {P0}", ["a"]) is None


def test_templates_that_capture_output_never_take_the_fast_path() -> None:
    engine = TemplateEngine()
    capturing = [
        "{% set x %}{{ v }}{% endset %}{{ x | length }}",
        "{% macro m() %}{{ v }}{% endmacro %}{{ m() | length }}",
        "{% filter upper %}{{ v }}{% endfilter %}",
        "{% autoescape true %}{{ v }}{% endautoescape %}",
        "{% block b %}{{ v }}{% endblock %}",
    ]
    for index, source in enumerate(capturing):
        assert not engine.compile(f"c{index}", source).fillable
    assert engine.compile("plain", "## {{ v }}\n{% for x in [1] %}{{ x }}{% endfor %}").fillable
    assert assert_same(capturing[0], {"v": "abc"}) == parse_markdown("3")


# -- the sandbox's checks are the same on both paths ---------------------------------------


@pytest.mark.parametrize(
    ("source", "context", "limits"),
    [
        ("{{ ''.__class__.__mro__ }}", {}, {}),
        ("{{ missing }}", {}, {}),
        ("{{ v.missing.deeper }}", {"v": {}}, {}),
        ("{% for i in range(10) %}{% for j in range(10) %}x{% endfor %}{% endfor %}", {}, {}),
        ("{{ 'x' * 100000000 }}", {}, {}),
        ("{% for i in range(50) %}{{ i }}{% endfor %}", {}, {"max_iterations": 20}),
        # the output cap counts the real values, not their (shorter or longer) placeholders
        ("{{ v }}", {"v": "a" * 50}, {"max_output": 50}),
        ("{{ v }}", {"v": "a" * 51}, {"max_output": 50}),
        ("{{ v }}{{ v }}x", {"v": ""}, {"max_output": 1}),
        ("{{ v }}{{ v }}xx", {"v": ""}, {"max_output": 1}),
        ("ab{{ v }}", {"v": "c" * 48}, {"max_output": 50}),
        ("ab{{ v }}", {"v": "c" * 49}, {"max_output": 50}),
    ],
)
def test_sandbox_checks_are_the_same_on_both_paths(
    source: str, context: dict[str, Any], limits: dict[str, Any]
) -> None:
    assert_same(source, context, **limits)


def test_output_cap_truncates_the_fast_path_as_the_slow_one() -> None:
    result = assert_same("ab{{ v }}", {"v": "c" * 49}, max_output=50)

    marker = "… truncated by ticketbridge: the template's output reached 50 characters"
    assert result == Document(
        (Paragraph((Text("ab" + "c" * 48),)), Paragraph((Text(marker, ("em",)),)))
    )


@SETTINGS
@given(url=st.from_regex(PLAIN_URL, fullmatch=True))
def test_plain_urls_are_what_markdown_it_makes_of_them(url: str) -> None:
    """The shortcut of `normalized_link` for plain URLs agrees with markdown-it."""
    assert parse_markdown(f"[a]({url})") == Document((Paragraph((Text("a", (Link(url),)),)),))


# -- ADF straight from the skeleton (render/skeleton_adf.py) -------------------------------


@pytest.mark.parametrize(
    ("source", "context", "prepared"),
    [
        pytest.param("", {}, False, id="no-values"),
        pytest.param(
            "## {{ v }}\n\n| a | b |\n|---|---|\n| `{{ v }}` | x {{ w }} y |\n",
            {"v": "value 🙂 x", "w": 'say \\"hi\\" C:\\\\dir'},
            True,
            id="heading-table-code-json-escapes",
        ),
        pytest.param(
            "- item\n\n  | a | b |\n  |---|---|\n  | {{ v }} | c |\n",
            {"v": "cell"},
            True,
            id="table-in-list-item-flattened",
        ),
        pytest.param(
            "- item\n\n  | a | b |\n  |---|---|\n  | [x]({{ v }}) | c |\n",
            {"v": "javascript:void"},
            False,
            id="refused-href-in-a-flattened-table",  # ADF drops the link: no ADF plan
        ),
        pytest.param(
            "- item\n\n  | a | b |\n  |---|---|\n  | [x]({{ v }}) | c |\n",
            {"v": "https://a.example"},
            False,
            id="href-in-a-flattened-table",
        ),
        pytest.param("> ## {{ v }}\n> more\n", {"v": "quoted"}, True, id="heading-in-quote"),
        pytest.param(
            "[x](https://a.example/{{ v }}/) and [y]({{ w }})",
            {"v": "ü-b", "w": "https://console.example/alerts/7"},
            True,
            id="hrefs-normalized",
        ),
        pytest.param(
            "[a]({{ v }})[a]({{ w }})",
            {"v": "https://a.example", "w": "https://a.example"},
            False,
            id="equal-hrefs-join-texts",
        ),
        pytest.param("```\n{{ v }}\n\tx\n```\n", {"v": "a = b"}, True, id="code-block"),
        pytest.param("a\tb {{ v }}\n", {"v": "tab before"}, True, id="unprintable-literal"),
    ],
)
def test_prepared_adf_is_to_adf_of_the_document(
    source: str, context: dict[str, Any], prepared: bool
) -> None:
    engine = TemplateEngine()
    document = engine.render_document(engine.compile("t", source), context)
    slow = TemplateEngine(fast=False)
    expected = slow.render_document(slow.compile("t", source), context)

    assert document == expected
    assert (document.prepared is not None) == prepared
    assert_same_adf(document, expected)
    assert adf_errors(to_adf(document)) == []


def test_spec_and_builtin_templates_prepare_their_adf_for_ordinary_alerts() -> None:
    """The properties above compare prepared ADF only if the fast path prepares it."""
    alert = {
        "title": "Earth is flat",
        "description": "Query 3: is the Earth flat?",
        "confidence": 0.42,
        "severity": "high",
        "id": "a-1",
        "source": "truthvouch",
        "occurred_at": "2026-11-20T10:00:00+00:00",
        "attributes": {"query": "is it?", "model": "gpt-x", "control_id": "AWS_S3"},
        "links": [{"title": "Console", "url": "https://console.example/alerts/7"}],
    }
    engine = TemplateEngine()
    for name, source in [("spec", spec_example()), *BUILTINS.items()]:
        document = engine.render_document(engine.compile(name, source), {"alert": alert})
        assert document.prepared is not None, name


def test_a_filled_document_is_the_document_of_its_blocks() -> None:
    """The fast path's Document builds its blocks on first use (a Cloud create reads only
    its ADF); otherwise it is the Document of those blocks in every way."""
    engine = TemplateEngine()
    filled = engine.render_document(engine.compile("t", "## {{ v }}\n"), {"v": "value"})
    plain = parse_markdown("## value\n")

    assert filled.prepared is not None
    assert filled == plain
    assert plain == filled
    assert (filled != plain) is False
    assert hash(filled) == hash(plain)
    assert {filled: 1}[plain] == 1
    assert repr(filled) == repr(plain)
    assert filled.blocks is filled.blocks  # built once
    copied = pickle.loads(pickle.dumps(filled))
    assert type(copied) is Document
    assert copied == plain
    assert copy.deepcopy(filled) == plain
    replaced = dataclasses.replace(filled, blocks=parse_markdown("other").blocks)
    assert replaced == parse_markdown("other")
    assert replaced.prepared is None  # the prepared ADF was the old blocks'
    assert filled != parse_markdown("## other\n")
