"""Evaluating a parsed JQL clause against one issue document.

Jira semantics kept here:
- `NOT` is pushed down to the terminal clauses (De Morgan), so `NOT a = x` is `a != x`.
- `!=`, `NOT IN`, `!~` and the ordering operators never match an EMPTY field; only `IS EMPTY`
  (or `= EMPTY`, `IN (EMPTY)`) does.
- `=` on a multi-valued field (labels, component, assignee identifiers …) means "contains".
- Value comparisons are case-insensitive; numbers compare numerically, dates as instants.
- `resolution = Unresolved` is `resolution IS EMPTY`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from jira_emulator.jql.ast import (
    And,
    Clause,
    Empty,
    FieldRef,
    Function,
    ListOperand,
    Literal,
    Not,
    Operand,
    Or,
    Terminal,
)
from jira_emulator.jql.fields import FieldKind, kind_of
from jira_emulator.jql.text import text_matches
from jira_emulator.jql.values import Context, call_function, parse_date, to_datetime

Doc = Mapping[str, Any]
Predicate = Callable[[Doc], bool]

_NEGATION = {
    "=": "!=",
    "!=": "=",
    "in": "not in",
    "not in": "in",
    "~": "!~",
    "!~": "~",
    "is": "is not",
    "is not": "is",
    "<": ">=",
    ">=": "<",
    ">": "<=",
    "<=": ">",
}
_CATEGORIES = {
    "to do": "new",
    "2": "new",
    "in progress": "indeterminate",
    "4": "indeterminate",
    "3": "done",
    "no category": "undefined",
    "1": "undefined",
}
KEY_PATTERN = re.compile(r"([A-Za-z][A-Za-z0-9_]*)-(\d+)")
_NAMED_KEYS = ("value", "name", "key", "accountId", "emailAddress", "displayName", "id")


def flatten(operand: Operand) -> list[Operand]:
    if isinstance(operand, ListOperand):
        return [leaf for item in operand.items for leaf in flatten(item)]
    return [operand]


def _scalars(raw: object) -> Iterable[object]:
    if raw is None or raw == "":
        return
    if isinstance(raw, list | tuple | set | frozenset):
        for item in raw:
            yield from _scalars(item)
    elif isinstance(raw, Mapping):
        for name in _NAMED_KEYS:
            yield from _scalars(raw.get(name))
    else:
        yield raw


def document_values(doc: Doc, canonical: str) -> list[object]:
    """The non-empty values of a field in `doc` (lists flattened)."""
    if canonical == "key":
        return list(_scalars([doc.get("key"), doc.get("id")]))
    if canonical == "text" and doc.get("text") is None:
        raw = [doc.get("summary"), doc.get("description"), doc.get("comment")]
        return list(_scalars(raw))
    return list(_scalars(doc.get(canonical)))


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _normal(value: object, kind: FieldKind) -> str:
    text = str(value).casefold()
    return _CATEGORIES.get(text, text) if kind is FieldKind.CATEGORY else text


@dataclass(frozen=True)
class _Values:
    """An operand resolved for one field: its values, and whether EMPTY was among them."""

    values: tuple[object, ...]
    empty: bool


def _resolve(operand: Operand, field: FieldRef, context: Context) -> _Values:
    kind, values, empty = kind_of(field.canonical), [], False
    for item in flatten(operand):
        if isinstance(item, Empty):
            empty = True
        elif isinstance(item, Function):
            values.extend(call_function(item, context))
        elif isinstance(item, Literal):
            if kind is FieldKind.DATE:
                moment = parse_date(item.text, context.now, number=item.number)
                values.extend([moment] if moment is not None else [])
            elif field.canonical == "resolution" and item.text.casefold() == "unresolved":
                empty = True
            else:
                values.append(item.text)
    return _Values(tuple(values), empty)


def _equal(kind: FieldKind, have: object, want: object) -> bool:
    if isinstance(want, datetime) or kind is FieldKind.DATE:
        return to_datetime(have) == to_datetime(want)
    left, right = _number(have), _number(want)
    if left is not None and right is not None and kind is not FieldKind.KEY:
        return left == right
    return _normal(have, kind) == _normal(want, kind)


def _order(kind: FieldKind, have: object, want: object, context: Context) -> int | None:
    """-1/0/1 comparing `have` with `want`, or None when they do not compare."""
    pair: tuple[Any, Any] | None = None
    if kind is FieldKind.KEY:
        left, right = KEY_PATTERN.fullmatch(str(have)), KEY_PATTERN.fullmatch(str(want))
        if left and right and left.group(1).casefold() == right.group(1).casefold():
            pair = (int(left.group(2)), int(right.group(2)))
    elif isinstance(have, datetime | date) or isinstance(want, datetime):
        moment = want if isinstance(want, datetime) else parse_date(str(want), context.now)
        left_moment = to_datetime(have)
        pair = (left_moment, moment) if left_moment and moment else None
    elif (left_number := _number(have)) is not None and (right_number := _number(want)) is not None:
        pair = (left_number, right_number)
    else:
        pair = (_normal(have, kind), _normal(want, kind))
    if pair is None:
        return None
    return int(bool(pair[0] > pair[1])) - int(bool(pair[0] < pair[1]))


_ORDERING = {"<": (-1,), "<=": (-1, 0), ">": (1,), ">=": (1, 0)}


def _texts(resolved: _Values, kind: FieldKind) -> frozenset[str] | None:
    """The operand's values in normal form when they all compare as text (`_equal`): no
    date, no number; None otherwise."""
    if kind is FieldKind.DATE or any(
        isinstance(w, datetime) or _number(w) is not None for w in resolved.values
    ):
        return None
    return frozenset(_normal(want, kind) for want in resolved.values)


def normal_form(value: object, canonical: str) -> str:
    """How a text value of the field `canonical` compares for `=` and `in`."""
    return _normal(value, kind_of(canonical))


def required_values(clause: Clause, canonical: str, context: Context) -> frozenset[str] | None:
    """Values (normal form) of which every issue matching `clause` carries one in the field
    `canonical`: `labels in (a, b)` or `labels = a`, alone or ANDed with anything else. None
    when the clause does not restrict the field that way (an index can then not narrow it)."""
    if isinstance(clause, And):
        found = (required_values(part, canonical, context) for part in clause.clauses)
        return next((values for values in found if values is not None), None)
    if not isinstance(clause, Terminal) or clause.field.canonical != canonical:
        return None
    if clause.operator not in ("=", "in"):
        return None
    resolved = _resolve(clause.operand, clause.field, context)
    return None if resolved.empty else _texts(resolved, kind_of(canonical))


def _terminal(clause: Terminal, operator: str, context: Context) -> Predicate:
    field, kind = clause.field, kind_of(clause.field.canonical)
    resolved = _resolve(clause.operand, field, context)

    # Text operands compare by their normal form alone (`_equal`), so a set answers `in (…)`
    # in one look per value: a marker lookup's 50 labels, over every issue of a large site.
    texts = _texts(resolved, kind)

    def contains(values: list[object]) -> bool:
        if texts is not None:
            return any(_normal(have, kind) in texts for have in values)
        return any(_equal(kind, have, want) for have in values for want in resolved.values)

    def searched(values: list[object]) -> bool:
        texts = [str(value) for value in values]
        return any(text_matches(str(query), texts) for query in resolved.values)

    def ordered(values: list[object]) -> bool:
        wanted = _ORDERING[operator]
        return any(
            _order(kind, have, want, context) in wanted
            for have in values
            for want in resolved.values
        )

    def predicate(doc: Doc) -> bool:
        values = document_values(doc, field.canonical)
        if operator in ("is", "is not"):
            return (not values) == (operator == "is")
        if operator in ("=", "in"):
            return (resolved.empty and not values) or contains(values)
        if operator in ("!=", "not in"):
            return bool(values) and not contains(values)
        if operator in ("~", "!~"):
            return bool(values) and searched(values) == (operator == "~")
        return ordered(values)

    return predicate


def compile_clause(clause: Clause, context: Context, negate: bool = False) -> Predicate:
    """A predicate for `clause` (negated when `negate`), NOT pushed down to the terminals."""
    if isinstance(clause, Not):
        return compile_clause(clause.clause, context, not negate)
    if isinstance(clause, And | Or):
        parts = [compile_clause(child, context, negate) for child in clause.clauses]
        conjunction = isinstance(clause, And) != negate
        if conjunction:
            return lambda doc: all(part(doc) for part in parts)
        return lambda doc: any(part(doc) for part in parts)
    operator = _NEGATION[clause.operator] if negate else clause.operator
    return _terminal(clause, operator, context)
