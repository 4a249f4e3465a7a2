"""Values as SQLite stores them, defined once for both ways in: the statements at the driver
(accept's insert, the decider's reads and writes, which skip SQLAlchemy's per-row processing:
bench/RESULTS.md "One path per job") and SQLAlchemy's (the table's types use these too).

- moments: naive UTC (`utc_naive`, what `tables.UtcDateTime` binds on SQLite), as the text
  "YYYY-MM-DD HH:MM:SS.ffffff" (SQLAlchemy's SQLite DATETIME format);
- JSON: `json_text`/`json_value`, also the SQLite engine's JSON serializer and deserializer
  (storage.database), read back with the json module (it accepts everything we may have
  written, lone surrogates included).
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic_core import PydanticSerializationError, to_json


def utc_naive(value: datetime) -> datetime:
    """An aware datetime as SQLite keeps it: naive, in UTC."""
    return value.astimezone(UTC).replace(tzinfo=None)


def utc_aware(value: datetime) -> datetime:
    """A stored datetime back as an aware UTC one (naive ones are UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def moment_text(value: datetime) -> str:
    return utc_naive(value).isoformat(" ", "microseconds")


def moment(text: str) -> datetime:
    """Stored text → aware UTC datetime."""
    return utc_aware(datetime.fromisoformat(text))


def maybe_moment(text: str | None) -> datetime | None:
    return None if text is None else moment(text)


def json_text(value: object) -> str:
    """pydantic-core's serializer (~7x json.dumps, which counts at 1,000 alerts a request),
    json.dumps for what it refuses (lone surrogates)."""
    try:
        return to_json(value).decode()
    except PydanticSerializationError:
        return json.dumps(value)


def json_value(text: str) -> Any:
    return json.loads(text)


_Value = TypeVar("_Value", bound=Hashable)
BOUND_CHUNK = 500  # values per IN list: under SQLite's bound-parameter limit with room to spare


def bound_chunks(values: Sequence[_Value]) -> Iterator[list[_Value]]:
    """The values without repeats, in their first order, a statement's worth at a time."""
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), BOUND_CHUNK):
        yield unique[start : start + BOUND_CHUNK]
