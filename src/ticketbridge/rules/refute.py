"""Conjuncts Python can prove false for one alert, so the route's CEL condition is not run.

A call into CEL costs more than most conditions, and most routes do not match most alerts. For
a condition that is a plain conjunction at the top level (`a && b && c`, as `guards.py` reads
it), a conjunct of one of these shapes is checked in Python against the alert's CEL values:

- `F == "lit"`, `F != "lit"`, `F in ["lit", …]`, `F.startsWith("lit")`, `F.endsWith("lit")`,
  `F.contains("lit")`, where `F` is a text variable (`kind`, `source`, `title` …) or
  `attributes.name`, and the literals are quoted text without escapes;
- `confidence < 0.5` (also `<=`, `>`, `>=`; a decimal literal), `confidence == null`,
  `confidence != null`.

Only a value of the type the comparison is about proves anything: a text for text, a float for
`confidence` (a missing attribute, a number where text is compared, null confidence in `<`:
nothing is proved, and CEL runs and says why). When a conjunct is proved false the whole
condition is false, and CEL would say so without an error whatever the other conjuncts do (its
`&&` is false as soon as one side is false, even if the other is an error), so the route is
skipped without a reason, exactly as evaluating it would. Property tests compare routing with
and without this (tests/unit/rules/test_refute.py).
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from ticketbridge.rules.guards import top_level_conjuncts

__all__ = ["Refuter", "refuter_for"]

Refuter = Callable[[Mapping[str, Any]], bool]
"""Given an alert's CEL values: True when the condition is certainly false (no error)."""

_TEXT_VARIABLES = ("id", "source", "kind", "title", "description", "status", "fingerprint")
_LITERAL = r"""(?:"([^"\\\n]*)"|'([^'\\\n]*)')"""
_SUBJECT = rf"(attributes\.\w+|{'|'.join(_TEXT_VARIABLES)}|severity)"
_COMPARE = re.compile(rf"^{_SUBJECT}\s*(==|!=)\s*{_LITERAL}$")
_IN = re.compile(rf"^{_SUBJECT}\s+in\s+\[\s*({_LITERAL}(?:\s*,\s*{_LITERAL})*)\s*,?\s*\]$")
_METHOD = re.compile(rf"^{_SUBJECT}\.(startsWith|endsWith|contains)\(\s*{_LITERAL}\s*\)$")
_CONFIDENCE = re.compile(r"^confidence\s*(<=|>=|<|>)\s*(\d+\.\d+)$")
_NULL = re.compile(r"^confidence\s*(==|!=)\s*null$")
_ANY_LITERAL = re.compile(_LITERAL)
_ORDER: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_TEXT_TESTS: dict[str, Callable[[str, str], bool]] = {
    "startsWith": str.startswith,
    "endsWith": str.endswith,
    "contains": operator.contains,
}


def refuter_for(expression: str) -> Refuter | None:
    """A refuter from the conjuncts of `expression` it understands (None: none of them)."""
    conjuncts = top_level_conjuncts(expression)
    if conjuncts is None:
        return None
    found = [r for r in map(_conjunct_refuter, conjuncts) if r is not None]
    return functools.reduce(_either, found) if found else None


def _either(first: Refuter, second: Refuter) -> Refuter:
    return lambda values: first(values) or second(values)


def _conjunct_refuter(conjunct: str) -> Refuter | None:
    if match := _COMPARE.match(conjunct):
        expected = _literal(match.group(3), match.group(4))
        unequal = expected.__ne__ if match.group(2) == "==" else expected.__eq__
        return _text_refuter(match.group(1), unequal)
    if match := _IN.match(conjunct):
        allowed = frozenset(a or b for a, b in _ANY_LITERAL.findall(match.group(2)))
        return _text_refuter(match.group(1), lambda text: text not in allowed)
    if match := _METHOD.match(conjunct):
        test, part = _TEXT_TESTS[match.group(2)], _literal(match.group(3), match.group(4))
        return _text_refuter(match.group(1), lambda text: not test(text, part))
    if match := _CONFIDENCE.match(conjunct):
        compare, bound = _ORDER[match.group(1)], float(match.group(2))

        def out_of_bound(values: Mapping[str, Any]) -> bool:
            confidence = values["confidence"]
            return type(confidence) is float and not compare(confidence, bound)

        return out_of_bound
    if match := _NULL.match(conjunct):
        if match.group(1) == "==":
            return lambda values: type(values["confidence"]) is float
        return lambda values: values["confidence"] is None
    return None


def _text_refuter(subject: str, refutes: Callable[[str], bool]) -> Refuter:
    """`refutes(text)` of the subject's value when that value is text (else nothing proved)."""
    if subject.startswith("attributes."):
        name = subject.removeprefix("attributes.")

        def attribute(values: Mapping[str, Any]) -> bool:
            value = values["attributes"].get(name)
            return isinstance(value, str) and refutes(value)

        return attribute

    def variable(values: Mapping[str, Any]) -> bool:
        value = values[subject]
        return isinstance(value, str) and refutes(value)

    return variable


def _literal(double: str | None, single: str | None) -> str:
    return double if double is not None else single or ""
