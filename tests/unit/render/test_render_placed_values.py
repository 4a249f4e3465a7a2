"""How a value to escape is written where it lands (render/skeleton_values.py `placed`), and the
fast path's shortcut that reads the insert off the value without escaping it (`escaped_insert`),
which must agree with escaping it and applying the fill's rules (`insert_for`)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ticketbridge.render import md_escape
from ticketbridge.render.skeleton_values import (
    BLOCK,
    CODE,
    HREF,
    TEXT,
    escaped_insert,
    insert_for,
    placed,
)

SETTINGS = settings(
    max_examples=int(os.environ.get("TICKETBRIDGE_HYPOTHESIS_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
ALPHABET = [*"abcXYZ019 .-:/\\`*_{}[]()#+!|<>~&@$%^=;\"',?\n\t\r", "é", "—", "😀", "\u00a0"]
ALPHABET += ["\u2028", "\ue000", "\x00"]
VALUE = st.text(alphabet=st.one_of(st.sampled_from(ALPHABET), st.characters()), max_size=20)
NEIGHBOUR = st.sampled_from(["", " ", "\n", "*", "_", "~", "1", ")", ".", "a", "(", "\ue001"])


@SETTINGS
@given(
    raw=VALUE,
    kind=st.sampled_from([TEXT, CODE, HREF, BLOCK]),
    before=NEIGHBOUR,
    after=NEIGHBOUR,
)
def test_the_shortcut_agrees_with_escaping_the_value(
    raw: str, kind: int, before: str, after: str
) -> None:
    assert escaped_insert(raw, kind, before, after) == insert_for(
        placed(kind, raw), kind, before, after
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
