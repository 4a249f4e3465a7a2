"""Jira wiki markup → Document, for templates pasted from vendor docs (`format: wiki`).

Blocks: `h1.`–`h6.`, `bq.`, `----`, `*`/`#`/`-` lists (nested `**`, `#*` …), `||h||` and `|c|`
table rows, `{code[:lang]}`, `{noformat}`, `{quote}`, `{panel[:title=…]}`, `{info}`,
`{note}`, `{warning}`, `{tip}`; a single newline inside a paragraph is a line break, as Jira
renders it. Inlines: `*strong*`, `_em_`, `-strike-`, `??citation??` (em), `{{monospace}}`, the
brace forms `{*}…{*}`, `[text|url]`, `[url]`, `[~user]` and `[~accountid:…]` mentions,
`!image.png!` (a link when it is a URL), `\\\\` line breaks, `\\x` escapes and `&…;` entities.
`+inserted+`, `^sup^`, `~sub~` and `{color}` keep their text only. Unknown macros stay text.
The parser never fails: anything it does not understand is text.
"""

from __future__ import annotations

import html
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

__all__ = ["URL", "parse_wiki"]

# Bare URLs are links in Jira and carry no markup; to_wiki leaves exactly these unescaped.
URL = re.compile(r"(?<![A-Za-z0-9])https?://[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]+")
_MACRO = re.compile(r"\{(code|noformat|quote|panel|info|warning|note|tip)(?::([^}]*))?\}", re.I)
_HEADING = re.compile(r"^\s*h([1-6])\.\s*(.*)$")
_QUOTE_LINE = re.compile(r"^\s*bq\.\s(.*)$")
_RULE = re.compile(r"^\s*-{4,}\s*$")
_LIST = re.compile(r"^\s*([*#]+|-)\s+(.*)$")
_ENTITY = re.compile(r"&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_BRACE_MARK = re.compile(r"\{(\*|_|-|\+|\^|~|\?\?)\}")
_COLOR = re.compile(r"\{color(?::[^}]*)?\}")
_IMAGE = re.compile(r"!([^!\s|][^!\s|]*)(?:\|[^!\n]*)?!")
_PANEL_KINDS: dict[str, PanelKind] = {
    "info": "info",
    "note": "note",
    "warning": "warning",
    "tip": "success",
}
_MARKS: dict[str, Mark | None] = {
    "*": "strong",
    "_": "em",
    "-": "strike",
    "??": "em",
    "+": None,
    "^": None,
    "~": None,
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
        return [Heading(int(heading.group(1)), _inlines(heading.group(2).strip()))], index + 1
    if quote := _QUOTE_LINE.match(line):
        return [BlockQuote((Paragraph(_inlines(quote.group(1).strip())),))], index + 1
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
        inlines.extend(_inlines(line.strip()))
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
        entries.append((match.group(1), _inlines(match.group(2).strip())))
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
    inlines = _inlines(text.strip())
    return TableCell((Paragraph(inlines),) if inlines else (), header=header)


# -- inlines ------------------------------------------------------------------------------


def _inlines(text: str) -> tuple[Inline, ...]:
    parsed = _InlineParser(text).parse(0, len(text), ())
    inlines = list(merge_inlines(i for i in parsed if not isinstance(i, str)))
    return merge_inlines(_trim_around_breaks(inlines))


def _trim_around_breaks(inlines: list[Inline]) -> Iterator[Inline]:
    """Spaces next to a line break are layout (` \\\\ `), not text."""
    for index, item in enumerate(inlines):
        if isinstance(item, Text) and not item.marks:
            before = index > 0 and isinstance(inlines[index - 1], HardBreak)
            after = index + 1 < len(inlines) and isinstance(inlines[index + 1], HardBreak)
            value = item.text.lstrip(" ") if before else item.text
            item = Text(value.rstrip(" ") if after else value)
        yield item


# A construct parsed at a position: inlines (a str is literal text) and where parsing resumes.
_Step = tuple[list[Inline | str], int] | None


class _InlineParser:
    def __init__(self, text: str) -> None:
        self.text = text

    def parse(self, start: int, end: int, marks: tuple[Mark, ...]) -> list[Inline | str]:
        out: list[Inline | str] = []
        buffer: list[str] = []

        def flush() -> None:
            if buffer:
                out.append(Text("".join(buffer), marks))
                buffer.clear()

        index = start
        while index < end:
            step = self._construct(index, end, marks)
            if step is None:
                char = self.text[index]
                if char == "\\" and index + 1 < end:
                    buffer.append(self.text[index + 1])
                    index += 2
                else:
                    buffer.append(char)
                    index += 1
                continue
            items, index = step
            for item in items:
                if isinstance(item, str):
                    buffer.append(item)
                else:
                    flush()
                    out.append(item)
        flush()
        return out

    def _construct(self, index: int, end: int, marks: tuple[Mark, ...]) -> _Step:
        text = self.text
        char = text[index]
        if text.startswith("\\\\", index):
            return [HardBreak()], index + 2
        if char == "&" and (entity := _ENTITY.match(text, index, end)):
            decoded = html.unescape(entity.group(0))
            return [decoded], entity.end()
        if char == "h" and (url := URL.match(text, index, end)):
            return [url.group(0)], url.end()
        if text.startswith("{{", index):
            close = self._find("}}", index + 2, end)
            if close is not None and close > index + 2:
                return self.parse(index + 2, close, (*marks, "code")), close + 2
        if char == "{":
            return self._brace(index, end, marks)
        if char == "[":
            return self._bracket(index, end, marks)
        if char == "!" and (image := _IMAGE.match(text, index, end)):
            target = image.group(1)
            link: tuple[Mark, ...] = (Link(target),) if URL.match(target) else ()
            return [Text(target, (*marks, *link))], image.end()
        token = "??" if text.startswith("??", index) else char
        if token in _MARKS and self._opens(index, token, end):
            close = self._closing(index + len(token), token, end)
            if close is not None:
                mark = _MARKS[token]
                inner = (*marks, mark) if mark else marks
                return self.parse(index + len(token), close, inner), close + len(token)
        return None

    def _brace(self, index: int, end: int, marks: tuple[Mark, ...]) -> _Step:
        if color := _COLOR.match(self.text, index, end):
            return [], color.end()
        brace = _BRACE_MARK.match(self.text, index, end)
        if brace is None:
            return None
        close = self._find(brace.group(0), brace.end(), end)
        if close is None:
            return None
        mark = _MARKS[brace.group(1)]
        inner = (*marks, mark) if mark else marks
        return self.parse(brace.end(), close, inner), close + len(brace.group(0))

    def _bracket(self, index: int, end: int, marks: tuple[Mark, ...]) -> _Step:
        close = self._find("]", index + 1, end)
        if close is None:
            return None
        inner = self.text[index + 1 : close]
        if inner.startswith("~") and len(inner) > 1:
            user = inner[1:]
            account = user[len("accountid:") :] if user.lower().startswith("accountid:") else user
            return [Mention(account)], close + 1
        label, sep, target = inner.partition("|")
        target = target.split("|")[0].strip() if sep else label.strip()
        if not target or not re.match(r"^(https?://|mailto:|ftp://|#|/)", target):
            return None
        if not sep:
            return [Text(target, (*marks, Link(target)))], close + 1
        return self.parse(index + 1, index + 1 + len(label), (*marks, Link(target))), close + 1

    def _opens(self, index: int, marker: str, end: int) -> bool:
        after = index + len(marker)
        if after >= end or self.text[after].isspace():
            return False
        before = self.text[index - 1] if index > 0 else " "
        if before.isalnum():
            return False
        # `--` and `---` are dashes in Jira, not strike-through
        return marker != "-" or (self.text[after] != "-" and before != "-")

    def _closing(self, start: int, token: str, end: int) -> int | None:
        index = start + 1
        while index < end:
            if self.text[index] == "\\":
                index += 2
                continue
            if (
                self.text.startswith(token, index)
                and not self.text[index - 1].isspace()
                and not self._alnum_at(index + len(token), end)
            ):
                return index
            index += 1
        return None

    def _alnum_at(self, index: int, end: int) -> bool:
        return index < end and self.text[index].isalnum()

    def _find(self, token: str, start: int, end: int) -> int | None:
        index = start
        while index < end:
            if self.text[index] == "\\":
                index += 2
                continue
            if self.text.startswith(token, index):
                return index if index + len(token) <= end else None
            index += 1
        return None
