"""How a value to escape is written where it lands (render/skeleton_values.py `placed`)."""

from __future__ import annotations

import pytest

from ticketbridge.render import md_escape
from ticketbridge.render.skeleton_values import (
    BLOCK,
    CODE,
    HREF,
    TEXT,
    placed,
)


@pytest.mark.parametrize(
    ("kind", "raw", "written"),
    [
        (TEXT, "a-b_c", md_escape("a-b_c")),
        (HREF, "https://x.example/a b", md_escape("https://x.example/a b")),
        (CODE, "a-b_c /tmp/x *y*", "a-b_c /tmp/x *y*"),
        (CODE, "a`b", md_escape("a`b")),
        (CODE, "a|b", md_escape("a|b")),
        (CODE, "<https://evil.example>", md_escape("<https://evil.example>")),
        (CODE, "two\nlines", md_escape("two\nlines")),
        (
            BLOCK,
            'Traceback:\n  File "x.py"\n# not a heading',
            'Traceback:\n  File "x.py"\n# not a heading',
        ),
        (
            BLOCK,
            "a\n```\n[x](https://evil.example)",
            md_escape("a\n```\n[x](https://evil.example)"),
        ),
        (BLOCK, "a\n   ~~~", md_escape("a\n   ~~~")),
    ],
)
def test_code_is_written_as_it_is_unless_it_could_end_the_code(
    kind: int, raw: str, written: str
) -> None:
    assert placed(kind, raw) == written
