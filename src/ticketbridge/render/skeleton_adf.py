"""ADF straight from a cached skeleton (render/skeleton.py): the skeleton Document's ADF is built
once by `to_adf`, and each alert's ADF is a fresh copy of it with the values put in the strings
that held placeholders.

That gives exactly `to_adf` of the filled Document because the fill changes nothing but those
strings, and `to_adf` treats each string in a way that commutes with putting a value in:
- a text node's text is kept, or (when it is not printable) cleaned of control characters and
  split at newlines, and an insert holds neither control characters nor line breaks and is
  never empty, so no piece is dropped or split differently;
- a link's href is `clean_text` of markdown-it's normalized destination, computed per alert
  from the raw destination with the values in, as the Document fill does it;
- table rows flattened into `a | b` paragraphs are stripped at their ends, and an insert
  never begins or ends with whitespace.
The one structural change a fill can make, two neighbouring texts joining because their link
hrefs became equal, is ruled out when the plan is made (`merge_hazard`): such skeletons have
no ADF plan and `to_adf` walks the Document as before. Any string holding a placeholder
somewhere else (it cannot, as the fill refuses those places) also means no plan.

The size `adf_size` would measure is the skeleton's with the holes empty, plus each filled
string's JSON-escaped length, so Cloud creates need not serialise the ADF to check the limit.
"""

from __future__ import annotations

import json
import marshal
import re
import secrets
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from ticketbridge.render.adf import adf_size, clean_text, to_adf
from ticketbridge.render.document import Document, Inline, Link, PreparedAdf, Text, map_inlines
from ticketbridge.render.limits import jira_length
from ticketbridge.render.sandbox import PLACEHOLDER_CLOSE as CLOSE
from ticketbridge.render.sandbox import PLACEHOLDER_OPEN as OPEN

_PLACEHOLDER = re.compile(f"{OPEN}(\\d+){CLOSE}")
Path = tuple[str | int, ...]
# An allowed URL no template writes (a random part per process), unchanged by normalization.
_STAND_IN = f"https://skeleton-{secrets.token_hex(8)}.invalid/"
Normalize = Callable[[str], str]


class _Hole:
    """One string of the skeleton's ADF holding placeholders: where it is and how to fill it."""

    __slots__ = ("head", "key", "normalize", "path", "tail")

    def __init__(self, path: Path, key: str, text: str, normalize: Normalize | None) -> None:
        self.path, self.key, self.normalize = path, key, normalize
        pieces = _PLACEHOLDER.split(text)
        self.head = pieces[0]
        self.tail = [
            (int(i), literal) for i, literal in zip(pieces[1::2], pieces[2::2], strict=True)
        ]

    def fill(self, inserts: Sequence[str]) -> str:
        if not self.head and len(self.tail) == 1 and not self.tail[0][1]:
            text = inserts[self.tail[0][0]]
        else:
            parts = [self.head]
            for index, literal in self.tail:
                parts.append(inserts[index])
                parts.append(literal)
            text = "".join(parts)
        return clean_text(self.normalize(text)) if self.normalize is not None else text


class AdfPlan:
    """A skeleton's ADF with its holes; `prepared(inserts)` is the filled Document's ADF."""

    __slots__ = ("_base_size", "_frozen", "_holes")

    def __init__(self, skeleton_adf: dict[str, Any], holes: list[_Hole]) -> None:
        # A fresh copy per alert by marshal.loads (2.5× faster than to_adf's walk): of bytes
        # this process made from its own ADF value, never of input read from outside.
        self._frozen = marshal.dumps(skeleton_adf)
        self._holes = holes
        emptied = self._copy()
        for hole in holes:
            _container(emptied, hole.path)[hole.key] = ""
        self._base_size = adf_size(emptied)

    def _copy(self) -> dict[str, Any]:
        copy: dict[str, Any] = marshal.loads(self._frozen)  # noqa: S302 - our own bytes
        return copy

    def prepared(self, inserts: Sequence[str]) -> PreparedAdf:
        """The filled Document's ADF; its hrefs are normalized now (a refused one raises what
        the normalization raises, as the Document fill would)."""
        hrefs = [hole.fill(inserts) for hole in self._holes if hole.normalize]
        return _Prepared(self, inserts, hrefs)

    def filled(self, inserts: Sequence[str], hrefs: Sequence[str]) -> list[str]:
        """Each hole's string, in order (the hrefs as `prepared` normalized them)."""
        normalized = iter(hrefs)
        return [next(normalized) if h.normalize else h.fill(inserts) for h in self._holes]

    def build(self, texts: Sequence[str]) -> dict[str, Any]:
        adf = self._copy()
        for hole, text in zip(self._holes, texts, strict=True):
            _container(adf, hole.path)[hole.key] = text
        return adf

    def size(self, texts: Sequence[str]) -> int:
        return self._base_size + sum(map(_json_length, texts))


class _Prepared:
    __slots__ = ("_hrefs", "_inserts", "_plan", "_texts")

    def __init__(self, plan: AdfPlan, inserts: Sequence[str], hrefs: Sequence[str]) -> None:
        self._plan, self._inserts, self._hrefs = plan, inserts, hrefs
        self._texts: list[str] | None = None

    def _filled(self) -> list[str]:
        if self._texts is None:  # once: the ADF and its size both need them
            self._texts = self._plan.filled(self._inserts, self._hrefs)
        return self._texts

    def adf(self) -> dict[str, Any]:
        return self._plan.build(self._filled())

    def adf_size(self) -> int:
        return self._plan.size(self._filled())


def adf_plan(
    document: Document, kinds: dict[int, int], href_kind: int, normalize: Normalize
) -> AdfPlan | None:
    """The ADF plan of a skeleton Document (`kinds`: each placeholder's place, `href_kind`
    the one of link destinations, `normalize` the fill's href normalization); None if some
    string holding a placeholder is not one a fill changes the way the module docstring says."""
    hrefs = {m.href for m in _marks(document) if isinstance(m, Link) and OPEN in m.href}
    # `to_adf` writes only links its URL policy allows: the hrefs still holding placeholders
    # stand in as allowed URLs of their own, and are put back in the skeleton's ADF.
    stand_ins = {href: f"{_STAND_IN}{index}" for index, href in enumerate(sorted(hrefs))}
    skeleton_adf = to_adf(Document(map_inlines(document.blocks, partial(_stand_in, stand_ins))))
    originals = {stand_in: href for href, stand_in in stand_ins.items()}
    holes: list[_Hole] = []
    for path, key, found in _strings(skeleton_adf, ()):
        text = originals.get(found, found) if key == "href" else found
        if text is not found:
            _container(skeleton_adf, path)[key] = text
        if OPEN not in text and CLOSE not in text:
            continue
        pieces = _PLACEHOLDER.split(text)
        if any(OPEN in literal or CLOSE in literal for literal in pieces[0::2]):
            return None
        places = {kinds.get(int(index)) for index in pieces[1::2]}
        is_href = key == "href" and path[-1:] == ("attrs",)
        if is_href and places == {href_kind} and text in hrefs:
            holes.append(_Hole(path, key, text, normalize))
        elif key == "text" and places and href_kind not in places and None not in places:
            holes.append(_Hole(path, key, text, None))
        else:
            return None
    # Every link destination with a value must be in the ADF, where `prepared` normalizes (and
    # refuses) it at fill time: one the ADF drops (a table flattened into a list item loses its
    # links) could be refused only when the deferred blocks are built.
    in_holes = {i for h in holes if h.normalize for i, _ in h.tail}
    if in_holes != {index for index, kind in kinds.items() if kind == href_kind}:
        return None
    return AdfPlan(skeleton_adf, holes)


def _stand_in(stand_ins: dict[str, str], inline: Inline) -> Inline:
    if not isinstance(inline, Text) or not any(isinstance(m, Link) for m in inline.marks):
        return inline
    marks = tuple(
        Link(stand_ins.get(m.href, m.href)) if isinstance(m, Link) else m for m in inline.marks
    )
    return Text(inline.text, marks)


def _strings(node: Any, path: Path) -> list[tuple[Path, str, str]]:
    """(path of the dict, key, string) of every string value in the ADF tree."""
    found: list[tuple[Path, str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str):
                found.append((path, key, value))
            else:
                found.extend(_strings(value, (*path, key)))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found.extend(_strings(item, (*path, index)))
    return found


def _marks(document: Document) -> list[Any]:
    """Every mark of every text in the Document (for its link destinations)."""
    marks: list[Any] = []
    stack: list[Any] = list(document.blocks)
    while stack:
        node = stack.pop()
        for name in ("content", "items", "rows", "cells"):
            stack.extend(getattr(node, name, ()) or ())
        marks.extend(getattr(node, "marks", ()) or ())
    return marks


def _container(adf: Any, path: Path) -> Any:
    for step in path:
        adf = adf[step]
    return adf


def _json_length(text: str) -> int:
    """The UTF-16 length of `text` as compact JSON writes it inside its quotes."""
    if text.isprintable():  # only `"` and `\\` are escaped, each with one more character
        length = len(text) if text.isascii() else jira_length(text)
        return length + text.count('"') + text.count("\\")
    return jira_length(json.dumps(text, ensure_ascii=False)) - 2
