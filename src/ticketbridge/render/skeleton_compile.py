"""The once-per-skeleton compile of the skeleton fill (render/skeleton.py): the skeleton's
Document turned into a recipe, a function from the values' inserts to the filled blocks.

Only the parts holding a placeholder are rebuilt per alert; constant blocks, items, rows and
inlines are shared. Compiling also records what kind of place each placeholder landed in
(`Compiler.kinds`, the rules of render/skeleton_values.py) and refuses, with `NotFillable`,
the places no value may go (a code-block language, a mention, a block quote's first text, a
placeholder split or used twice).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from ticketbridge.render.document import (
    Block,
    BlockQuote,
    BulletList,
    CodeBlock,
    Heading,
    Inline,
    Link,
    ListItem,
    Mark,
    Mention,
    OrderedList,
    Panel,
    Paragraph,
    Table,
    TableCell,
    TableRow,
    Text,
    merge_inlines,
)
from ticketbridge.render.sandbox import PLACEHOLDER_CLOSE as CLOSE
from ticketbridge.render.sandbox import PLACEHOLDER_OPEN as OPEN
from ticketbridge.render.skeleton_values import (
    BLOCK,
    CODE,
    HREF,
    PLACEHOLDER,
    TEXT,
    NotFillable,
    normalized_link,
)

Fill = Callable[[Sequence[str]], Any]


class Compiler:
    """Turns the skeleton Document into a function of the values' inserts; constant parts
    (no placeholder) are shared, not rebuilt."""

    def __init__(self) -> None:
        self.kinds: dict[int, int] = {}

    def blocks(self, blocks: Sequence[Block], *, top: bool = False) -> Fill | None:
        """`top`: the document's own blocks, where a code block's values are `BLOCK`s."""
        return _sequence(blocks, self.top_block if top else self.block)

    def top_block(self, block: Block) -> Fill | None:
        if isinstance(block, CodeBlock):
            return self.code_block(block, BLOCK)
        return self.block(block)

    def block(self, block: Block) -> Fill | None:
        if isinstance(block, Paragraph):
            content = self.inlines(block.content)
            return None if content is None else lambda ins: Paragraph(content(ins))
        if isinstance(block, Heading):
            level, heading = block.level, self.inlines(block.content)
            return None if heading is None else lambda ins: Heading(level, heading(ins))
        if isinstance(block, BulletList):
            items = _sequence(block.items, self.item)
            return None if items is None else lambda ins: BulletList(items(ins))
        if isinstance(block, OrderedList):
            start, ordered = block.start, _sequence(block.items, self.item)
            return None if ordered is None else lambda ins: OrderedList(ordered(ins), start)
        if isinstance(block, CodeBlock):
            return self.code_block(block)
        if isinstance(block, BlockQuote):
            _refuse_alert_head(block)
            quoted = self.blocks(block.content)
            return None if quoted is None else lambda ins: BlockQuote(quoted(ins))
        if isinstance(block, Panel):
            kind, panel = block.kind, self.blocks(block.content)
            return None if panel is None else lambda ins: Panel(kind, panel(ins))
        if isinstance(block, Table):
            rows = _sequence(block.rows, self.row)
            return None if rows is None else lambda ins: Table(rows(ins))
        return None  # Rule

    def item(self, item: ListItem) -> Fill | None:
        content = self.blocks(item.content)
        return None if content is None else lambda ins: ListItem(content(ins))

    def row(self, row: TableRow) -> Fill | None:
        cells = _sequence(row.cells, self.cell)
        return None if cells is None else lambda ins: TableRow(cells(ins))

    def cell(self, cell: TableCell) -> Fill | None:
        header, content = cell.header, self.blocks(cell.content)
        return None if content is None else lambda ins: TableCell(content(ins), header)

    def code_block(self, block: CodeBlock, kind: int = CODE) -> Fill | None:
        language = block.language
        if language is not None and OPEN in language:
            raise NotFillable
        text = self.segments(block.text, kind)
        return None if text is None else lambda ins: CodeBlock(text(ins), language)

    def inlines(self, content: Sequence[Inline]) -> Fill | None:
        parts: list[tuple[Inline, Fill | None]] = []
        merge = False
        for inline in content:
            recipe: Fill | None = None
            if isinstance(inline, Text):
                recipe, href = self.text(inline)
                merge = merge or href
            elif isinstance(inline, Mention) and (OPEN in inline.account_id + inline.text):
                raise NotFillable
            parts.append((inline, recipe))
        recipes = [(index, recipe) for index, (_, recipe) in enumerate(parts) if recipe]
        if not recipes:
            return None
        constant = [inline for inline, _ in parts]

        def fill(ins: Sequence[str]) -> tuple[Inline, ...]:
            out = constant.copy()
            for index, recipe in recipes:
                out[index] = recipe(ins)
            return merge_inlines(out) if merge else tuple(out)  # equal hrefs join, as in a parse

        return fill

    def text(self, text: Text) -> tuple[Fill | None, bool]:
        """The recipe of a text (None if constant) and whether a link of it has a value."""
        marks = [(mark, self.href(mark)) for mark in text.marks]
        has_href = any(recipe is not None for _, recipe in marks)
        found = self.segments(text.text, CODE if "code" in text.marks else TEXT)
        if found is None and not has_href:
            return None, False
        body = text.text
        words: Fill = found if found is not None else (lambda _ins: body)
        if not has_href:
            fixed = text.marks
            return (lambda ins: Text(words(ins), fixed)), False

        def fill(ins: Sequence[str]) -> Text:
            filled: tuple[Mark, ...] = tuple(m if r is None else r(ins) for m, r in marks)
            return Text(words(ins), filled)

        return fill, True

    def href(self, mark: Mark) -> Fill | None:
        if not isinstance(mark, Link):
            return None
        raw = self.segments(mark.href, HREF)
        if raw is None:
            return None

        def fill(ins: Sequence[str]) -> Link:
            return Link(normalized_link(raw(ins)))

        return fill

    def segments(self, text: str, kind: int) -> Fill | None:
        """`text` with its placeholders filled (None if it holds none)."""
        if OPEN not in text and CLOSE not in text:
            return None
        pieces = PLACEHOLDER.split(text)
        literals, indices = pieces[0::2], [int(index) for index in pieces[1::2]]
        if any(OPEN in literal or CLOSE in literal for literal in literals):
            raise NotFillable
        for index in indices:
            if index in self.kinds:
                raise NotFillable
            self.kinds[index] = kind
        if literals == ["", ""]:
            return itemgetter(indices[0])
        tail = list(zip(indices, literals[1:], strict=True))
        head = literals[0]

        def fill(ins: Sequence[str]) -> str:
            parts = [head]
            for index, literal in tail:
                parts.append(ins[index])
                parts.append(literal)
            return "".join(parts)

        return fill


def _sequence(items: Sequence[Any], compile_one: Callable[[Any], Fill | None]) -> Fill | None:
    """A tuple of `items` where those holding placeholders are rebuilt, the rest shared."""
    recipes = [(index, recipe) for index, item in enumerate(items) if (recipe := compile_one(item))]
    if not recipes:
        return None
    constant = list(items)

    def fill(ins: Sequence[str]) -> tuple[Any, ...]:
        out = constant.copy()
        for index, recipe in recipes:
            out[index] = recipe(ins)
        return tuple(out)

    return fill


def _refuse_alert_head(quote: BlockQuote) -> None:
    """`> [!NOTE]` makes a panel, and a value in a quote's first text could spell it (even
    escaped: `\\[!NOTE\\]` is the text `[!NOTE]`)."""
    first = quote.content[0] if quote.content else None
    head = first.content[0] if isinstance(first, Paragraph) and first.content else None
    if isinstance(head, Text) and OPEN in head.text:
        raise NotFillable
