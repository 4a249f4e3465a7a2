"""Markdown → Document, with markdown-it-py (CommonMark + tables + strikethrough).

Choices where CommonMark is silent or Jira needs more:
- A single newline inside a paragraph is a line break (`HardBreak`), as in GitHub comments and
  in Jira's own wiki markup: ticket templates put one field per line and expect to see it so.
- Panels are GitHub-style alerts: a block quote whose first line is `[!NOTE]`, `[!TIP]`,
  `[!IMPORTANT]`, `[!WARNING]` or `[!CAUTION]` (also `[!INFO]`, `[!SUCCESS]`, `[!ERROR]`),
  case-insensitive. NOTE/INFO → info, TIP/SUCCESS → success, IMPORTANT → note,
  WARNING → warning, CAUTION/ERROR → error.
- Mentions are `@[accountId]` (Cloud accountId, or the username on Data Center). An escaped
  `\\@[...]` or `@\\[...]` stays text, so `md_escape`d user text can never mention anyone.
- Images become a link to the image (ADF media needs an upload first).
- Raw HTML is kept as its literal source text: visible, never dropped, never interpreted.
- Links follow the one URL policy of render/safety.py (http, https, mailto): any other target
  (`javascript:`, `data:`, `file:`, relative …) is not a link, and its source stays text.
- Mentions that a template's own text does not write are turned back into text by the engine
  (render/safety.py `keep_mentions`): alert values never mention anyone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ticketbridge.render.document import (
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
    Mark,
    Mention,
    OrderedList,
    Panel,
    PanelKind,
    Paragraph,
    Rule,
    Table,
    TableCell,
    TableRow,
    Text,
    merge_inlines,
)
from ticketbridge.render.safety import MARKDOWN_MENTION, allowed_href

_MENTION = MARKDOWN_MENTION
_ALERT = re.compile(r"^\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION|INFO|SUCCESS|ERROR)\][ \t]*", re.I)
_ALERT_KINDS: dict[str, PanelKind] = {
    "NOTE": "info",
    "INFO": "info",
    "TIP": "success",
    "SUCCESS": "success",
    "IMPORTANT": "note",
    "WARNING": "warning",
    "CAUTION": "error",
    "ERROR": "error",
}
_SIMPLE_MARKS: dict[str, Mark] = {"strong": "strong", "em": "em", "s": "strike"}
# CommonMark lets a backslash escape any ASCII punctuation; escaping all of it is always safe.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&@$%^=:;\"',/?])")
# The same as `_MD_SPECIAL.sub(r"\\\1", text)`, without a Python call per match.
_MD_ESCAPES = str.maketrans({c: "\\" + c for c in map(chr, range(128)) if _MD_SPECIAL.match(c)})
_INDENTED_LINE = re.compile(r"\n[ \t]+")
_LINE_BREAK = re.compile(r"\s*[\r\n]+\s*")


class PolicedMarkdownIt(MarkdownIt):
    """markdown-it whose links follow our URL policy (a refused destination is no link)."""

    def validateLink(self, url: str) -> bool:
        return allowed_href(url)


def configure_parser(md: MarkdownIt) -> MarkdownIt:
    """Our Markdown dialect on a `PolicedMarkdownIt("commonmark", {"html": True})` instance (the
    template fast path builds a subclass of it the same way)."""
    md.enable(["table", "strikethrough"])
    # Keep escaped characters as separate tokens so `\@[x]` is never read as a mention.
    md.disable("text_join")
    return md


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return configure_parser(PolicedMarkdownIt("commonmark", {"html": True}))


def parse_markdown(text: str) -> Document:
    """Parse Markdown into the document model (never fails: any text is some document)."""
    return document_of_tokens(_parser().parse(text))


def document_of_tokens(tokens: Sequence[Token]) -> Document:
    """The document of markdown-it's token stream (of a parser set up by `configure_parser`)."""
    return Document(tuple(_blocks(_nest(tokens))))


def md_escape(value: object, inline: bool = False) -> str:
    """Escape text so Markdown shows it literally. `inline=True` also folds newlines into
    spaces, for values placed inside a table cell or a heading."""
    text = str(value).translate(_MD_ESCAPES)
    if "\n" not in text and "\r" not in text:  # neither substitution below would match
        return text
    # Indentation after a newline would turn the rest into a code block; Markdown drops it anyway.
    text = _INDENTED_LINE.sub("\n", text)
    if inline:
        text = _LINE_BREAK.sub(" ", text)
    return text


# -- a light token tree (markdown-it's _Node costs a third of the parse) ----------


class _Node:
    """An opening or leaf token with the nodes nested in it."""

    __slots__ = ("children", "token", "type")

    def __init__(self, token: Token) -> None:
        self.token = token
        self.type = token.type.removesuffix("_open")
        self.children: list[_Node] = []

    @property
    def content(self) -> str:
        return self.token.content

    @property
    def info(self) -> str:
        return self.token.info

    @property
    def tag(self) -> str:
        return self.token.tag

    @property
    def attrs(self) -> dict[str, str | int | float]:
        return self.token.attrs


def _nest(tokens: Sequence[Token]) -> list[_Node]:
    root: list[_Node] = []
    stack = [root]
    for token in tokens:
        if token.nesting == -1:
            stack.pop()
            continue
        node = _Node(token)
        stack[-1].append(node)
        if token.nesting == 1:
            stack.append(node.children)
        elif token.children:
            node.children = _nest(token.children)
    return root


# -- blocks -------------------------------------------------------------------------------


def _blocks(nodes: Iterable[_Node]) -> Iterator[Block]:
    for node in nodes:
        yield from _block(node)


def _block(node: _Node) -> Iterator[Block]:
    kind = node.type
    if kind == "paragraph":
        yield Paragraph(_inline_of(node))
    elif kind == "heading":
        yield Heading(int(node.tag[1:]), _inline_of(node))
    elif kind == "bullet_list":
        yield BulletList(tuple(_list_items(node)))
    elif kind == "ordered_list":
        start = node.attrs.get("start", 1)
        yield OrderedList(tuple(_list_items(node)), start=int(start))
    elif kind in ("fence", "code_block"):
        language = node.info.strip().split(maxsplit=1)[0] if node.info.strip() else None
        yield CodeBlock(node.content.removesuffix("\n"), language)
    elif kind == "blockquote":
        yield _quote_or_panel(node)
    elif kind == "hr":
        yield Rule()
    elif kind == "table":
        yield Table(tuple(_table_rows(node)))
    elif kind == "html_block":
        yield Paragraph(_literal_lines(node.content.rstrip("\n")))
    else:  # pragma: no cover - markdown-it emits nothing else with our rule set
        yield from _blocks(node.children)


def _list_items(node: _Node) -> Iterator[ListItem]:
    for item in node.children:
        yield ListItem(tuple(_blocks(item.children)))


def _table_rows(node: _Node) -> Iterator[TableRow]:
    for section in node.children:  # thead, tbody
        for row in section.children:
            cells = tuple(
                TableCell((Paragraph(_inline_of(cell)),), header=cell.type == "th")
                for cell in row.children
            )
            yield TableRow(cells)


def _quote_or_panel(node: _Node) -> Block:
    blocks = list(_blocks(node.children))
    first = blocks[0] if blocks else None
    if isinstance(first, Paragraph) and first.content and isinstance(first.content[0], Text):
        head = first.content[0]
        match = _ALERT.match(head.text) if not head.marks else None
        if match:
            rest = _strip_leading_break((Text(head.text[match.end() :]), *first.content[1:]))
            kind = _ALERT_KINDS[match.group(1).upper()]
            body = ([Paragraph(rest)] if rest else []) + blocks[1:]
            return Panel(kind, tuple(body))
    return BlockQuote(tuple(blocks))


def _strip_leading_break(inlines: Sequence[Inline]) -> tuple[Inline, ...]:
    items = [i for i in inlines if not (isinstance(i, Text) and not i.text)]
    if items and isinstance(items[0], HardBreak):
        items = items[1:]
    return tuple(items)


# -- inlines ------------------------------------------------------------------------------


def _inline_of(node: _Node) -> tuple[Inline, ...]:
    """The inline content of a block node (its single `inline` child, if any)."""
    out: list[Inline] = []
    for child in node.children:
        if child.type == "inline":
            _inlines(child.children, (), out)
    return merge_inlines(out)


def _inlines(nodes: Iterable[_Node], marks: tuple[Mark, ...], out: list[Inline]) -> None:
    for node in nodes:
        _inline(node, marks, out)


def _inline(node: _Node, marks: tuple[Mark, ...], out: list[Inline]) -> None:
    kind = node.type
    if kind == "text":
        out.extend(_text_with_mentions(node.content, marks))
    elif kind in ("text_special", "html_inline"):
        out.append(Text(node.content, marks))
    elif kind in ("softbreak", "hardbreak"):
        out.append(HardBreak())
    elif kind == "code_inline":
        out.append(Text(node.content, (*marks, "code")))
    elif kind in _SIMPLE_MARKS:
        _inlines(node.children, (*marks, _SIMPLE_MARKS[kind]), out)
    elif kind == "link":
        _inlines(node.children, (*marks, Link(str(node.attrs.get("href", "")))), out)
    elif kind == "image":
        src = str(node.attrs.get("src", ""))
        alt = node.content or src
        out.append(Text(alt, (*marks, Link(src))))
    else:  # pragma: no cover - nothing else is enabled
        _inlines(node.children, marks, out)


def _text_with_mentions(text: str, marks: tuple[Mark, ...]) -> Iterator[Inline]:
    position = 0
    for match in _MENTION.finditer(text):
        if match.start() > position:
            yield Text(text[position : match.start()], marks)
        yield Mention(match.group(1))
        position = match.end()
    if position < len(text):
        yield Text(text[position:], marks)


def _literal_lines(text: str) -> tuple[Inline, ...]:
    out: list[Inline] = []
    for index, line in enumerate(text.split("\n")):
        if index:
            out.append(HardBreak())
        out.append(Text(line))
    return merge_inlines(out)
