"""Jira's length limits: summary ≤ 255 and description ≤ 32,767 characters.

Jira counts characters as Java does (UTF-16 code units: an emoji is 2), so we do too.
What is measured depends on the target, and we choose the strictest reading:
- Data Center (wiki markup): the length of the wiki string (`wiki_measure`);
- Cloud (ADF): the length of the ADF's compact JSON (`adf_measure`) — Atlassian documents the
  32,767 limit for the field, and a document whose JSON fits is accepted whichever way the
  site counts (plain text or serialized ADF).
`truncate` keeps the beginning of the document and ends it with a visible marker paragraph:
"… truncated by ticketbridge: N characters omitted" (N counts omitted text characters).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from ticketbridge.render.adf import adf_size, clean_text, to_adf
from ticketbridge.render.document import (
    Block,
    BlockQuote,
    BulletList,
    CodeBlock,
    Document,
    Heading,
    Inline,
    ListItem,
    OrderedList,
    Panel,
    Paragraph,
    Table,
    TableCell,
    TableRow,
    Text,
)
from ticketbridge.render.text import to_text
from ticketbridge.render.wiki import to_wiki

DESCRIPTION_LIMIT = 32_767
SUMMARY_LIMIT = 255
TRUNCATION_MARKER = "… truncated by ticketbridge: {omitted:,} characters omitted"

Measure = Callable[[Document], int]


def jira_length(text: str) -> int:
    """Length as Jira (Java) counts it: UTF-16 code units (a lone surrogate is one)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def text_measure(doc: Document) -> int:
    return jira_length(to_text(doc))


def adf_measure(doc: Document) -> int:
    return adf_size(to_adf(doc))


def wiki_measure(doc: Document) -> int:
    return jira_length(to_wiki(doc))


def truncate(
    doc: Document,
    max_chars: int = DESCRIPTION_LIMIT,
    *,
    measure: Measure = text_measure,
    marker: str = TRUNCATION_MARKER,
) -> Document:
    """`doc` if it fits, else its longest prefix that fits with the marker paragraph after it."""
    if measure(doc) <= max_chars:
        return doc
    total = _Cutter.size(doc.blocks)

    def candidate(keep: int) -> Document:
        kept = _Cutter(keep).blocks(doc.blocks)
        note = Paragraph((Text(marker.format(omitted=total - keep), ("em",)),))
        return Document((*kept, note))

    if measure(candidate(0)) > max_chars:
        raise ValueError(f"max_chars={max_chars} leaves no room for the truncation marker")
    low, high = 0, total
    while low < high:  # the largest prefix that fits
        middle = (low + high + 1) // 2
        if measure(candidate(middle)) <= max_chars:
            low = middle
        else:
            high = middle - 1
    return candidate(low)


def clip_summary(text: object, limit: int = SUMMARY_LIMIT) -> str:
    """One line of at most `limit` characters; a longer text ends with `…` at a word break."""
    line = " ".join(clean_text(str(text)).split())
    if jira_length(line) <= limit:
        return line
    cut = line[: limit - 1]
    while jira_length(cut) > limit - 1:
        cut = cut[:-1]
    space = cut.rfind(" ")
    if space >= (limit * 3) // 4:  # prefer a word break when it loses little
        cut = cut[:space]
    return cut.rstrip() + "…"


class _Cutter:
    """Copies blocks keeping only the first `budget` characters of their text."""

    _UNLIMITED = 1 << 62

    def __init__(self, budget: int) -> None:
        self.left = budget

    @classmethod
    def size(cls, blocks: Sequence[Block]) -> int:
        """How many characters `blocks` count in this accounting."""
        cutter = cls(cls._UNLIMITED)
        cutter.blocks(blocks)
        return cls._UNLIMITED - cutter.left

    def blocks(self, blocks: Sequence[Block]) -> tuple[Block, ...]:
        out: list[Block] = []
        for block in blocks:
            if self.left <= 0:
                break
            out.append(self.block(block))
        return tuple(out)

    def block(self, block: Block) -> Block:
        if isinstance(block, Paragraph | Heading):
            return replace(block, content=self.inlines(block.content))
        if isinstance(block, CodeBlock):
            return replace(block, text=self.text(block.text))
        if isinstance(block, BulletList | OrderedList):
            items: list[ListItem] = []
            for item in block.items:
                if self.left <= 0:
                    break
                items.append(ListItem(self.blocks(item.content)))
            return replace(block, items=tuple(items))
        if isinstance(block, BlockQuote | Panel):
            return replace(block, content=self.blocks(block.content))
        if isinstance(block, Table):
            rows: list[TableRow] = []
            for row in block.rows:
                if self.left <= 0:
                    break
                rows.append(TableRow(tuple(self.cell(cell) for cell in row.cells)))
            return Table(tuple(rows))
        return block

    def cell(self, cell: TableCell) -> TableCell:
        return TableCell(self.blocks(cell.content), cell.header)

    def inlines(self, inlines: Sequence[Inline]) -> tuple[Inline, ...]:
        out: list[Inline] = []
        for inline in inlines:
            if self.left <= 0:
                break
            if isinstance(inline, Text):
                out.append(Text(self.text(inline.text), inline.marks))
            else:
                self.left -= 1
                out.append(inline)
        return tuple(out)

    def text(self, text: str) -> str:
        kept = text if self.left >= len(text) else text[: self.left]
        self.left -= len(kept)
        return kept
