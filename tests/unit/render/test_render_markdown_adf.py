"""Markdown → ADF: table-driven expectations, every output checked against Atlassian's schema."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from render_support import adf_errors

from ticketbridge.render import (
    Block,
    BlockQuote,
    BulletList,
    CodeBlock,
    Document,
    Heading,
    ListItem,
    Mention,
    OrderedList,
    Panel,
    Paragraph,
    Rule,
    Table,
    TableCell,
    TableRow,
    Text,
    parse_markdown,
    to_adf,
)

Check = Callable[[Mapping[str, Any]], None]


def text(value: str, *marks: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": value}
    if marks:
        node["marks"] = list(marks)
    return node


def para(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(content)}


STRONG, EM, STRIKE, CODE = ({"type": m} for m in ("strong", "em", "strike", "code"))
BR = {"type": "hardBreak"}


def link(href: str) -> dict[str, Any]:
    return {"type": "link", "attrs": {"href": href}}


CASES: list[tuple[str, str, list[dict[str, Any]]]] = [
    ("empty document", "", []),
    (
        "heading",
        "## Issue",
        [{"type": "heading", "attrs": {"level": 2}, "content": [text("Issue")]}],
    ),
    (
        "inline marks",
        "a **b** *c* `d` ~~e~~",
        [
            para(
                text("a "),
                text("b", STRONG),
                text(" "),
                text("c", EM),
                text(" "),
                text("d", CODE),
                text(" "),
                text("e", STRIKE),
            )
        ],
    ),
    ("code keeps only link beside it", "**`x`**", [para(text("x", CODE))]),
    (
        "link",
        "[console](https://c.example/x)",
        [para(text("console", link("https://c.example/x")))],
    ),
    (
        "autolink",
        "<https://a.example>",
        [para(text("https://a.example", link("https://a.example")))],
    ),
    ("soft break is a line break", "one\ntwo", [para(text("one"), BR, text("two"))]),
    ("hard break", "one  \ntwo", [para(text("one"), BR, text("two"))]),
    (
        "mention",
        "ping @[5b10ac8d82e05b22cc7d4ef5] now",
        [
            para(
                text("ping "),
                {"type": "mention", "attrs": {"id": "5b10ac8d82e05b22cc7d4ef5"}},
                text(" now"),
            )
        ],
    ),
    ("escaped mention stays text", "\\@[abc]", [para(text("@[abc]"))]),
    (
        "image becomes a link",
        "![diagram](https://i.example/d.png)",
        [para(text("diagram", link("https://i.example/d.png")))],
    ),
    ("raw html is text", "<script>alert(1)</script>", [para(text("<script>alert(1)</script>"))]),
    ("inline html is text", "a <b>x</b>", [para(text("a <b>x</b>"))]),
    (
        "javascript link refused",
        "[x](javascript:alert(1))",
        [para(text("[x](javascript:alert(1))"))],
    ),
    ("rule", "---", [{"type": "rule"}]),
    (
        "fenced code with language",
        "```python\nprint(1)\n```",
        [{"type": "codeBlock", "attrs": {"language": "python"}, "content": [text("print(1)")]}],
    ),
    ("empty code block", "```\n```", [{"type": "codeBlock", "content": []}]),
    ("indented code", "    x = 1", [{"type": "codeBlock", "content": [text("x = 1")]}]),
    (
        "ordered list with start",
        "3. a\n4. b",
        [
            {
                "type": "orderedList",
                "attrs": {"order": 3},
                "content": [
                    {"type": "listItem", "content": [para(text("a"))]},
                    {"type": "listItem", "content": [para(text("b"))]},
                ],
            }
        ],
    ),
    (
        "nested bullet list",
        "- a\n  - b",
        [
            {
                "type": "bulletList",
                "content": [
                    {
                        "type": "listItem",
                        "content": [
                            para(text("a")),
                            {
                                "type": "bulletList",
                                "content": [{"type": "listItem", "content": [para(text("b"))]}],
                            },
                        ],
                    }
                ],
            }
        ],
    ),
    (
        "table with header row",
        "| Field | Value |\n|---|---|\n| Confidence | 0.3 |",
        [
            {
                "type": "table",
                "content": [
                    {
                        "type": "tableRow",
                        "content": [
                            {"type": "tableHeader", "content": [para(text("Field"))]},
                            {"type": "tableHeader", "content": [para(text("Value"))]},
                        ],
                    },
                    {
                        "type": "tableRow",
                        "content": [
                            {"type": "tableCell", "content": [para(text("Confidence"))]},
                            {"type": "tableCell", "content": [para(text("0.3"))]},
                        ],
                    },
                ],
            }
        ],
    ),
    (
        "panel from a GitHub alert",
        "> [!WARNING]\n> Rotate the key",
        [
            {
                "type": "panel",
                "attrs": {"panelType": "warning"},
                "content": [para(text("Rotate the key"))],
            }
        ],
    ),
    (
        "heading inside a quote becomes bold",
        "> # Title\n> body",
        [{"type": "blockquote", "content": [para(text("Title", STRONG)), para(text("body"))]}],
    ),
    (
        "nested quote is flattened",
        "> a\n>> b",
        [{"type": "blockquote", "content": [para(text("a")), para(text("b"))]}],
    ),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_markdown_renders_to_expected_adf(
    source: str, expected: list[dict[str, Any]], assert_valid_adf: Check
) -> None:
    adf = to_adf(parse_markdown(source))

    assert adf == {"version": 1, "type": "doc", "content": expected}
    assert_valid_adf(adf)


# Documents the Markdown parser cannot produce but other code can: the writer must still obey
# the schema (text node never empty, list items start with a paragraph, cells never empty …).


def p(value: str) -> Paragraph:
    return Paragraph((Text(value),))


def cell(*blocks: Block, header: bool = False) -> TableCell:
    return TableCell(blocks, header)


def row(*cells: TableCell) -> TableRow:
    return TableRow(cells)


def table(*rows: TableRow) -> Table:
    return Table(rows)


def item(*blocks: Block) -> ListItem:
    return ListItem(blocks)


def doc(*blocks: Block) -> Document:
    return Document(blocks)


AWKWARD: list[tuple[str, Document]] = [
    ("empty text and empty list", doc(Paragraph((Text(""),)), BulletList())),
    ("list item starting with a list", doc(BulletList((item(BulletList((item(),))),)))),
    (
        "list item holding a table, a quote and a rule",
        doc(
            OrderedList(
                (item(table(row(cell(p("x")))), BlockQuote((Heading(1, (Text("h"),)),)), Rule()),)
            )
        ),
    ),
    (
        "ragged table with empty cells and rows",
        doc(table(row(cell(header=True)), row(cell(), cell(Table(()))), row())),
    ),
    (
        "panel in a panel in a quote",
        doc(BlockQuote((Panel("error", (Panel("note", (Rule(),)),)),))),
    ),
    ("empty panel and quote", doc(Panel(), BlockQuote())),
    ("control characters and CR", doc(Paragraph((Text("a\x00b\r\nc\x1b"),)))),
    ("mention without id", doc(Paragraph((Mention("", "jane"),)))),
    ("heading level out of range", doc(Heading(9, (Text("x"),)))),
    ("empty code block in a table cell", doc(table(row(cell(CodeBlock("", "")))))),
    ("table in a table", doc(table(row(cell(table(row(cell(p("inner"))))))))),
]


@pytest.mark.parametrize("doc", [c[1] for c in AWKWARD], ids=[c[0] for c in AWKWARD])
def test_awkward_documents_still_give_schema_valid_adf(
    doc: Document, assert_valid_adf: Check
) -> None:
    assert_valid_adf(to_adf(doc))


def test_adaptations_keep_the_text() -> None:
    doc = AWKWARD[2][1]

    item = to_adf(doc)["content"][0]["content"][0]["content"]

    assert item == [para(text("x")), para(text("h", STRONG)), para(text("———"))]


def test_the_validator_rejects_what_the_schema_forbids() -> None:
    """Guard: the schema checks above can fail (empty text, code combined with strong)."""
    empty_text = {"version": 1, "type": "doc", "content": [para({"type": "text", "text": ""})]}
    code_and_strong = {"version": 1, "type": "doc", "content": [para(text("x", CODE, STRONG))]}

    assert adf_errors(empty_text)
    assert adf_errors(code_and_strong)
