"""The per-value rules of the skeleton fill (render/skeleton.py): what a value may be where
its placeholder landed, and what it contributes there.

These are the checks run for every value of every alert (`insert`, `normalized_link`), apart
from the once-per-skeleton parse and compile, and the parser whose link rules
`normalized_link` completes. A value is accepted only where the real text's parse is certain
to hold it as written (conservative on purpose; anything else makes the fill fall back):
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
- link href: no whitespace/control, `( ) < > \\ & ` " ' |` or private-use characters unless
  backslash-escaped (all but `` ` `` and `|`; escapes are resolved, as in a destination); the
  href is markdown-it's `normalizeLink` of the whole destination, which must pass our URL
  policy (render/safety.py `allowed_href`, the parser's `validateLink`).
- anywhere else (image, mention, code-block language, link title, raw HTML) → fall back.
"""

from __future__ import annotations

import re
from functools import lru_cache
from operator import itemgetter

from markdown_it import MarkdownIt

from ticketbridge.render.markdown import PolicedMarkdownIt, configure_parser, md_escape
from ticketbridge.render.safety import PLAIN_URL, allowed_href
from ticketbridge.render.sandbox import PLACEHOLDER_CLOSE as CLOSE
from ticketbridge.render.sandbox import PLACEHOLDER_OPEN as OPEN

PLACEHOLDER = re.compile(f"{OPEN}(\\d+){CLOSE}")
_UNSAFE_ALWAYS = "\\x00-\\x1f\\x7f-\\x9f\\ue000-\\uf8ff\\ud800-\\udfff\\u2028\\u2029"
# Runs of plain characters or escapes; possessive, so a refusal never backtracks.
_TEXT_VALUE = re.compile(
    f"(?:[^{_UNSAFE_ALWAYS}\\\\`<>&|*_~\\[\\]!@()\"']++|\\\\[!-/:;=?@\\[\\\\\\]^_{{}}~])++"
)
_TEXT_ESCAPE = re.compile(r"\\([!-/:;=?@\[\\\]^_{}~])")
_ESCAPED = itemgetter(1)  # the escaped character of a match (C-level: no Python call per match)
_CODE_VALUE = re.compile(f"[^{_UNSAFE_ALWAYS}`|]+")
# Plain destination characters, or backslash escapes of ASCII punctuation other than ` and |
# (what `md_escape` writes, and what the values of a document render are: templates.py).
_HREF_VALUE = re.compile(f"(?:[^{_UNSAFE_ALWAYS} ()<>\\\\&`\"'|]++|\\\\[!-/:-@\\[-^_{{}}~])*+")
_HREF_ESCAPE = re.compile(r"\\([!-/:-@\[-^_{}~])")
_LIST_MARKER = re.compile(r"\d{1,9}[.)](?!\S)")
_DELIMITERS = frozenset("*_~")
_DIGIT_BEFORE = frozenset("0123456789" + CLOSE)
_DIGIT_AFTER = frozenset("0123456789.)" + OPEN)

# The kinds of place a placeholder lands in: text, a code span (or a code block inside a list,
# quote, panel or table), a link destination, a fenced code block at the top level.
TEXT, CODE, HREF, BLOCK = 0, 1, 2, 3
_CODE_UNSAFE = re.compile(r"[`|<>\r\n]")
_FENCE_LINE = re.compile(r"^[ \t]*(?:```|~~~)", re.M)


def placed(kind: int, raw: str) -> str:
    """What a value to escape writes where its placeholder landed: in code, the text as it is,
    when nothing in it can end the code there (in a code span: no `` ` ``, `|`, `<`, `>` or
    line break; in a top-level fenced block: no line that could close the fence); elsewhere
    (and otherwise) `md_escape` of it, which Markdown shows as it is anywhere."""
    if kind == CODE and not _CODE_UNSAFE.search(raw):
        return raw
    if kind == BLOCK and "\r" not in raw and not _FENCE_LINE.search(raw):
        return raw
    return md_escape(raw)


class NotFillable(Exception):
    """This skeleton or these values cannot be filled with certainty: parse the real text."""


class _SkeletonParser(PolicedMarkdownIt):
    """Our Markdown parser, except that a link destination holding a placeholder is kept raw
    (it is normalized and validated once the values are in)."""

    def normalizeLink(self, url: str) -> str:
        return url if OPEN in url else super().normalizeLink(url)

    def validateLink(self, url: str) -> bool:
        return True if OPEN in url else super().validateLink(url)


@lru_cache(maxsize=1)
def skeleton_parser() -> _SkeletonParser:
    """The one parser of skeletons (also the one whose link rules `normalized_link` applies)."""
    parser = _SkeletonParser("commonmark", {"html": True})
    configure_parser(parser)
    return parser


def insert_for(value: str, kind: int, before: str, after: str) -> str | None:
    """What `value` contributes where it stands (module docstring), or None."""
    if len(value) <= _SHORT:  # short values repeat ("n/a", severities, names): remembered
        return _short_insert(value, kind, before, after)
    return _checked_insert(value, kind, before, after)


_SHORT = 64


@lru_cache(maxsize=4096)
def _short_insert(value: str, kind: int, before: str, after: str) -> str | None:
    return _checked_insert(value, kind, before, after)


def _checked_insert(value: str, kind: int, before: str, after: str) -> str | None:
    if kind == HREF:  # the destination's text: escapes resolved, as markdown-it resolves them
        if not _HREF_VALUE.fullmatch(value):
            return None
        return _HREF_ESCAPE.sub(_ESCAPED, value) if "\\" in value else value
    if not value or _LIST_MARKER.match(value):
        return None
    if value.isdigit() and (before in _DIGIT_BEFORE or after in _DIGIT_AFTER):
        return None  # `{{ n }})` or `1{{ n }}.` could be an ordered-list marker
    first, last = value[0], value[-1]
    if kind in (CODE, BLOCK):
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


def normalized_link(raw: str) -> str:
    """markdown-it's href for the link destination `raw`; `NotFillable` if it refuses it."""
    if PLAIN_URL.fullmatch(raw):
        return raw
    parser = skeleton_parser()
    href = MarkdownIt.normalizeLink(parser, raw)
    if not allowed_href(href):
        raise NotFillable  # the real text has no link here
    return href
