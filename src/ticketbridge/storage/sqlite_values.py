"""Values as SQLite stores them, for the hot paths that skip SQLAlchemy's per-row processing
(accept's insert, the decider's reads and writes): the same text the table's types write and
read, so either path reads what the other wrote (tests/integration/storage checks both ways).

- moments: naive UTC text "YYYY-MM-DD HH:MM:SS.ffffff" (SQLAlchemy's SQLite DATETIME format);
- JSON: text, read back with the json module (it accepts everything we may have written,
  lone surrogates included).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic_core import PydanticSerializationError, to_json


def moment_text(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def moment(text: str) -> datetime:
    """Stored text → aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


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
