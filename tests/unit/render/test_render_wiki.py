"""Markdown → Jira wiki markup, wiki markup → Document, and round trips between them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from ticketbridge.render import (
    BlockQuote,
    BulletList,
    CodeBlock,
    Document,
    HardBreak,
    Heading,
    Link,
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
    parse_wiki,
    to_adf,
    to_wiki,
    wiki_escape,
    wiki_to_text,
)

Check = Callable[[Mapping[str, Any]], None]

MARKDOWN_TO_WIKI: list[tuple[str, str, str]] = [
    ("heading", "### Steps", "h3. Steps"),
    ("marks", "a **b** *c* `d` ~~e~~", "a *b* _c_ {{d}} -e-"),
    ("mark inside a word uses braces", "un**bold**ed", "un{*}bold{*}ed"),
    ("link", "[console](https://c.example/x?a=1)", "[console|https://c.example/x?a=1]"),
    ("autolink", "<https://a.example>", "[https://a.example]"),
    ("line break", "one\ntwo", "one\ntwo"),
    ("mention", "@[5b10ac8d]", "[~5b10ac8d]"),
    ("bullets nested in numbers", "1. a\n   - b\n2. c", "# a\n#* b\n# c"),
    ("table", "| F | V |\n|---|---|\n| a | b |", "||F||V||\n|a|b|"),
    ("empty cell", "| F | V |\n|---|---|\n| a | |", "||F||V||\n|a| |"),
    ("code block", "```sql\nselect 1\n```", "{code:sql}\nselect 1\n{code}"),
    ("code containing {code}", "```\na {code} b\n```", "{noformat}\na {code} b\n{noformat}"),
    ("quote", "> said", "{quote}\nsaid\n{quote}"),
    ("panel", "> [!TIP]\n> do this", "{tip}\ndo this\n{tip}"),
    ("rule", "a\n\n---\n\nb", "a\n\n----\n\nb"),
    (
        "markup in text is escaped",
        "\\*not\\* \\[x\\|y\\] \\{code\\}",
        "\\*not\\* \\[x\\|y\\] \\{code\\}",
    ),
    (
        "words and URLs stay readable",
        "pii-block esc_1 https://x.example/a_b-c",
        "pii-block esc_1 https://x.example/a_b-c",
    ),
    ("backslash is an entity", "a \\\\ b", "a &#92; b"),
    ("heading lookalike text", "h1. not a heading", "&#104;1. not a heading"),
    ("line break inside a table cell", "| a |\n|---|\n| x<br>y |", "||a||\n|x<br>y|"),
]


@pytest.mark.parametrize(
    ("markdown", "wiki"), [c[1:] for c in MARKDOWN_TO_WIKI], ids=[c[0] for c in MARKDOWN_TO_WIKI]
)
def test_markdown_renders_to_expected_wiki(markdown: str, wiki: str) -> None:
    assert to_wiki(parse_markdown(markdown)) == wiki


def p(*inlines: Text | HardBreak | Mention) -> Paragraph:
    return Paragraph(inlines)


def t(value: str, *marks: Any) -> Text:
    return Text(value, marks)


def cell(value: str, header: bool = False) -> TableCell:
    return TableCell((p(t(value)),), header)


WIKI_TO_DOCUMENT: list[tuple[str, str, tuple[Any, ...]]] = [
    ("heading", "h2. Issue", (Heading(2, (t("Issue"),)),)),
    (
        "marks",
        "*b* _i_ -s- {{m}} ??c?? +u+",
        (
            p(
                t("b", "strong"),
                t(" "),
                t("i", "em"),
                t(" "),
                t("s", "strike"),
                t(" "),
                t("m", "code"),
                t(" "),
                t("c", "em"),
                t(" u"),
            ),
        ),
    ),
    (
        "dates and words are not strike",
        "2024-01-02 pii-block a - b",
        (p(t("2024-01-02 pii-block a - b")),),
    ),
    ("dashes are not strike", "a -- b --- c", (p(t("a -- b --- c")),)),
    ("link with text", "[View|https://v.example/1]", (p(t("View", Link("https://v.example/1"))),)),
    ("bare link", "[https://v.example]", (p(t("https://v.example", Link("https://v.example"))),)),
    ("not a link", "[just text]", (p(t("[just text]")),)),
    ("mentions", "[~jdoe] [~accountid:5b10]", (p(Mention("jdoe"), t(" "), Mention("5b10")),)),
    (
        "newline and \\\\ are line breaks",
        "a\nb\\\\c",
        (p(t("a"), HardBreak(), t("b"), HardBreak(), t("c")),),
    ),
    ("escapes and entities", "\\*x\\* &amp; &#92; &copy;", (p(t("*x* & \\ ©")),)),
    ("color keeps text", "{color:red}alarm{color}", (p(t("alarm")),)),
    (
        "image",
        "!https://i.example/a.png!",
        (p(t("https://i.example/a.png", Link("https://i.example/a.png"))),),
    ),
    ("rule", "----", (Rule(),)),
    ("bq", "bq. quoted", (BlockQuote((p(t("quoted")),)),)),
    (
        "nested lists",
        "* a\n** b\n*# c\n# d",
        (
            BulletList(
                (
                    ListItem(
                        (
                            p(t("a")),
                            BulletList((ListItem((p(t("b")),)),)),
                            OrderedList((ListItem((p(t("c")),)),)),
                        )
                    ),
                )
            ),
            OrderedList((ListItem((p(t("d")),)),)),
        ),
    ),
    (
        "table with header row and a link with a pipe",
        "||Field||Value||\n|Link|[x|https://l.example]|",
        (
            Table(
                (
                    TableRow((cell("Field", True), cell("Value", True))),
                    TableRow((cell("Link"), TableCell((p(t("x", Link("https://l.example"))),)))),
                )
            ),
        ),
    ),
    ("code with language", "{code:python}\nx = {1}\n{code}", (CodeBlock("x = {1}", "python"),)),
    ("code on one line", "{code}a*b*{code}", (CodeBlock("a*b*"),)),
    ("noformat", "{noformat}\n*raw*\n{noformat}", (CodeBlock("*raw*"),)),
    ("quote macro", "{quote}\nh3. inside\n{quote}", (BlockQuote((Heading(3, (t("inside"),)),)),)),
    (
        "panel with title",
        "{panel:title=Chain of Custody|borderStyle=solid}\nSHA256: abc\n{panel}",
        (Panel("info", (p(t("Chain of Custody", "strong")), p(t("SHA256: abc")))),),
    ),
    (
        "info, tip, warning, note",
        "{info}i{info}\n{tip}t{tip}",
        (Panel("info", (p(t("i")),)), Panel("success", (p(t("t")),))),
    ),
    (
        "unclosed macro runs to the end",
        "{warning}\ncareful",
        (Panel("warning", (p(t("careful")),)),),
    ),
    (
        "text after a closing macro",
        "{note}n{note} after",
        (Panel("note", (p(t("n")),)), p(t("after"))),
    ),
]


@pytest.mark.parametrize(
    ("wiki", "blocks"), [c[1:] for c in WIKI_TO_DOCUMENT], ids=[c[0] for c in WIKI_TO_DOCUMENT]
)
def test_wiki_parses_to_expected_document(
    wiki: str, blocks: tuple[Any, ...], assert_valid_adf: Check
) -> None:
    doc = parse_wiki(wiki)

    assert doc == Document(blocks)
    assert_valid_adf(to_adf(doc))


ROUND_TRIP_DOCUMENTS = [
    Document((Heading(1, (t("Alert "), t("critical", "strong"))),)),
    Document((p(t("see "), t("the console", Link("https://c.example/a?b=1&c=2")), t(" now")),)),
    Document((p(t("bold", "strong"), t("code", "code"), t("em", "em"), t("strike", "strike")),)),
    Document((p(t("both", "strong", "em")), p(t("x*y_z-w")))),
    Document((BulletList((ListItem((p(t("a")), OrderedList((ListItem((p(t("b")),)),)))),)),)),
    Document(
        (Table((TableRow((cell("h", True), cell("v"))), TableRow((cell("*1*"), cell("|2|"))))),)
    ),
    Document((CodeBlock("def f():\n    return {code}"), CodeBlock("x = {'a': 1}", "python"))),
    Document(
        (
            BlockQuote((p(t("q")),)),
            Panel("warning", (p(t("w")),)),
            Panel("error", (p(t("e")),)),
            Rule(),
        )
    ),
    Document((p(Mention("jdoe"), t(" please look")),)),
]


@pytest.mark.parametrize("doc", ROUND_TRIP_DOCUMENTS)
def test_wiki_round_trip_keeps_the_document(doc: Document) -> None:
    assert parse_wiki(to_wiki(doc)) == doc


def test_wiki_escape_inline_keeps_a_table_row_whole() -> None:
    value = "line one\nline | two"

    row = parse_wiki(f"|{wiki_escape(value, inline=True)}|x|")

    assert row == Document(
        (
            Table(
                (
                    TableRow(
                        (
                            TableCell((p(t("line one"), HardBreak(), t("line | two")),)),
                            cell("x"),
                        )
                    ),
                )
            ),
        )
    )


def test_wiki_to_text_reads_a_comment_back() -> None:
    assert wiki_to_text("h3. Done\n*Approved* by [~jdoe]\n# one\n# two") == (
        "Done\n\nApproved by @jdoe\n\n1. one\n2. two"
    )
