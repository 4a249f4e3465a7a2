"""Document → Jira wiki markup (Data Center, REST v2), and the escaping of user text.

Escaping (`wiki_escape`), so text can never turn into markup:
- `* _ - + ^ ~ { } [ ] | ! #` get a backslash (Jira's escape character), `??` → `\\?\\?`;
- a backslash is written `&#92;` (a literal `\\\\` would be a line break, and `\\x` an escape),
  and `&` becomes `&amp;` where it would start an entity;
- a line starting with `h1.`–`h6.` or `bq.` gets its first letter as an entity (`&#104;1.`);
- bare `http(s)://` URLs are left as they are, so Jira still links them.
Links are written only when render/safety.py's URL policy allows their target (http, https,
mailto); a refused one is written as its text alone.
Emoticons such as `(i)` or `:)` are not escaped: they render as icons, not as markup.

Marks are written `*strong*`, `_em_`, `-strike-`, `{{code}}`; where a neighbour would glue a
marker to a word (Jira only honours markers at word boundaries) the brace form `{*}` is used.
A line break is a newline in paragraphs and ` \\\\ ` inside table cells and list items.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from urllib.parse import quote

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
    Mention,
    OrderedList,
    Panel,
    Paragraph,
    Rule,
    Table,
    TableCell,
    TableRow,
    Text,
)
from ticketbridge.render.safety import safe_href
from ticketbridge.render.text import to_text
from ticketbridge.render.wiki_in import parse_wiki
from ticketbridge.render.wiki_inline import URL

_SPECIAL = re.compile(r"[*_\-+^~{}\[\]|!#]")
# Fast path: most values (ids, names, dates) contain nothing that could become markup.
_NEEDS_ESCAPE = re.compile(r"[*_\-+^~?#{}\[\]|!\\&\n]|^\s*(?:h[1-6]|bq)\.", re.M)
_ENTITY_START = re.compile(r"&(?=#?\w+;)")
_LINE_START_MARKUP = re.compile(r"^(\s*)([hb])(?=[1-6]\.|q\.)", re.M)
_LANGUAGE = re.compile(r"[^A-Za-z0-9_+#.\-]")
_COMPACT_BREAK = " \\\\ "
_PUNCTUATION = frozenset(".,;:!?()'\"[]|")
_MARKERS = {"strong": "*", "em": "_", "strike": "-"}
_PANEL_MACROS = {
    "info": "{info}",
    "note": "{note}",
    "warning": "{warning}",
    "success": "{tip}",
    "error": "{panel:borderColor=#DE350B|bgColor=#FFEBE6}",
}


def wiki_escape(value: object, inline: bool = False) -> str:
    """Escape text for Jira wiki markup. `inline=True` also turns newlines into ` \\\\ `
    line breaks, for values placed inside a table cell or a list item."""
    text = clean_text(str(value))
    if not _NEEDS_ESCAPE.search(text):
        return text
    pieces: list[str] = []
    position = 0
    for match in URL.finditer(text):
        pieces.append(_escape_plain(text[position : match.start()]))
        pieces.append(match.group(0))
        position = match.end()
    pieces.append(_escape_plain(text[position:]))
    escaped = _protect_line_starts("".join(pieces))
    if inline:
        escaped = re.sub(r"[ \t]*\n[ \t]*", _COMPACT_BREAK.replace("\\", "\\\\"), escaped)
    return escaped


def _escape_plain(text: str) -> str:
    text = _ENTITY_START.sub("&amp;", text)
    text = _SPECIAL.sub(_escape_special, text)
    text = text.replace("??", "\x00?\x00?")
    return text.replace("\\", "&#92;").replace("\x00", "\\")


def _escape_special(match: re.Match[str]) -> str:
    """`\\x` (with NUL for the backslash until backslashes are entities), except text-effect
    markers between two letters or digits: Jira never reads those as markup (`pii-block`)."""
    char, at, text = match.group(0), match.start(), match.string
    inside_word = 0 < at < len(text) - 1 and text[at - 1].isalnum() and text[at + 1].isalnum()
    if char in "*_-+^~" and inside_word:
        return char
    return "\x00" + char


def _protect_line_starts(text: str) -> str:
    return _LINE_START_MARKUP.sub(lambda m: f"{m.group(1)}&#{ord(m.group(2))};", text)


def to_wiki(doc: Document) -> str:
    """Jira wiki markup for `doc` (blocks separated by a blank line)."""
    return "\n\n".join(part for part in _blocks(doc.blocks, quoted=False) if part)


def wiki_to_text(text: str) -> str:
    """The plain text of Jira wiki markup (e.g. a Data Center comment read back)."""
    return to_text(parse_wiki(text))


# -- blocks -------------------------------------------------------------------------------


def _blocks(blocks: Iterable[Block], *, quoted: bool, in_panel: bool = False) -> Iterator[str]:
    for block in blocks:
        if isinstance(block, BlockQuote) and quoted:
            yield from _blocks(block.content, quoted=True, in_panel=in_panel)
        elif isinstance(block, Panel) and in_panel:
            yield from _blocks(block.content, quoted=quoted, in_panel=True)
        else:
            yield _block(block, quoted=quoted, in_panel=in_panel)


def _block(block: Block, *, quoted: bool, in_panel: bool) -> str:
    if isinstance(block, Paragraph):
        return _inline_text(block.content, "\n")
    if isinstance(block, Heading):
        return f"h{min(max(block.level, 1), 6)}. " + _inline_text(block.content, " ")
    if isinstance(block, BulletList | OrderedList):
        return "\n".join(_list_lines(block, ""))
    if isinstance(block, CodeBlock):
        return _code(block)
    if isinstance(block, BlockQuote):
        inner = "\n\n".join(_blocks(block.content, quoted=True, in_panel=in_panel))
        return f"{{quote}}\n{inner}\n{{quote}}"
    if isinstance(block, Panel):
        macro = _PANEL_MACROS[block.kind]
        close = "{" + re.split(r"[:}]", macro[1:])[0] + "}"
        inner = "\n\n".join(_blocks(block.content, quoted=quoted, in_panel=True))
        return f"{macro}\n{inner}\n{close}"
    if isinstance(block, Rule):
        return "----"
    if isinstance(block, Table):
        return "\n".join(_row(row) for row in block.rows if row.cells)
    return ""  # pragma: no cover - every block type is handled above


def _code(block: CodeBlock) -> str:
    text = clean_text(block.text)
    language = _LANGUAGE.sub("", block.language or "")
    if "{code" not in text:
        head = f"{{code:{language}}}" if language else "{code}"
        return f"{head}\n{text}\n{{code}}"
    if "{noformat" not in text:
        return f"{{noformat}}\n{text}\n{{noformat}}"
    # Neither macro can hold this text: fall back to escaped monospace lines.
    return "\n".join(f"{{{{{wiki_escape(line)}}}}}" if line else "" for line in text.split("\n"))


def _list_lines(block: BulletList | OrderedList, prefix: str) -> Iterator[str]:
    marker = prefix + ("#" if isinstance(block, OrderedList) else "*")
    for item in block.items:
        yield from _item_lines(item, marker)


def _item_lines(item: ListItem, marker: str) -> Iterator[str]:
    inline_parts: list[str] = []
    nested: list[str] = []
    for child in item.content:
        if isinstance(child, BulletList | OrderedList):
            nested.extend(_list_lines(child, marker))
        else:
            inline_parts.append(_compact(child))
    first = _COMPACT_BREAK.join(p for p in inline_parts if p) or "&nbsp;"
    yield f"{marker} {first}"
    yield from nested


def _row(row: TableRow) -> str:
    out: list[str] = []
    for cell in row.cells:
        out.append("||" if cell.header else "|")
        out.append(_cell(cell))
    out.append("||" if row.cells[-1].header else "|")
    return "".join(out)


def _cell(cell: TableCell) -> str:
    text = _COMPACT_BREAK.join(p for p in (_compact(b) for b in cell.content) if p)
    return text or " "


def _compact(block: Block) -> str:
    """A block as one line of inline markup (table cells and list items can't hold blocks)."""
    if isinstance(block, Paragraph | Heading):
        return _inline_text(block.content, _COMPACT_BREAK)
    plain = to_text(Document((block,)))
    return _COMPACT_BREAK.join(wiki_escape(line) for line in plain.split("\n") if line.strip())


# -- inlines ------------------------------------------------------------------------------

# A rendered inline run is a list of pieces: plain strings, or ("open"/"close", marker).
Piece = str | tuple[str, str]


def _inline_text(inlines: Sequence[Inline], line_break: str) -> str:
    pieces: list[Piece] = []
    for item in _merged(inlines):
        if isinstance(item, HardBreak):
            pieces.append(line_break)
        elif isinstance(item, Mention):
            pieces.append(_mention(item))
        else:
            for index, line in enumerate(clean_text(item.text).split("\n")):
                if index:
                    pieces.append(line_break)
                pieces.extend(_text_pieces(Text(line, item.marks)))
    rendered = _join(pieces)
    return _protect_line_starts(rendered) if line_break == "\n" else rendered


def _merged(inlines: Sequence[Inline]) -> Iterator[Inline]:
    pending: Text | None = None
    for item in inlines:
        if isinstance(item, Text) and pending is not None and pending.marks == item.marks:
            pending = Text(pending.text + item.text, item.marks)
            continue
        if pending is not None:
            yield pending
            pending = None
        if isinstance(item, Text):
            pending = item
        else:
            yield item
    if pending is not None:
        yield pending


def _mention(mention: Mention) -> str:
    name = clean_text(mention.account_id).strip()
    if name and not re.search(r"[\[\]|{}\s]", name):
        return f"[~{name}]"
    return wiki_escape("@" + (name or mention.text))


def _text_pieces(text: Text) -> list[Piece]:
    stripped = text.text.strip(" \t")
    if not stripped:
        return [text.text] if text.text else []
    lead = text.text[: len(text.text) - len(text.text.lstrip(" \t"))]
    trail = text.text[len(text.text.rstrip(" \t")) :]
    link = next((m for m in reversed(text.marks) if isinstance(m, Link)), None)
    href = None if link is None else safe_href(link.href)  # refused: the text, no link
    names = list(dict.fromkeys(m for m in text.marks if isinstance(m, str)))
    body: list[Piece] = [wiki_escape(stripped)]
    if "code" in names:
        body = ["{{", *body, "}}"]
    for name in ("strike", "em", "strong"):
        if name in names:
            body = [("open", _MARKERS[name]), *body, ("close", _MARKERS[name])]
    if href is not None and body == [_href(href)]:
        body = ["[", *body, "]"]
    elif href is not None:
        body = ["[", *body, "|" + _href(href) + "]"]
    return [lead, *body, trail]


def _href(href: str) -> str:
    """A normalized target (`safe_href`) as wiki markup holds it: `[]|{}` are already %XX."""
    return quote(href, safe="/:?#@!$&'()*+,;=%-._~")


def _join(pieces: Sequence[Piece]) -> str:
    """Render markers; a pair takes the brace form `{*}` when either end would touch a word
    (or another marker), where Jira would not recognise the plain form."""
    braced = _braced_markers(pieces)
    out: list[str] = []
    for index, piece in enumerate(pieces):
        if isinstance(piece, str):
            out.append(piece)
        else:
            out.append(f"{{{piece[1]}}}" if index in braced else piece[1])
    return "".join(out)


def _braced_markers(pieces: Sequence[Piece]) -> set[int]:
    braced: set[int] = set()
    opened: list[tuple[int, bool]] = []
    for index, piece in enumerate(pieces):
        if isinstance(piece, str):
            continue
        if piece[0] == "open":
            opened.append((index, _glued(_prev_char(pieces, index))))
            continue
        start, start_glued = opened.pop()
        if start_glued or _glued(_next_char(pieces, index + 1)):
            braced.update((start, index))
    return braced


def _glued(neighbour: str) -> bool:
    return neighbour != "" and not neighbour.isspace() and neighbour not in _PUNCTUATION


def _prev_char(pieces: Sequence[Piece], end: int) -> str:
    for piece in reversed(pieces[:end]):
        if isinstance(piece, str):
            if piece:
                return piece[-1]
        else:
            return "}" if piece[0] == "open" else piece[1]
    return ""


def _next_char(pieces: Sequence[Piece], start: int) -> str:
    for piece in pieces[start:]:
        if isinstance(piece, str):
            if piece:
                return piece[0]
        else:
            return "{" if piece[0] == "close" else piece[1]
    return ""
