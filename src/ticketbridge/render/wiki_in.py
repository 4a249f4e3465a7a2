"""Jira wiki markup → Document, for templates pasted from vendor docs (`format: wiki`).

Blocks: `h1.`–`h6.`, `bq.`, `----`, `*`/`#`/`-` lists (nested `**`, `#*` …), `||h||` and `|c|`
table rows, `{code[:lang]}`, `{noformat}`, `{quote}`, `{panel[:title=…]}`, `{info}`,
`{note}`, `{warning}`, `{tip}`; a single newline inside a paragraph is a line break, as Jira
renders it. Inlines are parsed by `wiki_inline`. Unknown macros stay text.
The parser never fails: anything it does not understand is text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from ticketbridge.render.adf import clean_text
from ticketbridge.render.document import (
    Block,
    BlockQuote,
    BulletList,
    CodeBlock,
    Document,
    HardBreak,
    Heading,
    Inline,
    ListItem,
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
from ticketbridge.render.wiki_inline import parse_inlines

_MACRO = re.compile(r"\{(code|noformat|quote|panel|info|warning|note|tip)(?::([^}]*))?\}", re.I)
_HEADING = re.compile(r"^\s*h([1-6])\.\s*(.*)$")
_QUOTE_LINE = re.compile(r"^\s*bq\.\s(.*)$")
_RULE = re.compile(r"^\s*-{4,}\s*$")
_LIST = re.compile(r"^\s*([*#]+|-)\s+(.*)$")
_PANEL_KINDS: dict[str, PanelKind] = {
    "info": "info",
    "note": "note",
    "warning": "warning",
    "tip": "success",
}


def parse_wiki(text: str) -> Document:
    """Parse Jira wiki markup into the document model (never fails)."""
    return Document(tuple(_blocks(clean_text(text).split("\n"))))


# -- blocks -------------------------------------------------------------------------------


def _blocks(lines: list[str]) -> Iterator[Block]:
    paragraph: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        consumed = _special_block(lines, index)
        if consumed is None and line.strip():
            paragraph.append(line)
            index += 1
            continue
        if paragraph:
            yield _paragraph(paragraph)
            paragraph = []
        if consumed is None:  # blank line
            index += 1
            continue
        blocks, index = consumed
        yield from blocks
    if paragraph:
        yield _paragraph(paragraph)


def _special_block(lines: list[str], index: int) -> tuple[list[Block], int] | None:
    line = lines[index]
    stripped = line.lstrip()
    if stripped.startswith("{") and (macro := _MACRO.match(stripped)):
        return _macro(lines, index, macro)
    if _RULE.match(line):
        return [Rule()], index + 1
    if heading := _HEADING.match(line):
        return [Heading(int(heading.group(1)), parse_inlines(heading.group(2).strip()))], index + 1
    if quote := _QUOTE_LINE.match(line):
        return [BlockQuote((Paragraph(parse_inlines(quote.group(1).strip())),))], index + 1
    if _LIST.match(line):
        end = index
        while end < len(lines) and _LIST.match(lines[end]) and not _RULE.match(lines[end]):
            end += 1
        return _lists(lines[index:end]), end
    if stripped.startswith("|"):
        end = index
        while end < len(lines) and lines[end].lstrip().startswith("|"):
            end += 1
        return [Table(tuple(_row(row) for row in lines[index:end]))], end
    return None


def _paragraph(lines: Sequence[str]) -> Paragraph:
    inlines: list[Inline] = []
    for index, line in enumerate(lines):
        if index:
            inlines.append(HardBreak())
        inlines.extend(parse_inlines(line.strip()))
    return Paragraph(merge_inlines(inlines))


def _macro(lines: list[str], index: int, macro: re.Match[str]) -> tuple[list[Block], int]:
    """A `{name}…{name}` block: its body may start on the opening line and end mid-line."""
    name = macro.group(1).lower()
    first = lines[index].lstrip()[macro.end() :]
    closing = re.compile(r"\{" + name + r"\}", re.I)
    body: list[str] = []
    rest = first
    cursor = index
    while True:
        found = closing.search(rest)
        if found:
            body.append(rest[: found.start()])
            after = rest[found.end() :]
            break
        body.append(rest)
        cursor += 1
        if cursor >= len(lines):  # never closed: the macro runs to the end, as in Jira
            after = ""
            break
        rest = lines[cursor]
    if body and not body[0].strip():
        body = body[1:]
    if body and not body[-1].strip():
        body = body[:-1]
    remaining = [after] if after.strip() else []
    lines[cursor + 1 : cursor + 1] = remaining  # text after the close is parsed next
    return [_macro_block(name, macro.group(2) or "", body)], cursor + 1


def _macro_block(name: str, params: str, body: list[str]) -> Block:
    options = _params(params)
    if name in ("code", "noformat"):
        language = options.get("") or options.get("language") if name == "code" else None
        return CodeBlock("\n".join(body), language or None)
    inner = list(_blocks(body))
    if name == "quote":
        return BlockQuote(tuple(inner))
    if name == "panel":
        error = "ffebe6" in options.get("bgcolor", "").lower()
        kind: PanelKind = "error" if error else "info"
    else:
        kind = _PANEL_KINDS[name]
    if title := options.get("title", "").strip():
        inner.insert(0, Paragraph((Text(title, ("strong",)),)))
    return Panel(kind, tuple(inner))


def _params(params: str) -> dict[str, str]:
    """`java|title=x|bgColor=#fff` → {"": "java", "title": "x", "bgcolor": "#fff"}."""
    options: dict[str, str] = {}
    for part in params.split("|"):
        key, sep, value = part.partition("=")
        if sep:
            options[key.strip().lower()] = value.strip()
        elif part.strip() and "" not in options:
            options[""] = part.strip()
    return options


def _lists(lines: Sequence[str]) -> list[Block]:
    entries = []
    for line in lines:
        match = _LIST.match(line)
        assert match is not None  # the caller only passes list lines
        entries.append((match.group(1), parse_inlines(match.group(2).strip())))
    return _list_level(entries, 0)


def _list_level(entries: Sequence[tuple[str, tuple[Inline, ...]]], depth: int) -> list[Block]:
    out: list[Block] = []
    items: list[ListItem] = []
    ordered: bool | None = None
    index = 0
    while index < len(entries):
        markers, inlines = entries[index]
        end = index + 1
        while end < len(entries) and len(entries[end][0]) > depth + 1:
            end += 1
        if len(markers) == depth + 1:
            children = _list_level(entries[index + 1 : end], depth + 1)
            item = ListItem((Paragraph(inlines), *children))
        else:  # deeper than its parent: an item holding only the nested list
            item = ListItem(tuple(_list_level(entries[index:end], depth + 1)))
        this_ordered = markers[depth] == "#"
        if ordered is not None and this_ordered != ordered:
            out.append(_list(items, ordered))
            items = []
        ordered = this_ordered
        items.append(item)
        index = end
    if items and ordered is not None:
        out.append(_list(items, ordered))
    return out


def _list(items: list[ListItem], ordered: bool) -> Block:
    return OrderedList(tuple(items)) if ordered else BulletList(tuple(items))


def _row(line: str) -> TableRow:
    """`||a||b||` or `|a|b|` (or mixed): cells split at pipes outside links and monospace."""
    text = line.strip()
    cells: list[TableCell] = []
    header = False
    start: int | None = None
    index = 0
    depth = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "[" or text.startswith("{{", index):
            depth += 1
        elif (char == "]" or text.startswith("}}", index)) and depth:
            depth -= 1
        elif char == "|" and not depth:
            if start is not None:
                cells.append(_cell(text[start:index], header))
            header = text.startswith("||", index)
            index += 2 if header else 1
            start = index
            continue
        index += 2 if text.startswith(("{{", "}}"), index) else 1
    if start is not None and text[start:].strip():
        cells.append(_cell(text[start:], header))
    return TableRow(tuple(cells))


def _cell(text: str, header: bool) -> TableCell:
    inlines = parse_inlines(text.strip())
    return TableCell((Paragraph(inlines),) if inlines else (), header=header)
