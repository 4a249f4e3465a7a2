"""Durations as people write them in YAML: `7d`, `24h`, `30m`, `45s`, `2w`, `1d12h`, `+2d`.

A bare number is refused on purpose: `due: 7` could mean days or seconds, and guessing wrong
moves an SLA by a factor of 86,400.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_UNITS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_DURATION = re.compile(r"^\+?((?:\d+[wdhms])+)$")
_PART = re.compile(r"(\d+)([wdhms])")


def parse_duration(text: str) -> timedelta:
    """Parse `7d`, `24h`, `+2d`, `1d12h` into a timedelta; ValueError names the accepted forms."""
    compact = text.strip().replace(" ", "")
    match = _DURATION.match(compact)
    if match is None:
        raise ValueError(
            f"{text!r} is not a duration; write a number and a unit (w, d, h, m, s), "
            "e.g. 7d, 24h, 30m, +2d or 1d12h"
        )
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(match.group(1)))
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest `1d12h` form of a timedelta (the inverse of parse_duration)."""
    remaining = int(value.total_seconds())
    if remaining == 0:
        return "0s"
    parts: list[str] = []
    for unit, size in _UNITS.items():
        if unit == "w":
            continue  # `14d` reads better than `2w` in SLA tables
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _coerce_duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        return parse_duration(value)
    raise ValueError("expected a duration such as 7d, 24h, 30m or +2d")


Duration = Annotated[
    timedelta,
    BeforeValidator(_coerce_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""A timedelta that validates from `7d`-style text and serializes back to it in JSON."""
