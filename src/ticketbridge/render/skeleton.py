"""How Markdown templates render: parse each template's structure once, fill values per alert.

The engine renders a template with every `{{ … }}` output replaced by a placeholder
(`\\ue000<n>\\ue001`, private-use characters markdown-it reads as plain letters) and the output
texts recorded. The text with placeholders, the *skeleton*, is the same for every alert that
takes the same branches and loop counts; it is parsed once (LRU cache) and each alert's values
are put where their placeholders landed. The result must be exactly the `Document` that parsing
the real text gives, so a value is put in only where that is certain, and `fill_markdown`
returns None otherwise (the engine then parses the real text).

This module holds the entry points and the plan of a skeleton (`_plan`: parse, compile, the
place of each value, the ADF plan) with its per-alert fill. The parts live next to it:
- render/skeleton_values.py: where a placeholder may land and what a value must look like
  there (the rules, checked per value), and link destinations with values in;
- render/skeleton_compile.py: the skeleton Document compiled into a function of the inserts.
The filled Document goes to ADF by `to_adf`, as every Document does.
A skeleton with `<` anywhere (autolinks, raw HTML), link reference definitions, a backslash or
an unfinished entity (`&amp`) just before a placeholder, or a placeholder in a block quote's
first text (it could spell a GitHub alert panel `[!NOTE]`) is never filled.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from markdown_it.token import Token

from ticketbridge.render.document import Document, Mention, all_inlines
from ticketbridge.render.markdown import document_of_tokens
from ticketbridge.render.sandbox import PLACEHOLDER_CLOSE as CLOSE
from ticketbridge.render.sandbox import PLACEHOLDER_OPEN as OPEN
from ticketbridge.render.skeleton_compile import Compiler, Fill
from ticketbridge.render.skeleton_values import (
    PLACEHOLDER,
    TEXT,
    NotFillable,
    insert_for,
    placed,
    skeleton_parser,
)

MAX_SKELETON = 32_000  # longer skeletons are not cached (memory): planned again per render
_RISKY_BEFORE = re.compile(f"(?:&[#A-Za-z0-9]*|\\\\){OPEN}")


def real_text(skeleton: str, values: Sequence[str]) -> str | None:
    """The text the render produced (None if the template's own text holds placeholder
    characters, so placeholders cannot be told apart)."""
    if skeleton.count(OPEN) != len(values) or skeleton.count(CLOSE) != len(values):
        return None
    return PLACEHOLDER.sub(lambda match: values[int(match.group(1))], skeleton)


def placed_values(skeleton: str, values: Sequence[str], as_is: Sequence[bool]) -> list[str]:
    """Each value as the real text has it: as it is where `as_is`, else as its place in the
    skeleton wants it (`placed`: code as it is where nothing in it can end the code, the rest
    escaped); every value to escape escaped when the skeleton has no plan (places unknown)."""
    plan = _plan_of(skeleton, len(values))
    kinds = [slot[0] for slot in plan.slots] if plan is not None else [TEXT] * len(values)
    return [v if keep else placed(k, v) for v, keep, k in zip(values, as_is, kinds, strict=True)]


def fill_markdown(
    skeleton: str,
    values: Sequence[str],
    as_is: Sequence[bool] | None = None,
    mentions: frozenset[str] = frozenset(),
) -> Document | None:
    """The Document of the real text, from the cached parse of `skeleton`; None when unsure,
    and when the skeleton mentions an account id not in `mentions` (the template's own: the
    engine turns other mentions into text, render/safety.py)."""
    plan = _plan_of(skeleton, len(values))
    if plan is None or not plan.mentions <= mentions:
        return None
    return plan.fill(values, as_is or [True] * len(values))


def _plan_of(skeleton: str, count: int) -> _Plan | None:
    """The skeleton's plan (cached unless the skeleton is long), if `count` values fill it."""
    if skeleton.count(OPEN) != count or skeleton.count(CLOSE) != count:
        return None
    return _plan(skeleton) if len(skeleton) <= MAX_SKELETON else _plan.__wrapped__(skeleton)


class _Plan:
    """A parsed skeleton: what kind of place each value goes to, and how to rebuild."""

    __slots__ = ("build", "document", "mentions", "slots")

    def __init__(
        self,
        document: Document,
        build: Fill | None,
        slots: list[tuple[int, str, str]],
    ):
        self.document = document
        self.build = build
        self.slots = slots  # per value: (kind, skeleton character before, character after)
        self.mentions = frozenset(
            i.account_id for i in all_inlines(document.blocks) if isinstance(i, Mention)
        )

    def fill(self, values: Sequence[str], as_is: Sequence[bool]) -> Document | None:
        """The Document of the real text `placed_values` makes of `values`."""
        inserts: list[str] = []
        for value, keep, (kind, before, after) in zip(values, as_is, self.slots, strict=True):
            insert = insert_for(value if keep else placed(kind, value), kind, before, after)
            if insert is None:
                return None
            inserts.append(insert)
        if self.build is None:
            return self.document
        try:
            return Document(self.build(inserts))
        except NotFillable:  # an href markdown-it refuses: the real text has no link there
            return None


@lru_cache(maxsize=512)
def _plan(skeleton: str) -> _Plan | None:
    if "<" in skeleton or _RISKY_BEFORE.search(skeleton):
        return None
    env: dict[str, Any] = {}
    tokens = skeleton_parser().parse(skeleton, env)
    if env.get("references") or _placeholder_in_image(tokens) or _in_indented_code(tokens):
        return None
    document = document_of_tokens(tokens)
    compiler = Compiler()
    try:
        build = compiler.blocks(document.blocks, top=True)
    except NotFillable:
        return None
    count = skeleton.count(OPEN)
    if sorted(compiler.kinds) != list(range(count)):
        return None  # a placeholder was dropped (a link title) or split
    slots = []
    for match in PLACEHOLDER.finditer(skeleton):
        before = skeleton[match.start() - 1] if match.start() else ""
        after = skeleton[match.end() : match.end() + 1]
        slots.append((compiler.kinds[int(match.group(1))], before, after))
    return _Plan(document, build, slots)


def _in_indented_code(tokens: Sequence[Token]) -> bool:
    """A value in an indented code block: one line of it not indented would end the block, so
    it is always escaped (no plan: every value escaped)."""
    return any(token.type == "code_block" and OPEN in token.content for token in tokens)


def _placeholder_in_image(tokens: Sequence[Token]) -> bool:
    """Images keep their raw label as alt text: a value there is not plain text."""
    for token in tokens:
        for child in token.children or ():
            source = child.content + str(child.attrs.get("src", ""))
            if child.type == "image" and OPEN in source:
                return True
    return False
