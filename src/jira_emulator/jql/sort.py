"""ORDER BY: sorting issue documents the way Jira does, as far as the emulator needs.

Keys sort by project, then by number (OPS-2 before OPS-10); dates as instants; numbers
numerically; priorities by Jira's default scheme (Lowest < Low < Medium < High < Highest, and the
legacy Trivial < Minor < Major < Critical < Blocker), so `ORDER BY priority DESC` puts Highest
first; everything else case-insensitively. EMPTY values sort last in ascending order and
first in descending order (Jira treats them as the greatest).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import partial
from typing import Any

from jira_emulator.jql.evaluate import KEY_PATTERN as _KEY
from jira_emulator.jql.evaluate import document_values
from jira_emulator.jql.values import to_datetime

_PRIORITIES = {
    name: rank
    for scheme in (
        ("lowest", "low", "medium", "high", "highest"),
        ("trivial", "minor", "major", "critical", "blocker"),
    )
    for rank, name in enumerate(scheme)
}


def _rank(value: object) -> tuple[Any, ...]:
    if isinstance(value, bool):
        return (1, str(value), 0)
    if isinstance(value, int | float):
        return (0, "", float(value))
    if isinstance(value, datetime | date):
        moment = to_datetime(value)
        return (0, "", moment.timestamp() if moment else 0.0)
    text = str(value)
    if match := _KEY.fullmatch(text):
        return (1, match.group(1).casefold(), int(match.group(2)))
    return (1, text.casefold(), 0)


def sort_key(doc: Mapping[str, Any], field: str) -> tuple[Any, ...]:
    """A comparable key for `doc` on canonical `field`; EMPTY sorts after every value."""
    values = document_values(doc, field)
    if field == "key":
        values = values[:1]
    if not values:
        return (1,)
    if field == "priority" and str(values[0]).casefold() in _PRIORITIES:
        return (0, (0, "", float(_PRIORITIES[str(values[0]).casefold()])))
    return (0, min(_rank(value) for value in values))


def _key_of(doc: Mapping[str, Any], field: str) -> tuple[Any, ...]:
    return sort_key(doc, field)


def sort_docs(
    docs: Iterable[Mapping[str, Any]], order_by: Sequence[tuple[str, bool]]
) -> list[Mapping[str, Any]]:
    """`docs` ordered by `order_by` ((canonical field, descending) pairs); stable."""
    ordered = list(docs)
    for field, descending in reversed(order_by):
        ordered.sort(key=partial(_key_of, field=field), reverse=descending)
    return ordered
