"""JQL: a builder that quotes and escapes every value, and a small parser for the subset we emit.

Nothing from an alert may reach Jira's JQL parser as syntax. Every value goes through
`quote()`, which wraps it in double quotes and escapes what Jira's own
`JqlStringSupportImpl` escapes (backslash, double quote, line breaks, tabs) plus every other
control character as `\\uXXXX`. Field names are quoted too unless they are plain identifiers.

The parser understands the subset the builder emits (and a little more: `AND`/`OR`/`NOT`,
parentheses, `=`, `!=`, `~`, `!~`, `in`, `not in`, `is [not] EMPTY`, comparison operators,
`ORDER BY`). The fake provider evaluates searches with it and tests use it to prove that a
built query holds each value as exactly one literal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ticketbridge.errors import InputError, Problem
from ticketbridge.providers.base import Marker

_CUSTOM_FIELD_REF = re.compile(r"^cf\[\d+\]$")
_SIMPLE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Jira reserves ~180 words (`date`, `user`, `count`, `index`, …) that may not stand bare as a
# field name; rather than copy that list, only the system fields we write stay bare (for
# readable JQL in logs) and every other name is quoted, which Jira always accepts.
_BARE_FIELDS = frozenset(
    {
        "assignee", "component", "created", "description", "duedate", "id", "issuekey",
        "issuetype", "key", "labels", "parent", "priority", "project", "reporter", "resolution",
        "resolutiondate", "status", "statuscategory", "summary", "text", "updated",
    }
)  # fmt: skip


def _is_control(code: int) -> bool:
    """Characters Jira's JQL lexer refuses unescaped (JqlStringSupportImpl), plus surrogates,
    which cannot travel in UTF-8 JSON."""
    return (
        code < 0x20
        or 0x7F <= code <= 0x9F
        or 0xD800 <= code <= 0xDFFF
        or 0xFDD0 <= code <= 0xFDEF
        or code in (0xFFFE, 0xFFFF)
    )


def quote(value: str) -> str:
    """`value` as one JQL string literal, whatever it contains."""
    out: list[str] = ['"']
    for ch in value:
        if ch in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[ch])
        elif _is_control(ord(ch)):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def field_name(name: str) -> str:
    """A field reference: bare for the system fields we use and `cf[N]`, else quoted."""
    if name.lower() in _BARE_FIELDS or _CUSTOM_FIELD_REF.match(name):
        return name
    return quote(name)


def eq(field: str, value: str) -> str:
    return f"{field_name(field)} = {quote(value)}"


def in_(field: str, values: Iterable[str]) -> str:
    items = [quote(v) for v in values]
    if not items:
        raise InputError("empty JQL 'in' list", [Problem(field, "needs at least one value")])
    return f"{field_name(field)} in ({', '.join(items)})"


def and_(*clauses: str) -> str:
    return " AND ".join(f"({c})" for c in clauses if c)


def marker_jql(markers: Sequence[Marker]) -> str:
    """The exactly-once lookup: every issue that carries one of the markers' labels."""
    labels = sorted({marker.label for marker in markers})  # none: in_ refuses an empty list
    return eq("labels", labels[0]) if len(labels) == 1 else in_("labels", labels)


# --- parsing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    field: str
    op: str  # "=", "!=", "~", "!~", "in", "not in", "is", "is not", ">", ">=", "<", "<="
    values: tuple[str, ...]  # empty for is [not] EMPTY


@dataclass(frozen=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


Node = Clause | And | Or | Not


@dataclass(frozen=True)
class Query:
    where: Node | None
    order_by: tuple[tuple[str, bool], ...] = ()  # (field, descending)


@dataclass(frozen=True)
class _Tok:
    kind: str  # "str" (quoted), "word", "op", "(", ")", ","
    text: str


_TOKEN = re.compile(
    r'\s*(?:(?P<q>["\'])|(?P<op>!=|!~|>=|<=|=|~|>|<)|(?P<p>[(),])|(?P<w>[^\s()=,!~<>"\']+))'
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}


def unquote(body: str) -> str:
    """The value of a quoted literal's inside (no surrounding quotes)."""
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt == "u":
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        else:
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
    return "".join(out)


def _read_quoted(text: str, start: int, q: str) -> tuple[str, int]:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == q:
            return unquote(text[start:i]), i + 1
        i += 1
    raise _syntax("unterminated string literal")


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise _syntax(f"unexpected character at {pos}")
        if m.group("q"):
            value, pos = _read_quoted(text, m.end(), m.group("q"))
            toks.append(_Tok("str", value))
            continue
        pos = m.end()
        if m.group("op"):
            toks.append(_Tok("op", m.group("op")))
        elif m.group("p"):
            toks.append(_Tok(m.group("p"), m.group("p")))
        else:
            toks.append(_Tok("word", m.group("w")))
    return toks


def _syntax(message: str) -> InputError:
    return InputError("JQL refused", [Problem("jql", message)])


class _Parser:
    def __init__(self, toks: Sequence[_Tok]) -> None:
        self.toks = list(toks)
        self.i = 0

    def peek_word(self, *words: str) -> bool:
        t = self.toks[self.i] if self.i < len(self.toks) else None
        return t is not None and t.kind == "word" and t.text.lower() in words

    def take(self) -> _Tok:
        if self.i >= len(self.toks):
            raise _syntax("unexpected end of query")
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect_word(self, word: str) -> None:
        tok = self.take()
        if tok.kind != "word" or tok.text.lower() != word:
            raise _syntax(f"expected {word.upper()}, got {tok.text!r}")

    def query(self) -> Query:
        where = None if self.peek_word("order") else self.or_()
        order: list[tuple[str, bool]] = []
        if self.peek_word("order"):
            self.take()
            self.expect_word("by")
            while True:
                name = self.take().text
                desc = False
                if self.peek_word("asc", "desc"):
                    desc = self.take().text.lower() == "desc"
                order.append((name, desc))
                if self.i < len(self.toks) and self.toks[self.i].kind == ",":
                    self.take()
                    continue
                break
        if self.i != len(self.toks):
            raise _syntax(f"unexpected {self.toks[self.i].text!r}")
        return Query(where, tuple(order))

    def or_(self) -> Node:
        parts = [self.and_()]
        while self.peek_word("or"):
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_(self) -> Node:
        parts = [self.not_()]
        while self.peek_word("and"):
            self.take()
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def not_(self) -> Node:
        if self.peek_word("not"):
            self.take()
            return Not(self.not_())
        if self.i < len(self.toks) and self.toks[self.i].kind == "(":
            self.take()
            node = self.or_()
            if self.take().kind != ")":
                raise _syntax("missing ')'")
            return node
        return self.clause()

    def clause(self) -> Clause:
        field = self.take()
        if field.kind not in ("word", "str"):
            raise _syntax(f"expected a field, got {field.text!r}")
        if self.peek_word("in"):
            self.take()
            return Clause(field.text, "in", self.value_list())
        if self.peek_word("not"):
            self.take()
            self.expect_word("in")
            return Clause(field.text, "not in", self.value_list())
        if self.peek_word("is"):
            self.take()
            op = "is"
            if self.peek_word("not"):
                self.take()
                op = "is not"
            if not self.peek_word("empty", "null"):
                raise _syntax("IS needs EMPTY or NULL")
            self.take()
            return Clause(field.text, op, ())
        operator = self.take()
        if operator.kind != "op":
            raise _syntax(f"expected an operator after {field.text!r}")
        return Clause(field.text, operator.text, (self.value(),))

    def value(self) -> str:
        tok = self.take()
        if tok.kind not in ("word", "str"):
            raise _syntax(f"expected a value, got {tok.text!r}")
        return tok.text

    def value_list(self) -> tuple[str, ...]:
        if self.take().kind != "(":
            raise _syntax("IN needs '('")
        values = [self.value()]
        while True:
            tok = self.take()
            if tok.kind == ")":
                return tuple(values)
            if tok.kind != ",":
                raise _syntax("expected ',' or ')'")
            values.append(self.value())


def parse(jql: str) -> Query:
    """Parse the supported JQL subset; `InputError` (path `jql`) for anything else."""
    return _Parser(_tokenize(jql)).query()


def evaluate(node: Node, values: Callable[[str], Sequence[str]]) -> bool:
    """Whether an issue matches `node`; `values(field)` gives the issue's values of a field.

    Equality is case-insensitive like Jira's; `~` is a case-insensitive substring test (Jira's
    is a word search, which never matches more than the substring would for our markers).
    """
    match node:
        case And(parts):
            return all(evaluate(p, values) for p in parts)
        case Or(parts):
            return any(evaluate(p, values) for p in parts)
        case Not(part):
            return not evaluate(part, values)
        case Clause():
            return _clause(node, [v.casefold() for v in values(node.field)])
    return False  # pragma: no cover - Node is closed


def _clause(c: Clause, have: list[str]) -> bool:
    want = [v.casefold() for v in c.values]
    match c.op:
        case "=" | "in":
            return any(w in have for w in want)
        case "!=" | "not in":
            return bool(have) and not any(w in have for w in want)
        case "~":
            return any(w in h for h in have for w in want)
        case "!~":
            return not any(w in h for h in have for w in want)
        case "is":
            return not have
        case "is not":
            return bool(have)
    raise _syntax(f"operator {c.op!r} is not supported here")
