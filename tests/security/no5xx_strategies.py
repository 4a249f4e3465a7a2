"""Hostile inputs for the tests/security/test_no_5xx_* modules, and the oracle they share.

Bodies are built as raw JSON text, because the values that broke the API cannot be written by
`json.dumps`: `1e400` (a float overflow), a 400-digit integer, a lone surrogate escape. Each
body is a real fixture of a source with one value replaced (at any depth, or as a new unknown
key) by a hostile token: a timestamp at the calendar's edges with any offset, numbers beyond
64 bits or a double, text with NUL or too long for its column, deep nesting.

`assert_storable` is the property behind "never a 5xx": whatever a parser accepts, the store
(SQLite and PostgreSQL), the arithmetic counted from its timestamps and the CEL activation
can take.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from ticketbridge.domain import Alert
from ticketbridge.rules.activation import alert_values
from ticketbridge.sources._bounds import EARLIEST, LATEST, MAX_LENGTHS, storable
from ticketbridge.sources.model import PushEvent

__all__ = [
    "FIXTURES",
    "NO_5XX",
    "assert_storable",
    "fixture_of",
    "hostile_body",
    "hostile_text",
]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources"
# A few hundred examples per database over the whole module, the same ones on every CI run
# (derandomized there: a red CI run is reproducible; locally each run explores anew).
NO_5XX = settings(
    max_examples=30,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_PLACEHOLDER = "\u2063hostile\u2063"
_DOUBLE_MAX = sys.float_info.max


def fixture_of(source: str) -> Any:
    """The first fixture of `source` (alphabetically), parsed."""
    path = sorted((FIXTURES / source).glob("*.json"))[0]
    return json.loads(path.read_text())


_offsets = st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-23 * 60 - 59, 23 * 60 + 59)
)
_moments = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)
) | st.datetimes(
    min_value=datetime(1, 1, 1),
    max_value=datetime(9999, 12, 31, 23, 59, 59),
    timezones=st.just(UTC) | _offsets,
)
_EDGE_MOMENTS = [
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59.999999-23:59",
    "1969-12-31T23:59:59Z",
    "8999-12-31T23:59:59+00:00",
]
_NUMBER_TOKENS = [
    "1e400",
    "-1e400",
    "2e308",
    "1.7976931348623157e308",
    "1e-400",
    "1" + "0" * 308,
    "-1" + "0" * 400,
    "1" + "0" * 300 + "e9",
    "1e0400",
    str(2**63),
    str(-(2**63) - 1),
    str(2**64 + 1),
    "0",
    "-0.0",
]
_TEXT_TOKENS = ['"\\u0000"', '"a\\u0000b"', '"\\ud800"', '"x\\udc00y"', json.dumps("k" * 300)]

hostile_number = (
    st.sampled_from(_NUMBER_TOKENS)
    | st.integers(min_value=-(10**400), max_value=10**400).map(str)
    | st.from_regex(r"-?[1-9][0-9]{0,4}(\.[0-9]{1,4})?[eE][+-]?[0-9]{1,4}", fullmatch=True)
)
hostile_moment = st.sampled_from(_EDGE_MOMENTS).map(json.dumps) | _moments.map(
    lambda moment: json.dumps(moment.isoformat())
)
hostile_text = st.sampled_from(_TEXT_TOKENS) | st.text(max_size=300).map(json.dumps)
_nested = st.builds(
    lambda depth, opener: (
        (opener * depth)
        + ("1" if opener == '{"a":' else "")
        + ("}" if opener == '{"a":' else "]") * depth
    ),
    st.sampled_from([2, 64, 500, 3000]),
    st.sampled_from(["[", '{"a":']),
)
hostile_token = st.one_of(hostile_moment, hostile_number, hostile_text, _nested)


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _containers(value: Any) -> list[tuple[str | int, ...]]:
    """Paths of every object in `value` (where an unknown key can be added), root included."""
    found: list[tuple[str | int, ...]] = [()] if isinstance(value, dict) else []
    return found + [path for path in _paths(value) if isinstance(_at(value, path), dict)]


def _at(value: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


def _with_token(document: Any, path: tuple[str | int, ...], token: str, *, add: bool) -> bytes:
    copy = json.loads(json.dumps(document))
    if add:
        _at(copy, path)["hostile_extra"] = _PLACEHOLDER
    elif path:
        _at(copy, path[:-1])[path[-1]] = _PLACEHOLDER
    else:
        copy = _PLACEHOLDER
    return json.dumps(copy).replace(json.dumps(_PLACEHOLDER), token, 1).encode()


@st.composite
def hostile_body(draw: st.DrawFn, document: Any) -> bytes:
    """`document` with one value replaced, or one unknown key added, as a hostile token."""
    token = draw(hostile_token)
    if draw(st.booleans()):
        return _with_token(document, draw(st.sampled_from(_containers(document))), token, add=True)
    paths = list(_paths(document))
    return _with_token(document, draw(st.sampled_from(paths)), token, add=False)


def _assert_finite_numbers(value: Any, where: str) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, float):
            assert math.isfinite(item), where
        elif isinstance(item, int) and not isinstance(item, bool):
            assert -_DOUBLE_MAX <= item <= _DOUBLE_MAX, where


def _assert_moment(moment: datetime, where: str) -> None:
    assert moment.tzinfo is not None, where
    assert EARLIEST <= moment < LATEST, (where, moment)
    # What the pipeline adds to it (SLA and due dates, windows) stays inside the calendar.
    assert moment + timedelta(days=365 * 100) > moment, where


def assert_storable(result: object) -> None:
    """What a parser accepted can be stored on either database and routed."""
    if result is None:  # GitHub's ping
        return
    if isinstance(result, PushEvent):
        _assert_moment(result.received_at, "received_at")
        for commit in result.commits:
            if commit.timestamp is not None:
                _assert_moment(commit.timestamp, "commits[].timestamp")
        return
    assert isinstance(result, list)
    for alert in result:
        assert isinstance(alert, Alert)
        storable(alert)  # text: lengths and NUL
        assert len(alert.fingerprint) <= MAX_LENGTHS["fingerprint"]
        _assert_moment(alert.occurred_at, "occurred_at")
        _assert_moment(alert.received_at, "received_at")
        assert alert.confidence is None or 0.0 <= alert.confidence <= 1.0
        _assert_finite_numbers(alert.attributes, "attributes")
        json.dumps(alert.attributes, allow_nan=False)  # PostgreSQL's JSON refuses the rest
        alert_values(alert)  # the CEL activation every route evaluates
