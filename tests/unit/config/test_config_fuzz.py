"""Whatever the text, loading either returns a Config or raises ConfigError — nothing else."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ticketbridge.bootstrap import load_config
from ticketbridge.config import Config
from ticketbridge.errors import ConfigError

KEYS = st.sampled_from(
    [
        "jira",
        "defaults",
        "routes",
        "templates",
        "sync",
        "sources",
        "callbacks",
        "audit",
        "project",
        "when",
        "name",
        "due",
        "auth",
        "type",
        "priority",
        "x-a",
        "<<",
        "${A}",
        "1",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.sampled_from(["7d", "+2d", "soon", "${A}", "${B:-x}", "$${A}", "${", "high", "&a", "*a"]),
    st.text(max_size=8),
)
YAMLISH = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(KEYS, children, max_size=4)
    ),
    max_leaves=12,
)


def to_yaml(value: object, indent: int = 0) -> str:
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "\n" + "\n".join(f"{pad}{k}: {to_yaml(v, indent + 2)}" for k, v in value.items())
    if isinstance(value, list):
        if not value:
            return "[]"
        return "\n" + "\n".join(f"{pad}- {to_yaml(v, indent + 2)}" for v in value)
    return "null" if value is None else str(value)


@settings(max_examples=150, deadline=None)
@given(YAMLISH)
def test_structured_garbage(value: object) -> None:
    try:
        assert isinstance(load_config(text=to_yaml(value), env={"A": "a"}), Config)
    except ConfigError as err:
        problems = err.problems
        assert problems


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_text_garbage(text: str) -> None:
    try:
        load_config(text=text, env={})
    except ConfigError as err:
        problems = err.problems
        assert problems
