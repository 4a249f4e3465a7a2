"""Markdown templates render by filling a skeleton (render/skeleton.py): each template's
structure is parsed once and each alert's values are put where their placeholders landed, or,
where that is not certain, the real text is parsed. What it gives for given inputs: hand-written
Documents and ADF, and what any alert must give (valid ADF)."""

from __future__ import annotations

import os
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from render_support import adf_errors

from support.realworld import REPO
from ticketbridge.errors import ConfigError
from ticketbridge.render import (
    CodeBlock,
    Document,
    Heading,
    Link,
    Paragraph,
    Table,
    TableCell,
    TableRow,
    TemplateEngine,
    Text,
    parse_markdown,
    to_adf,
)
from ticketbridge.render.builtin import BUILTIN_TEMPLATES
from ticketbridge.render.safety import PLAIN_URL
from ticketbridge.render.skeleton import fill_markdown, real_text

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


def spec_example() -> str:
    """SPEC §3's template as examples/ticketbridge.yaml has it (its `templates:` section alone:
    the rest holds `${VAR}` references only the config loader resolves)."""
    text = (REPO / "examples" / "ticketbridge.yaml").read_text()
    section = text[text.index("\ntemplates:") : text.index("\nroutes:")]
    description: str = yaml.safe_load(section)["templates"]["hallucination_bug"]["description"]
    return description


BUILTINS = {name: config.description for name, config in BUILTIN_TEMPLATES.items()}


def render(source: str, context: dict[str, Any], **limits: Any) -> Document:
    engine = TemplateEngine(**limits)
    return engine.render_document(engine.compile("t", source), context)


@pytest.mark.parametrize("name", [*BUILTINS, "spec-example"])
@SETTINGS
@given(alert=ALERT)
def test_builtin_and_spec_templates_give_valid_adf_for_any_alert(
    name: str, alert: dict[str, Any]
) -> None:
    source = spec_example() if name == "spec-example" else BUILTINS[name]
    try:
        document = render(source, {"alert": alert})
    except ConfigError:
        assert name == "spec-example"  # it reads alert.links[0] without a default
        return
    assert adf_errors(to_adf(document)) == []


@SETTINGS
@given(value=ORDINARY)
def test_an_ordinary_value_lands_as_written_in_every_kind_of_place(value: str) -> None:
    source = (
        "## {{ v }}\n\n| a | b |\n|---|---|\n| x | {{ v }} |\n\n"
        "`{{ v }}` [console](https://c.example/{{ v | replace(' ', '-') }})\n\n```\n{{ v }}\n```\n"
    )
    href = "https://c.example/" + value.replace(" ", "-")
    row = TableRow((TableCell((Paragraph((Text("x"),)),)), TableCell((Paragraph((Text(value),)),))))
    header = TableRow(
        (TableCell((Paragraph((Text("a"),)),), True), TableCell((Paragraph((Text("b"),)),), True))
    )
    expected = Document(
        (
            Heading(2, (Text(value),)),
            Table((header, row)),
            Paragraph((Text(value, ("code",)), Text(" "), Text("console", (Link(href),)))),
            CodeBlock(value),
        )
    )

    assert render(source, {"v": value}) == expected


SPEC_ALERT = {
    "title": "Earth is flat",
    "description": "Query 3: is the Earth *flat*?",
    "confidence": 0.42,
    "links": [{"title": "Console", "url": "https://console.example/alerts/7"}],
}


def test_the_spec_template_renders_this_adf() -> None:
    engine = TemplateEngine()
    document = engine.render_document(engine.compile("spec", spec_example()), {"alert": SPEC_ALERT})

    def cell(text: str, header: bool = False) -> dict[str, Any]:
        paragraph = {"type": "paragraph", "content": [{"type": "text", "text": text}]}
        return {"type": "tableHeader" if header else "tableCell", "content": [paragraph]}

    assert to_adf(document) == {
        "version": 1,
        "type": "doc",
        "content": [
            {
                "type": "heading",
                "attrs": {"level": 2},
                "content": [{"type": "text", "text": "Issue"}],
            },
            {
                "type": "paragraph",
                "content": [{"type": "text", "text": "Query 3: is the Earth *flat*?"}],
            },
            {
                "type": "table",
                "content": [
                    {"type": "tableRow", "content": [cell("Field", True), cell("Value", True)]},
                    {"type": "tableRow", "content": [cell("Confidence"), cell("0.42")]},
                ],
            },
            {
                "type": "paragraph",
                "content": [
                    {
                        "type": "text",
                        "text": "View in console",
                        "marks": [
                            {"type": "link", "attrs": {"href": "https://console.example/alerts/7"}}
                        ],
                    }
                ],
            },
        ],
    }


# -- which values are filled in, and what they give -----------------------------------------

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

    assert real_text(skeleton, values) is not None
    assert ("fills" if filled is not None else PARSES) == expected


@pytest.mark.parametrize(
    ("skeleton", "values", "document"),
    [
        (f"## Issue\n{P0}\n", ["Query 3\\: is it\\?"], "## Issue\nQuery 3: is it?"),
        (f"| Confidence | {P0} |\n|---|---|\n| a | {P1} |", ["0.42", "x y"], None),
        (f"[View](https://attack.mitre.org/t/{P0}/)", ["T1003"], None),
        (f"`{P0}`", ["a = b * c"], None),
        (f"{P0}", ["1.5 s"], "1.5 s"),
    ],
)
def test_a_filled_document_holds_the_values_as_written(
    skeleton: str, values: list[str], document: str | None
) -> None:
    filled = fill_markdown(skeleton, values)

    assert filled is not None
    expected = {
        f"| Confidence | {P0} |\n|---|---|\n| a | {P1} |": Document(
            (
                Table(
                    (
                        TableRow(
                            (
                                TableCell((Paragraph((Text("Confidence"),)),), True),
                                TableCell((Paragraph((Text("0.42"),)),), True),
                            )
                        ),
                        TableRow(
                            (
                                TableCell((Paragraph((Text("a"),)),)),
                                TableCell((Paragraph((Text("x y"),)),)),
                            )
                        ),
                    )
                ),
            )
        ),
        f"[View](https://attack.mitre.org/t/{P0}/)": Document(
            (Paragraph((Text("View", (Link("https://attack.mitre.org/t/T1003/"),)),)),)
        ),
        f"`{P0}`": Document((Paragraph((Text("a = b * c", ("code",)),)),)),
    }
    if document is not None:
        assert filled == Document(
            tuple(
                Heading(2, (Text(line.removeprefix("## ")),))
                if line.startswith("## ")
                else Paragraph((Text(line),))
                for line in document.split("\n")
            )
        )
    else:
        assert filled == expected[skeleton]


def test_fill_refuses_a_skeleton_whose_text_holds_placeholder_characters() -> None:
    assert fill_markdown(f"x \ue000 {P0}", ["a"]) is None
    assert real_text(f"x \ue000 {P0}", ["a"]) is None


def test_templates_that_capture_output_are_parsed() -> None:
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
    assert render(capturing[0], {"v": "abc"}) == Document((Paragraph((Text("3"),)),))


MARKER = "… truncated by ticketbridge: the template's output reached 50 characters"


@pytest.mark.parametrize(
    ("source", "value", "document"),
    [
        ("{{ v }}", "a" * 50, Document((Paragraph((Text("a" * 50),)),))),
        (
            "{{ v }}",
            "a" * 51,
            Document((Paragraph((Text("a" * 50),)), Paragraph((Text(MARKER, ("em",)),)))),
        ),
        (
            "ab{{ v }}",
            "c" * 49,
            Document((Paragraph((Text("ab" + "c" * 48),)), Paragraph((Text(MARKER, ("em",)),)))),
        ),
    ],
)
def test_the_output_cap_counts_the_values_not_their_placeholders(
    source: str, value: str, document: Document
) -> None:
    assert render(source, {"v": value}, max_output=50) == document


@SETTINGS
@given(url=st.from_regex(PLAIN_URL, fullmatch=True))
def test_plain_urls_are_what_markdown_it_makes_of_them(url: str) -> None:
    """The shortcut of `normalized_link` for plain URLs agrees with markdown-it."""
    assert parse_markdown(f"[a]({url})") == Document((Paragraph((Text("a", (Link(url),)),)),))
