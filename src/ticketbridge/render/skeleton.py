"""The fast path of Markdown templates: parse each template's structure once, fill values per alert.

The engine renders a template with every `{{ … }}` output replaced by a placeholder
(`\\ue000<n>\\ue001`, private-use characters markdown-it reads as plain letters) and the output
texts recorded. The text with placeholders, the *skeleton*, is the same for every alert that
takes the same branches and loop counts; it is parsed once (LRU cache) and each alert's values
are put where their placeholders landed. The result must be exactly the `Document` that parsing
the real text gives, so a value is put in only where that is certain, and `fill_markdown`
returns None otherwise (the engine then parses the real text, as without the fast path).

Where a placeholder may land and what a value must look like there (conservative on purpose;
anything else falls back):
- text (`Text` without the code mark): non-empty; no control, private-use or line-separator
  characters; no unescaped `` ` < > & | * _ ~ [ ] ! @ ( ) " ' `` and no `\\` other than a
  backslash escape of ASCII punctuation other than `` ` < > | `` (what `md_escape` writes);
  starts with a letter/digit or an escape and does not start as an ordered-list marker
  (`1.` / `1)` followed by a space or the end), nor is it all digits next to a digit, `.` or
  `)` of the template or another value; does not end with whitespace or `#`; a value
  touching a `*`, `_` or `~` of the template starts/ends (on that side) with a letter or digit,
  so emphasis is delimited exactly as around the placeholder. Its text is the value with the
  escapes resolved.
- code (`Text` with the code mark, `CodeBlock` text): non-empty; no control, private-use,
  line-separator, `` ` `` or `|` characters; starts with a letter/digit (not as a list marker,
  the same digit rule as text),
  does not end with whitespace or `\\`. Its text is the raw value.
- link href: no whitespace/control, `( ) < > \\ & ` " ' |` or private-use characters; the href is
  markdown-it's `normalizeLink` of the whole destination, which must pass `validateLink`.
- anywhere else (image, mention, code-block language, link title, raw HTML) → fall back.
A skeleton with `<` anywhere (autolinks, raw HTML), link reference definitions, a backslash or
an unfinished entity (`&amp`) just before a placeholder, or a placeholder in a block quote's
first text (it could spell a GitHub alert panel `[!NOTE]`) is never filled.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ticketbridge.render.document import (
    Block,
    BlockQuote,
    BulletList,
    CodeBlock,
    Document,
    Heading,
    Inline,
    LazyDocument,
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
from ticketbridge.render.limits import jira_length
from ticketbridge.render.markdown import configure_parser, document_of_tokens
from ticketbridge.render.sandbox import PLACEHOLDER_CLOSE as CLOSE
from ticketbridge.render.sandbox import PLACEHOLDER_OPEN as OPEN
from ticketbridge.render.skeleton_adf import AdfPlan, adf_plan
from ticketbridge.render.text import to_text

__all__ = [
    "MAX_SKELETON",
    "PLAIN_URL",
    "fill_markdown",
    "fill_measured",
    "normalized_link",
    "real_text",
]

MAX_SKELETON = 32_000  # longer skeletons are not cached (memory): they take the slow path
_PLACEHOLDER = re.compile(f"{OPEN}(\\d+){CLOSE}")
_RISKY_BEFORE = re.compile(f"(?:&[#A-Za-z0-9]*|\\\\){OPEN}")
_UNSAFE_ALWAYS = "\\x00-\\x1f\\x7f-\\x9f\\ue000-\\uf8ff\\ud800-\\udfff\\u2028\\u2029"
# Runs of plain characters or escapes; possessive, so a refusal never backtracks.
_TEXT_VALUE = re.compile(
    f"(?:[^{_UNSAFE_ALWAYS}\\\\`<>&|*_~\\[\\]!@()\"']++|\\\\[!-/:;=?@\\[\\\\\\]^_{{}}~])++"
)
_TEXT_ESCAPE = re.compile(r"\\([!-/:;=?@\[\\\]^_{}~])")
_ESCAPED = itemgetter(1)  # the escaped character of a match (C-level: no Python call per match)
_CODE_VALUE = re.compile(f"[^{_UNSAFE_ALWAYS}`|]+")
_HREF_VALUE = re.compile(f"[^{_UNSAFE_ALWAYS} ()<>\\\\&`\"'|]*")
# URLs markdown-it's normalizeLink returns unchanged and validateLink accepts (a lower-case
# ASCII host, unreserved path/query characters): the common case skips mdurl's parse.
PLAIN_URL = re.compile(
    r"https?://[a-z0-9][a-z0-9.-]*(?::[0-9]{1,5})?(?:[/?#][\w/.~=?#:@!$+,;-]*)?", re.A
)
_LIST_MARKER = re.compile(r"\d{1,9}[.)](?!\S)")
_DELIMITERS = frozenset("*_~")
_DIGIT_BEFORE = frozenset("0123456789" + CLOSE)
_DIGIT_AFTER = frozenset("0123456789.)" + OPEN)

_TEXT, _CODE, _HREF = 0, 1, 2
Fill = Callable[[Sequence[str]], Any]


class _NotFillable(Exception):
    """This skeleton or these values cannot be filled with certainty: parse the real text."""


class _SkeletonParser(MarkdownIt):
    """Our Markdown parser, except that a link destination holding a placeholder is kept raw
    (it is normalized and validated once the values are in)."""

    def normalizeLink(self, url: str) -> str:
        return url if OPEN in url else super().normalizeLink(url)

    def validateLink(self, url: str) -> bool:
        return True if OPEN in url else super().validateLink(url)


@lru_cache(maxsize=1)
def _parser() -> _SkeletonParser:
    parser = _SkeletonParser("commonmark", {"html": True})
    configure_parser(parser)
    return parser


def real_text(skeleton: str, values: Sequence[str]) -> str | None:
    """The text the render produced (None if the template's own text holds placeholder
    characters, so placeholders cannot be told apart)."""
    if skeleton.count(OPEN) != len(values) or skeleton.count(CLOSE) != len(values):
        return None
    return _PLACEHOLDER.sub(lambda match: values[int(match.group(1))], skeleton)


def fill_markdown(skeleton: str, values: Sequence[str]) -> Document | None:
    """The Document of the real text, from the cached parse of `skeleton`; None when unsure."""
    filled = fill_measured(skeleton, values)
    return None if filled is None else filled[0]


def fill_measured(skeleton: str, values: Sequence[str]) -> tuple[Document, int] | None:
    """`fill_markdown`'s Document and its `jira_length(to_text(…))`: the skeleton's, with each
    text/code placeholder's length swapped for its insert's (each is written once by to_text;
    an insert is never empty and holds no newline, so no line or block turns empty)."""
    if len(skeleton) > MAX_SKELETON:
        return None
    if skeleton.count(OPEN) != len(values) or skeleton.count(CLOSE) != len(values):
        return None
    plan = _plan(skeleton)
    return None if plan is None else plan.fill(values)


class _Plan:
    """A parsed skeleton: what kind of place each value goes to, and how to rebuild."""

    __slots__ = ("adf", "base_length", "build", "document", "has_href", "slots")

    def __init__(
        self,
        document: Document,
        build: Fill | None,
        slots: list[tuple[int, str, str]],
        adf: AdfPlan | None,
    ):
        self.document = document
        self.build = build
        self.adf = adf  # the filled Document's ADF from the skeleton's (skeleton_adf.py)
        self.slots = slots  # per value: (kind, skeleton character before, character after)
        placeholders = sum(len(f"{OPEN}{i}{CLOSE}") for i, s in enumerate(slots) if s[0] != _HREF)
        self.base_length = jira_length(to_text(document)) - placeholders
        self.has_href = any(kind == _HREF for kind, _, _ in slots)

    def fill(self, values: Sequence[str]) -> tuple[Document, int] | None:
        inserts: list[str] = []
        for value, (kind, before, after) in zip(values, self.slots, strict=True):
            insert = _insert(value, kind, before, after)
            if insert is None:
                return None
            inserts.append(insert)
        texts = inserts
        if self.has_href:  # an href is not text
            texts = [i for i, slot in zip(inserts, self.slots, strict=True) if slot[0] != _HREF]
        length = self.base_length + jira_length("".join(texts))
        if self.build is None:
            return self.document, length
        build = self.build
        try:
            if self.adf is None:
                return Document(build(inserts)), length
            # The ADF straight from the skeleton's; the blocks only if someone reads them
            # (hrefs are normalized now: one markdown-it refuses means no fill).
            prepared = self.adf.prepared(inserts)
        except _NotFillable:
            return None
        return LazyDocument(lambda: build(inserts), prepared), length


def _insert(value: str, kind: int, before: str, after: str) -> str | None:
    """What `value` contributes where it stands (module docstring), or None."""
    if len(value) <= _SHORT:  # short values repeat ("n/a", severities, names): remembered
        return _short_insert(value, kind, before, after)
    return _checked_insert(value, kind, before, after)


_SHORT = 64


@lru_cache(maxsize=4096)
def _short_insert(value: str, kind: int, before: str, after: str) -> str | None:
    return _checked_insert(value, kind, before, after)


def _checked_insert(value: str, kind: int, before: str, after: str) -> str | None:
    if kind == _HREF:
        return value if _HREF_VALUE.fullmatch(value) else None
    if not value or _LIST_MARKER.match(value):
        return None
    if value.isdigit() and (before in _DIGIT_BEFORE or after in _DIGIT_AFTER):
        return None  # `{{ n }})` or `1{{ n }}.` could be an ordered-list marker
    first, last = value[0], value[-1]
    if kind == _CODE:
        ok = _CODE_VALUE.fullmatch(value) and first.isalnum() and not last.isspace()
        return value if ok and last != "\\" else None
    if not _TEXT_VALUE.fullmatch(value) or last.isspace() or last == "#":
        return None
    if not (first.isalnum() or first == "\\"):
        return None
    if (before in _DELIMITERS and not first.isalnum()) or (
        after in _DELIMITERS and not last.isalnum()
    ):
        return None
    return _TEXT_ESCAPE.sub(_ESCAPED, value) if "\\" in value else value


@lru_cache(maxsize=512)
def _plan(skeleton: str) -> _Plan | None:
    if "<" in skeleton or _RISKY_BEFORE.search(skeleton):
        return None
    env: dict[str, Any] = {}
    tokens = _parser().parse(skeleton, env)
    if env.get("references") or _placeholder_in_image(tokens):
        return None
    document = document_of_tokens(tokens)
    compiler = _Compiler()
    try:
        build = compiler.blocks(document.blocks)
    except _NotFillable:
        return None
    count = skeleton.count(OPEN)
    if sorted(compiler.kinds) != list(range(count)):
        return None  # a placeholder was dropped (a link title) or split
    slots = []
    for match in _PLACEHOLDER.finditer(skeleton):
        before = skeleton[match.start() - 1] if match.start() else ""
        after = skeleton[match.end() : match.end() + 1]
        slots.append((compiler.kinds[int(match.group(1))], before, after))
    adf = None
    if build is not None and not compiler.merge_hazard:
        adf = adf_plan(document, compiler.kinds, _HREF, normalized_link)
    return _Plan(document, build, slots, adf)


def _placeholder_in_image(tokens: Sequence[Token]) -> bool:
    """Images keep their raw label as alt text: a value there is not plain text."""
    for token in tokens:
        for child in token.children or ():
            source = child.content + str(child.attrs.get("src", ""))
            if child.type == "image" and OPEN in source:
                return True
    return False


class _Compiler:
    """Turns the skeleton Document into a function of the values' inserts; constant parts
    (no placeholder) are shared, not rebuilt."""

    def __init__(self) -> None:
        self.kinds: dict[int, int] = {}
        self.merge_hazard = False  # filled hrefs could join neighbouring texts (no ADF plan)

    def blocks(self, blocks: Sequence[Block]) -> Fill | None:
        return _sequence(blocks, self.block)

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

    def code_block(self, block: CodeBlock) -> Fill | None:
        language = block.language
        if language is not None and OPEN in language:
            raise _NotFillable
        text = self.segments(block.text, _CODE)
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
                raise _NotFillable
            parts.append((inline, recipe))
        recipes = [(index, recipe) for index, (_, recipe) in enumerate(parts) if recipe]
        if not recipes:
            return None
        constant = [inline for inline, _ in parts]
        if merge and any(map(_may_join, constant, constant[1:])):
            self.merge_hazard = True

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
        found = self.segments(text.text, _CODE if "code" in text.marks else _TEXT)
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
        raw = self.segments(mark.href, _HREF)
        if raw is None:
            return None

        def fill(ins: Sequence[str]) -> Link:
            return Link(normalized_link(raw(ins)))

        return fill

    def segments(self, text: str, kind: int) -> Fill | None:
        """`text` with its placeholders filled (None if it holds none)."""
        if OPEN not in text and CLOSE not in text:
            return None
        pieces = _PLACEHOLDER.split(text)
        literals, indices = pieces[0::2], [int(index) for index in pieces[1::2]]
        if any(OPEN in literal or CLOSE in literal for literal in literals):
            raise _NotFillable
        for index in indices:
            if index in self.kinds:
                raise _NotFillable
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


def normalized_link(raw: str) -> str:
    """markdown-it's href for the link destination `raw`; `_NotFillable` if it refuses it."""
    if PLAIN_URL.fullmatch(raw):
        return raw
    parser = _parser()
    href = MarkdownIt.normalizeLink(parser, raw)
    if not MarkdownIt.validateLink(parser, href):
        raise _NotFillable  # the real text has no link here
    return href


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


def _may_join(first: Inline, second: Inline) -> bool:
    """Neighbouring texts whose marks could become equal once link hrefs are filled."""
    if not (isinstance(first, Text) and isinstance(second, Text)):
        return False
    if len(first.marks) != len(second.marks):
        return False
    return all(
        a == b or (isinstance(a, Link) and isinstance(b, Link))
        for a, b in zip(first.marks, second.marks, strict=True)
    )


def _refuse_alert_head(quote: BlockQuote) -> None:
    """`> [!NOTE]` makes a panel, and a value in a quote's first text could spell it (even
    escaped: `\\[!NOTE\\]` is the text `[!NOTE]`)."""
    first = quote.content[0] if quote.content else None
    head = first.content[0] if isinstance(first, Paragraph) and first.content else None
    if isinstance(head, Text) and OPEN in head.text:
        raise _NotFillable
