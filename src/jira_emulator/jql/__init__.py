"""The JQL subset of the emulator: a real parser with Jira's quoting rules and error messages.

Usage (what the emulator's search routes do)::

    query = parse_jql(text, field_aliases={"Escalation ID": "customfield_10010"},
                      known_fields={"customfield_10010"}, current_user=("admin", ...))
    if not query.is_bounded: ...           # Cloud /search/jql answers 400 UNBOUNDED_MESSAGE
    hits = query.sort([d for d in docs if query.matches(d)])

`parse_jql` raises `JqlError` (`.messages`, `.body()`) for syntax errors (Jira's lexer/parser
messages, with "(line L, character C)") and for validation errors (unknown field, operator not
supported by a field, bad date, unknown function, unknown value when `known_values` is given).
Field names are validated in `parse_jql`: system fields and their aliases always exist; custom
fields (`cf[N]`, `customfield_N`, display names through `field_aliases`) exist when listed in
`known_fields` (every custom field is accepted when `known_fields` is None).

Documents are flat mappings with lowercase keys (see `evaluate.py` for the semantics).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jira_emulator.jql.ast import Clause, Sort
from jira_emulator.jql.errors import UNBOUNDED_MESSAGE, JqlError
from jira_emulator.jql.evaluate import Predicate, compile_clause, required_values
from jira_emulator.jql.fields import FieldNames
from jira_emulator.jql.lexer import RESERVED_CHARS, RESERVED_WORDS, is_control
from jira_emulator.jql.parser import parse
from jira_emulator.jql.sort import sort_docs, sort_key
from jira_emulator.jql.validate import problems
from jira_emulator.jql.values import Context

__all__ = [
    "RESERVED_CHARS",
    "RESERVED_WORDS",
    "UNBOUNDED_MESSAGE",
    "JqlError",
    "JqlQuery",
    "parse_jql",
    "quote_jql",
    "sort_docs",
    "sort_key",
]

_ENCODE = {"\t": "\\t", "\n": "\\n", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


def quote_jql(value: str) -> str:
    """`value` as one double-quoted JQL string literal (the encoding Jira itself uses).

    Escapes `"` `\\` tab CR LF as `\\"` `\\\\` `\\t` `\\r` `\\n`, other JQL control characters as
    `\\uXXXX`; everything else (single quotes, reserved characters and words, any Unicode) is
    literal inside the quotes.
    """
    out = []
    for char in value:
        if char in _ENCODE:
            out.append(_ENCODE[char])
        elif is_control(char):
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


@dataclass(frozen=True)
class JqlQuery:
    """A parsed, validated JQL query."""

    text: str
    where: Clause | None
    sorts: tuple[Sort, ...]
    context: Context
    _predicate: Predicate | None = field(default=None, repr=False, compare=False)

    @property
    def order_by(self) -> list[tuple[str, bool]]:
        """(canonical field, descending) pairs of ORDER BY, in order."""
        return [(sort.field.canonical, sort.descending) for sort in self.sorts]

    @property
    def is_bounded(self) -> bool:
        """False for a query with no restriction (empty, or only ORDER BY)."""
        return self.where is not None

    def required(self, canonical: str) -> frozenset[str] | None:
        """Values (normal form) of `canonical` one of which every match carries, when the
        query says so (`labels in (…)` at its top, alone or ANDed); else None."""
        return None if self.where is None else required_values(self.where, canonical, self.context)

    def matches(self, doc: Mapping[str, Any]) -> bool:
        """Whether the issue document `doc` satisfies the query's restriction."""
        return True if self._predicate is None else self._predicate(doc)

    def sort(self, docs: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """`docs` in ORDER BY order (unchanged order without ORDER BY)."""
        return sort_docs(docs, self.order_by)


def parse_jql(
    text: str,
    *,
    field_aliases: Mapping[str, str] | None = None,
    known_fields: Collection[str] | None = None,
    known_values: Mapping[str, Collection[str]] | None = None,
    current_user: Sequence[str] = (),
    now: datetime | None = None,
) -> JqlQuery:
    """Parse and validate `text` as Jira would; raises JqlError with Jira's messages.

    `known_values` maps canonical fields to the values that exist (e.g. `{"project": keys}`):
    a literal outside it is refused as "The value 'X' does not exist for the field 'project'.".
    `current_user` lists the identifiers `currentUser()` stands for; `now` (default: the
    current UTC time) anchors relative dates and date functions.
    """
    names = FieldNames(field_aliases or {}, known_fields)
    context = Context(now or datetime.now(UTC), tuple(current_user))
    where, sorts = parse(text, names.canonical)
    found = problems(where, sorts, names, known_values or {}, context)
    if found:
        raise JqlError(found)
    predicate = None if where is None else compile_clause(where, context)
    return JqlQuery(text, where, tuple(sorts), context, predicate)
