"""Properties (hypothesis): whatever users write or alerts contain, we emit valid ADF, and
escaped text stays text in both targets."""

from __future__ import annotations

import os
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from render_support import adf_errors

from ticketbridge.render import (
    Block,
    BlockQuote,
    BulletList,
    CodeBlock,
    Document,
    HardBreak,
    Heading,
    Inline,
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
    md_escape,
    parse_markdown,
    parse_wiki,
    to_adf,
    to_text,
    to_wiki,
    wiki_escape,
)

# TICKETBRIDGE_HYPOTHESIS_EXAMPLES raises the count for a deeper search (e.g. 2000) by hand.
EXAMPLES = int(os.environ.get("TICKETBRIDGE_HYPOTHESIS_EXAMPLES", "150"))
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# Random documents are costly to generate; fewer examples, still every node type and nesting.
DOCUMENT_SETTINGS = settings(SETTINGS, max_examples=max(EXAMPLES // 2, 1))

MARKDOWN_PIECES = [
    "# ",
    "## ",
    "- ",
    "* ",
    "1. ",
    "3) ",
    "> ",
    ">> ",
    "> [!NOTE]",
    "> [!CAUTION]\n",
    "```",
    "```py\n",
    "    ",
    "| a | b |\n|---|---|\n",
    "| ",
    " |",
    "**",
    "*",
    "_",
    "`",
    "~~",
    "[x](https://l.example)",
    "![i](https://i.example/a.png)",
    "<https://a.example>",
    "@[abc123]",
    "\\@[x]",
    "<b>",
    "</b>",
    "<div>\n",
    "---",
    "***",
    "\n",
    "\n\n",
    "  \n",
    "text",
    "é",
    "😀",
    "\x00",
    "\r",
    "&amp;",
    "&#0;",
    "[ref]: https://r.example\n",
    "[ref]",
    "\t",
]
WIKI_PIECES = [
    "h1. ",
    "h3. ",
    "bq. ",
    "* ",
    "** ",
    "# ",
    "#* ",
    "- ",
    "----",
    "||",
    "|",
    "{code}",
    "{code:java}",
    "{noformat}",
    "{quote}",
    "{panel:title=T}",
    "{panel}",
    "{info}",
    "{warning}",
    "{tip}",
    "{note}",
    "*",
    "_",
    "-",
    "+",
    "^",
    "~",
    "??",
    "{{",
    "}}",
    "{*}",
    "[",
    "]",
    "[x|https://l.example]",
    "[~jdoe]",
    "[~accountid:5b10]",
    "!https://i.example/a.png!",
    "\\\\",
    "\\",
    "&amp;",
    "&#92;",
    "{color:red}",
    "{color}",
    "\n",
    "\n\n",
    " ",
    "text",
    "é",
    "😀",
    "\x00",
]


def pieces(choices: list[str]) -> st.SearchStrategy[str]:
    fragment = st.one_of(st.sampled_from(choices), st.text(max_size=6))
    return st.lists(fragment, max_size=30).map("".join)


@SETTINGS
@given(pieces(MARKDOWN_PIECES))
def test_any_markdown_renders_to_schema_valid_adf(source: str) -> None:
    assert adf_errors(to_adf(parse_markdown(source))) == []


@SETTINGS
@given(pieces(WIKI_PIECES))
def test_any_wiki_markup_renders_to_schema_valid_adf(source: str) -> None:
    assert adf_errors(to_adf(parse_wiki(source))) == []


# -- any Document, also ones no parser would produce --------------------------------------

words = st.text(st.characters(codec="utf-8"), max_size=8)
marks = st.lists(
    st.one_of(
        st.sampled_from(["strong", "em", "code", "strike"]),
        st.builds(Link, st.sampled_from(["https://a.example", "", "x y"])),
    ),
    max_size=3,
).map(tuple)
inline: st.SearchStrategy[Inline] = st.one_of(
    st.builds(Text, words, marks),
    st.just(HardBreak()),
    st.builds(Mention, st.sampled_from(["abc", "", "5b10:x-y"]), words),
)
inlines = st.lists(inline, max_size=4).map(tuple)


def containers(children: st.SearchStrategy[Block]) -> st.SearchStrategy[Block]:
    blocks = st.lists(children, max_size=3).map(tuple)
    items = st.lists(st.builds(ListItem, blocks), max_size=3).map(tuple)
    cells = st.lists(st.builds(TableCell, blocks, st.booleans()), max_size=3).map(tuple)
    rows = st.lists(st.builds(TableRow, cells), max_size=3).map(tuple)
    kinds = st.sampled_from(["info", "note", "warning", "success", "error"])
    return st.one_of(
        st.builds(BulletList, items),
        st.builds(OrderedList, items, st.integers(-3, 10**6)),
        st.builds(BlockQuote, blocks),
        st.builds(Panel, kinds, blocks),
        st.builds(Table, rows),
    )


leaf_blocks: st.SearchStrategy[Block] = st.one_of(
    st.builds(Paragraph, inlines),
    st.builds(Heading, st.integers(0, 8), inlines),
    st.builds(CodeBlock, words, st.one_of(st.none(), words)),
    st.just(Rule()),
)
documents = st.lists(st.recursive(leaf_blocks, containers, max_leaves=8), max_size=4).map(
    lambda blocks: Document(tuple(blocks))
)


@DOCUMENT_SETTINGS
@given(documents)
def test_any_document_renders_to_schema_valid_adf(doc: Document) -> None:
    assert adf_errors(to_adf(doc)) == []


@DOCUMENT_SETTINGS
@given(documents)
def test_any_document_renders_to_wiki_that_parses_to_valid_adf(doc: Document) -> None:
    assert adf_errors(to_adf(parse_wiki(to_wiki(doc)))) == []


# -- escaping: user text never becomes markup ---------------------------------------------

line_text = st.text(
    st.one_of(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zl", "Zp"]),
              st.sampled_from("*_-+^~?#{}[]|!\\&;:/.h1bq@()<>`=")),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() != "")  # fmt: skip


def only_plain_text(doc: Document) -> bool:
    """One paragraph of unmarked text: nothing was read as markup."""
    if len(doc.blocks) != 1 or not isinstance(doc.blocks[0], Paragraph):
        return False
    return all(isinstance(i, Text) and not i.marks for i in doc.blocks[0].content)


@SETTINGS
@given(line_text)
def test_wiki_text_never_parses_back_as_markup(value: str) -> None:
    wiki = to_wiki(Document((Paragraph((Text(value),)),)))

    back = parse_wiki(wiki)

    assert only_plain_text(back), (wiki, back)
    assert to_text(back) == value.strip()


@SETTINGS
@given(line_text)
def test_wiki_escape_filter_output_is_text_in_a_template(value: str) -> None:
    back = parse_wiki(f"Value: {wiki_escape(value)} end")

    assert only_plain_text(back), back
    assert to_text(back) == f"Value: {value} end"


@SETTINGS
@given(line_text)
def test_md_escape_filter_output_is_text_in_a_template(value: str) -> None:
    back = parse_markdown(md_escape(value))

    assert only_plain_text(back), back
    assert to_text(back) == value.strip()


def _md_escape_by_regex(value: str, inline: bool) -> str:
    """md_escape as first written (one regex substitution per rule): the reference."""
    text = re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~&@$%^=:;\"',/?])", r"\\\1", value)
    text = re.sub(r"\n[ \t]+", "\n", text)
    if inline:
        text = re.sub(r"\s*[\r\n]+\s*", " ", text)
    return text


@SETTINGS
@given(st.text(alphabet=st.characters(max_codepoint=0x2030)), st.booleans())
def test_md_escape_is_the_regex_escape(value: str, inline: bool) -> None:
    assert md_escape(value, inline=inline) == _md_escape_by_regex(value, inline)


def test_md_escape_escapes_every_ascii_punctuation_it_should() -> None:
    punctuation = "".join(map(chr, range(32, 127)))
    assert md_escape(punctuation) == _md_escape_by_regex(punctuation, False)
