"""Document → plain text (for length checks, logs, and sources that take no markup)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from ticketbridge.render.document import (
    Block,
    BlockQuote,
    BulletList,
    CodeBlock,
    Document,
    HardBreak,
    Heading,
    Inline,
    Mention,
    OrderedList,
    Panel,
    Paragraph,
    Rule,
    Table,
    Text,
)


def to_text(doc: Document) -> str:
    """Plain text: blocks separated by a blank line, lists with `- `/`1. `, quotes with `> `."""
    return "\n\n".join(part for part in (_block(b) for b in doc.blocks) if part)


def inline_text(inlines: Iterable[Inline]) -> str:
    """The text of inline content: a line break is a newline, a mention `@name`."""
    out: list[str] = []
    for item in inlines:
        if isinstance(item, Text):
            out.append(item.text)
        elif isinstance(item, HardBreak):
            out.append("\n")
        elif isinstance(item, Mention):
            out.append("@" + (item.text.removeprefix("@") or item.account_id))
    return "".join(out)


def _blocks(blocks: Sequence[Block]) -> str:
    return "\n\n".join(part for part in (_block(b) for b in blocks) if part)


def _block(block: Block) -> str:
    if isinstance(block, Paragraph | Heading):
        return inline_text(block.content)
    if isinstance(block, BulletList | OrderedList):
        return "\n".join(_list_lines(block))
    if isinstance(block, CodeBlock):
        return block.text
    if isinstance(block, BlockQuote):
        return "\n".join(
            "> " + line if line else ">" for line in _blocks(block.content).split("\n")
        )
    if isinstance(block, Panel):
        return _blocks(block.content)
    if isinstance(block, Rule):
        return "———"
    if isinstance(block, Table):
        rows = (
            " | ".join(_blocks(c.content).replace("\n", " ") for c in r.cells) for r in block.rows
        )
        return "\n".join(row for row in rows if row.strip(" |"))
    return ""  # pragma: no cover - every block type is handled above


def _list_lines(block: BulletList | OrderedList) -> Iterator[str]:
    for number, item in enumerate(block.items, start=getattr(block, "start", 1)):
        marker = f"{number}. " if isinstance(block, OrderedList) else "- "
        text = "\n".join(part for part in (_block(b) for b in item.content) if part)
        for index, line in enumerate(text.split("\n")):
            yield (marker if index == 0 else " " * len(marker)) + line if line else ""
