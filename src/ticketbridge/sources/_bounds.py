"""Where parsed values cross into the store and the pipeline's arithmetic: what they may hold
(text lengths and NUL, timestamps, numbers), and the field paths a refusal names.

Every bound here answers a failure that was a 500: PostgreSQL refuses NUL in text and a
non-finite number in JSON, a timestamp whose offset moves it past year 1 or 9999 overflows,
and an SLA counted from a timestamp near 9999 does too.
"""

from __future__ import annotations

import math
import sys
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator

from ticketbridge.domain import Alert
from ticketbridge.errors import InputError, Problem, field_path

ROOT = "$"

# What the store keeps: longer values, and NUL characters (PostgreSQL text cannot hold U+0000),
# are refused at parsing naming the field, not by the database with a 500 (found by the HTTP
# fuzz of the sources on PostgreSQL). Our Alert JSON checks them in its model (`NUL_FREE` is
# its pattern, reported as NUL_MESSAGE), the other sources on the alert they built (`storable`).
MAX_LENGTHS = {"id": 255, "source": 64, "kind": 64, "fingerprint": 255}
NUL_MESSAGE = "must not contain NUL characters (U+0000)"
NUL_FREE = r"^[^\x00]*$"

# Timestamps the pipeline can count from: an SLA or a window added to one stays inside Python's
# calendar (year 1 to 9999), and its conversion to UTC cannot leave it (`0001-01-01T00:00+01:00`
# is before year 1 in UTC). Anything outside is a sender's zero value or a unit mistake.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
_TIMESTAMP_RANGE = f"must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)"
# JSON numbers beyond a double's range: the parser makes `1e400` an infinity, which neither
# PostgreSQL's JSON nor CEL takes; integers that large would overflow CEL's conversion to float.
_NUMBER_LIMIT = sys.float_info.max
_NUMBER_RANGE = f"number out of range (at most {_NUMBER_LIMIT:.4g} in magnitude)"
# Only literals with a 3-digit exponent or a 200-digit run can reach that range (a 2-digit
# exponent needs 210 digits before it): a body without either skips the walk over its values.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LARGE_NUMBER_HINTS = (b"e000", b"E000", b"e+000", b"E+000", b"0" * 200)


def to_utc(moment: datetime) -> datetime:
    """Aware UTC; a timestamp without an offset is taken as UTC (what the sources mean)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _timestamp(moment: datetime) -> datetime:
    try:
        utc = to_utc(moment)
    except OverflowError:  # the offset moves it past year 1 or 9999
        raise ValueError(_TIMESTAMP_RANGE) from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError(_TIMESTAMP_RANGE)
    return utc


Timestamp = Annotated[datetime, AfterValidator(_timestamp)]
"""A sender's timestamp, as aware UTC within [EARLIEST, LATEST); else a problem at its path."""


def in_range_numbers(data: Any, path: str = "") -> None:
    """InputError naming every number in `data` (parsed JSON) beyond a double's range, NaN or
    infinite; nothing when there is none. Walks with its own stack: nesting depth is the
    sender's."""
    problems: list[Problem] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        kind = type(value)
        if kind is dict:
            stack.extend((item, (*loc, str(key))) for key, item in value.items())
        elif kind is list or kind is tuple:
            stack.extend((item, (*loc, index)) for index, item in enumerate(value))
        elif (kind is float and not math.isfinite(value)) or (
            kind is int and not -_NUMBER_LIMIT <= value <= _NUMBER_LIMIT
        ):
            problems.append(Problem(join_path(path, *loc), _NUMBER_RANGE))
    if problems:
        problems.reverse()  # the stack walks backwards: report in document order
        raise InputError("invalid payload", problems)


def may_hold_large_numbers(raw: bytes) -> bool:
    """Whether the JSON text `raw` may hold a number beyond a double's range; False proves it
    holds none (no 3-digit exponent, no 200-digit run), so `in_range_numbers` can be skipped."""
    masked = raw.translate(_DIGITS_AS_ZERO)
    return any(hint in masked for hint in _LARGE_NUMBER_HINTS)


def join_path(prefix: str, *loc: str | int) -> str:
    """`join_path("alerts", 0, "severity")` → `alerts[0].severity`; nothing → `$`."""
    return field_path(loc, prefix=prefix, root=ROOT)


_TEXT_FIELDS = ("id", "source", "kind", "title", "description", "fingerprint")


def storable(alert: Alert, path: str = "") -> Alert:
    """The alert, if the store can keep its text fields (`MAX_LENGTHS`, no NUL); else
    InputError naming each one (the alert's own field names, under the entry's `path`)."""
    problems: list[Problem] = []
    for name in _TEXT_FIELDS:
        value: str = getattr(alert, name)
        if "\x00" in value:
            problems.append(Problem(join_path(path, name), NUL_MESSAGE))
        limit = MAX_LENGTHS.get(name)
        if limit is not None and len(value) > limit:
            problems.append(
                Problem(join_path(path, name), f"at most {limit} characters, got {len(value)}")
            )
    if problems:
        raise InputError("invalid payload", problems)
    return alert
