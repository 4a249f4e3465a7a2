"""The document model: what a template means, before it is ADF (Cloud) or wiki markup (DC).

Parsers (Markdown via markdown-it-py, Jira wiki markup) build it; renderers turn it into ADF
or wiki strings. It is deliberately small: only what both targets can express faithfully.
Immutable, so a rendered template can be shared and compared in tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

SimpleMark = Literal["strong", "em", "code", "strike"]
PanelKind = Literal["info", "note", "warning", "success", "error"]


@dataclass(frozen=True)
class Link:
    """A link mark: the text it is attached to points at `href`."""

    href: str


Mark = SimpleMark | Link


@dataclass(frozen=True)
class Text:
    text: str
    marks: tuple[Mark, ...] = ()


@dataclass(frozen=True)
class HardBreak:
    pass


@dataclass(frozen=True)
class Mention:
    """A user mention. `account_id` is the Cloud accountId, or the username on Data Center
    (whoever builds the document resolves it for the flavour); ADF writes a `mention` node with
    it, wiki markup `[~account_id]`. `text` is an optional display name (ADF `@text`)."""

    account_id: str
    text: str = ""


Inline = Text | HardBreak | Mention


@dataclass(frozen=True)
class Paragraph:
    content: tuple[Inline, ...] = ()


@dataclass(frozen=True)
class Heading:
    level: int
    content: tuple[Inline, ...] = ()


@dataclass(frozen=True)
class ListItem:
    content: tuple[Block, ...] = ()


@dataclass(frozen=True)
class BulletList:
    items: tuple[ListItem, ...] = ()


@dataclass(frozen=True)
class OrderedList:
    items: tuple[ListItem, ...] = ()
    start: int = 1


@dataclass(frozen=True)
class CodeBlock:
    text: str
    language: str | None = None


@dataclass(frozen=True)
class BlockQuote:
    content: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Panel:
    kind: PanelKind = "info"
    content: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Rule:
    pass


@dataclass(frozen=True)
class TableCell:
    content: tuple[Block, ...] = ()
    header: bool = False


@dataclass(frozen=True)
class TableRow:
    cells: tuple[TableCell, ...] = ()


@dataclass(frozen=True)
class Table:
    rows: tuple[TableRow, ...] = ()


Block = (
    Paragraph | Heading | BulletList | OrderedList | CodeBlock | BlockQuote | Panel | Rule | Table
)


@dataclass(frozen=True)
class Document:
    blocks: tuple[Block, ...] = field(default_factory=tuple)

    @classmethod
    def plain(cls, text: str) -> Document:
        """A document of plain paragraphs, one per blank-line-separated chunk of `text`."""
        chunks = [c for c in text.split("\n\n") if c.strip()]
        return cls(tuple(Paragraph((Text(c),)) for c in chunks))


def merge_inlines(inlines: Iterable[Inline]) -> tuple[Inline, ...]:
    """Join neighbouring texts that carry the same marks, and drop empty texts."""
    merged: list[Inline] = []
    for item in inlines:
        if isinstance(item, Text):
            if not item.text:
                continue
            last = merged[-1] if merged else None
            if isinstance(last, Text) and last.marks == item.marks:
                merged[-1] = Text(last.text + item.text, item.marks)
                continue
        merged.append(item)
    return tuple(merged)


def map_inlines(blocks: Iterable[Block], change: Callable[[Inline], Inline]) -> tuple[Block, ...]:
    """`blocks` with every inline replaced by `change(inline)` (texts then merged again)."""
    return tuple(_map_block(block, change) for block in blocks)


def all_inlines(blocks: Iterable[Block]) -> Iterator[Inline]:
    """Every inline of `blocks`, in document order."""
    for block in blocks:
        if isinstance(block, Paragraph | Heading):
            yield from block.content
        elif isinstance(block, BulletList | OrderedList):
            for item in block.items:
                yield from all_inlines(item.content)
        elif isinstance(block, BlockQuote | Panel):
            yield from all_inlines(block.content)
        elif isinstance(block, Table):
            for row in block.rows:
                for cell in row.cells:
                    yield from all_inlines(cell.content)


def _map_block(block: Block, change: Callable[[Inline], Inline]) -> Block:
    if isinstance(block, Paragraph | Heading):
        return replace(block, content=merge_inlines(map(change, block.content)))
    if isinstance(block, BulletList | OrderedList):
        items = tuple(ListItem(map_inlines(item.content, change)) for item in block.items)
        return replace(block, items=items)
    if isinstance(block, BlockQuote | Panel):
        return replace(block, content=map_inlines(block.content, change))
    if isinstance(block, Table):
        return Table(
            tuple(
                TableRow(
                    tuple(
                        TableCell(map_inlines(cell.content, change), cell.header)
                        for cell in row.cells
                    )
                )
                for row in block.rows
            )
        )
    return block
