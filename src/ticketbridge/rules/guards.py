"""Cheap necessary conditions read off a CEL condition's text, so most routes are skipped for
most alerts without running CEL at all (this is what keeps 50 routes fast).

Only conditions that are a plain conjunction at the top level (`a && b && c`, no top-level `||`
or `?:`) get guards, and only from conjuncts whose truth needs them:
- `kind == "x"`, `source == "x"`, `status == "x"`: the field must equal the literal;
- `sev(severity) >= sev("high")` (or `>`, `==`): a minimum (or exact) severity rank;
- `has(attributes.x)`, or any conjunct selecting `attributes.x` that has no `||`, `?`, `has(`
  or optional syntax in it: the attribute must be present, else the conjunct is an error
  or false, and the whole condition cannot hold.
A guard never changes a result; it only spares the evaluation whose result would be "no match".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ticketbridge.rules.expressions import severity_rank

_EQUALS = re.compile(r"""^(kind|source|status)\s*==\s*(?:"([\w .:/-]*)"|'([\w .:/-]*)')$""")
_SEVERITY = re.compile(r"""^sev\(severity\)\s*(>=|>|==)\s*sev\((?:"(\w+)"|'(\w+)')\)$""")
_HAS = re.compile(r"^has\(attributes\.(\w+)\)$")
_SELECT = re.compile(r"\battributes\.(\w+)\b(?!\s*\()")
_ESCAPES = ("||", "?", "has(", "orValue", "optional")
_STRING = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'""")


@dataclass(frozen=True)
class Guard:
    equals: tuple[tuple[str, str], ...] = ()
    min_rank: int = -1
    exact_rank: int | None = None
    attributes: tuple[str, ...] = ()  # tested with has(): absent means false
    selected: tuple[str, ...] = ()  # selected: absent means an evaluation error

    def admits_fields(self, kind: str, source: str, status: str) -> bool:
        """The equality part: decided once per (kind, source, status) and cached by the router."""
        actual = {"kind": kind, "source": source, "status": status}
        return all(actual[name] == expected for name, expected in self.equals)

    def admits_rank(self, rank: int) -> bool:
        """The severity part (false: the condition certainly is false, nothing to report)."""
        return rank >= self.min_rank and (self.exact_rank is None or rank == self.exact_rank)

    def excludes(self, attributes: Mapping[str, Any], rank: int) -> str | None:
        """The per-alert part: None when the condition must be evaluated; "" when it certainly
        is false; else the reason it cannot hold (the evaluation error it would have given)."""
        if rank < self.min_rank or (self.exact_rank is not None and rank != self.exact_rank):
            return ""  # not admits_rank (inlined: this runs per alert and route)
        for name in self.attributes:
            if name not in attributes:
                return ""
        for name in self.selected:
            if name not in attributes:
                return f'no key "{name}"'
        return None


NO_GUARD = Guard()


def guard_for(expression: str) -> Guard:
    conjuncts = top_level_conjuncts(expression)
    if conjuncts is None:
        return NO_GUARD
    equals: list[tuple[str, str]] = []
    attributes: list[str] = []
    selected: list[str] = []
    min_rank, exact_rank = -1, None
    for conjunct in conjuncts:
        if match := _EQUALS.match(conjunct):
            equals.append((match.group(1), match.group(2) or match.group(3) or ""))
        elif (match := _SEVERITY.match(conjunct)) and (rank := _rank(match)) is not None:
            if match.group(1) == "==":
                exact_rank = rank
            else:
                min_rank = max(min_rank, rank + (1 if match.group(1) == ">" else 0))
        elif match := _HAS.match(conjunct):
            attributes.append(match.group(1))
        elif not any(escape in _STRING.sub('""', conjunct) for escape in _ESCAPES):
            selected.extend(_SELECT.findall(_STRING.sub('""', conjunct)))
    return Guard(
        tuple(equals),
        min_rank,
        exact_rank,
        tuple(dict.fromkeys(attributes)),
        tuple(a for a in dict.fromkeys(selected) if a not in attributes),
    )


def _rank(match: re.Match[str]) -> int | None:
    try:
        return severity_rank(match.group(2) or match.group(3))
    except ValueError:
        return None


def top_level_conjuncts(expression: str) -> list[str] | None:
    """Split on top-level `&&`; None when a top-level `||` or `?` makes that unsound."""
    parts: list[str] = []
    depth, start, index, quote = 0, 0, 0, ""
    while index < len(expression):
        char = expression[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif expression.startswith("//", index):
            return None  # a comment could hide anything
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and expression.startswith("&&", index):
            parts.append(expression[start:index].strip())
            start, index = index + 2, index + 2
            continue
        elif depth == 0 and (expression.startswith("||", index) or _is_ternary(expression, index)):
            return None
        index += 1
    parts.append(expression[start:].strip())
    return parts


def _is_ternary(expression: str, index: int) -> bool:
    """`a ? b : c`, not the optional selection `attributes.?team` / `list[?0]`."""
    return expression[index] == "?" and expression[index - 1 : index] not in (".", "[")
