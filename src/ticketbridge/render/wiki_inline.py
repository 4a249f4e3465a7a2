"""Jira wiki markup, inline part: text effects, links, mentions, escapes and entities.

`*strong*`, `_em_`, `-strike-`, `??citation??` (em), `{{monospace}}`, the brace forms `{*}…{*}`,
`[text|url]`, `[url]` (links only where render/safety.py's URL policy allows: http, https,
mailto; another target stays text), `[~user]` and `[~accountid:…]` mentions, `!image.png!` (a
link when it is a URL), `\\\\` line breaks, `\\x` escapes and `&…;` entities. `+inserted+`,
`^sup^`, `~sub~` and `{color}` keep their text only. A marker opens only after a non-word
character and closes only before one, as in Jira.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from ticketbridge.render.document import HardBreak, Inline, Link, Mark, Mention, Text, merge_inlines
from ticketbridge.render.safety import safe_href

# Bare URLs are links in Jira and carry no markup; to_wiki leaves exactly these unescaped.
URL = re.compile(r"(?<![A-Za-z0-9])https?://[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]+")
_ENTITY = re.compile(r"&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_BRACE_MARK = re.compile(r"\{(\*|_|-|\+|\^|~|\?\?)\}")
_COLOR = re.compile(r"\{color(?::[^}]*)?\}")
_IMAGE = re.compile(r"!([^!\s|][^!\s|]*)(?:\|[^!\n]*)?!")
_MARKS: dict[str, Mark | None] = {
    "*": "strong",
    "_": "em",
    "-": "strike",
    "??": "em",
    "+": None,
    "^": None,
    "~": None,
}


# -- inlines ------------------------------------------------------------------------------

_PIPE = re.compile(r"(?<!\\)\|")
_ESCAPE = re.compile(r"\\(.)")


def _unescaped_split(inner: str) -> tuple[str, str, str]:
    """A link's `label|target`: split at the first pipe no backslash escapes; the target
    (up to a further pipe) with its escapes resolved, as `wiki_escape` wrote them."""
    parts = _PIPE.split(inner, maxsplit=2)
    if len(parts) == 1:
        return inner, "", _ESCAPE.sub(r"\1", inner.strip())
    return parts[0], "|", _ESCAPE.sub(r"\1", parts[1].strip())


def parse_inlines(text: str) -> tuple[Inline, ...]:
    """Inline wiki markup → inline nodes (never fails)."""
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
        label, sep, target = _unescaped_split(inner)
        if not target or safe_href(target) is None:  # the one URL policy (render/safety.py)
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
