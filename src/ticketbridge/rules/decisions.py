"""Conditions Python can decide for one alert, so the route's CEL condition is not run.

A call into CEL costs more than most conditions, and most routes do not match most alerts. For
a condition that is a plain conjunction at the top level (`a && b && c`, as `guards.py` reads
it), a conjunct of one of these shapes is checked in Python against the alert's CEL values:

- `F == "lit"`, `F != "lit"`, `F in ["lit", …]`, `F.startsWith("lit")`, `F.endsWith("lit")`,
  `F.contains("lit")`, where `F` is a text variable (`kind`, `source`, `title` …) or
  `attributes.name`, and the literals are quoted text without escapes;
- `confidence < 0.5` (also `<=`, `>`, `>=`; a decimal literal), `confidence == null`,
  `confidence != null`;
- `sev(severity) >= sev("high")` (any comparison), with the `sev` CEL runs; `has(attributes.x)`.

Only a value of the type the comparison is about decides anything: a text for text, a float
for `confidence`, a known severity for `sev` (a missing attribute, a number where text is
compared, null confidence in `<`: nothing is decided, and CEL runs and says why). One conjunct
decided false makes the condition false, and CEL would say so without an error whatever the
other conjuncts are (its `&&` is false as soon as one side is false, even if the other is an
error): the route is skipped without a reason, as evaluating it would. Every conjunct decided
true makes it true: the route matches, as evaluating it would. The router's judges take
the conjuncts a route's guard enforces (its kind/source/status equalities and severity ranks)
as true, since it judges only alerts the guard admitted. Property tests compare routing with
and without this (tests/unit/rules/test_decisions.py).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from operator import methodcaller
from typing import Any

from ticketbridge.rules.expressions import severity_rank
from ticketbridge.rules.guards import enforced, top_level_conjuncts

Judge = Callable[[Mapping[str, Any]], bool | None]
"""Given an alert's CEL values: False when the condition is certainly false, True when it is
certainly true (neither without an error), None when only CEL can tell."""

_TEXT_VARIABLES = ("id", "source", "kind", "title", "description", "status", "fingerprint")
_LITERAL = r"""(?:"([^"\\\n]*)"|'([^'\\\n]*)')"""
_SUBJECT = rf"(attributes\.\w+|{'|'.join(_TEXT_VARIABLES)}|severity)"
_COMPARE = re.compile(rf"^{_SUBJECT}\s*(==|!=)\s*{_LITERAL}$")
_IN = re.compile(rf"^{_SUBJECT}\s+in\s+\[\s*({_LITERAL}(?:\s*,\s*{_LITERAL})*)\s*,?\s*\]$")
_METHOD = re.compile(rf"^{_SUBJECT}\.(startsWith|endsWith|contains)\(\s*{_LITERAL}\s*\)$")
_CONFIDENCE = re.compile(r"^confidence\s*(<=|>=|<|>)\s*(\d+\.\d+)$")
_NULL = re.compile(r"^confidence\s*(==|!=)\s*null$")
_ANY_LITERAL = re.compile(_LITERAL)
_SEVERITY = re.compile(r"""^sev\(severity\)\s*(>=|>|==|<=|<|!=)\s*sev\((?:"(\w+)"|'(\w+)')\)$""")
_HAS = re.compile(r"^has\(attributes\.(\w+)\)$")
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_METHODS = {"startsWith": "startswith", "endsWith": "endswith", "contains": "__contains__"}


def judge_for(expression: str, *, guarded: bool = False) -> Judge | None:
    """The judge of `expression` from the conjuncts it understands (None: none of them).
    `guarded`: it judges only alerts the expression's guard admitted (`guards.py`), so the
    conjuncts the guard enforces are known to be true and are not checked again."""
    conjuncts = top_level_conjuncts(expression)
    if conjuncts is None:
        return None
    if guarded:
        conjuncts = [c for c in conjuncts if not enforced(c)]
        if not conjuncts:
            return _always_true
    checks = [_check(conjunct) for conjunct in conjuncts]
    known = tuple(check for check in checks if check is not None)
    if not known:
        return None
    complete = len(known) == len(checks)  # every conjunct read: the whole can be proved true
    if len(known) == 1:
        return known[0] if complete else _at_most_false(known[0])

    def judge(values: Mapping[str, Any]) -> bool | None:
        verdict: bool | None = True if complete else None
        for check in known:
            found = check(values)
            if found is False:
                return False
            if found is None:
                verdict = None
        return verdict

    return judge


def _always_true(_values: Mapping[str, Any]) -> bool:
    return True


def _at_most_false(check: Judge) -> Judge:
    """A check of one conjunct among others it does not read: its False decides, not its True."""
    return lambda values: False if check(values) is False else None


def _check(conjunct: str) -> Judge | None:
    """The conjunct's truth for the alert's values, None when only CEL can tell."""
    if match := _COMPARE.match(conjunct):
        equal = _literal(match.group(3), match.group(4)).__eq__
        return _text_check(match.group(1), equal, holds_when=match.group(2) == "==")
    if match := _IN.match(conjunct):
        allowed = frozenset(a or b for a, b in _ANY_LITERAL.findall(match.group(2)))
        return _text_check(match.group(1), allowed.__contains__, holds_when=True)
    if match := _METHOD.match(conjunct):
        method, part = _METHODS[match.group(2)], _literal(match.group(3), match.group(4))
        return _text_check(match.group(1), methodcaller(method, part), holds_when=True)
    if match := _CONFIDENCE.match(conjunct):
        return _bound_check(_ORDER[match.group(1)], float(match.group(2)))
    if match := _NULL.match(conjunct):
        return _null_check(is_null=match.group(1) == "==")
    if match := _SEVERITY.match(conjunct):
        return _severity_check(_ORDER[match.group(1)], match.group(2) or match.group(3))
    if match := _HAS.match(conjunct):
        name = match.group(1)
        return lambda values: name in values["attributes"]
    return None


def _text_check(subject: str, test: Callable[[str], Any], *, holds_when: bool) -> Judge:
    """Whether `test(text)` is `holds_when` for the subject's value, when that value is text
    (a value of another type proves nothing: CEL may give an error). `test` is a C-level
    callable: no Python frame per call."""
    if subject.startswith("attributes."):
        name = subject.removeprefix("attributes.")

        def attribute(values: Mapping[str, Any]) -> bool | None:
            value = values["attributes"].get(name)
            return test(value) is holds_when if isinstance(value, str) else None

        return attribute

    def variable(values: Mapping[str, Any]) -> bool | None:
        value = values[subject]
        return test(value) is holds_when if isinstance(value, str) else None

    return variable


def _bound_check(compare: Callable[[float, float], bool], bound: float) -> Judge:
    def within(values: Mapping[str, Any]) -> bool | None:
        confidence = values["confidence"]
        return compare(confidence, bound) if type(confidence) is float else None

    return within


def _null_check(*, is_null: bool) -> Judge:
    def null(values: Mapping[str, Any]) -> bool | None:
        confidence = values["confidence"]
        if confidence is None:
            return is_null
        return (not is_null) if type(confidence) is float else None

    return null


def _severity_check(compare: Callable[[int, int], bool], word: str) -> Judge | None:
    try:
        bound = severity_rank(word)
    except ValueError:
        return None  # `sev("bogus")` is an error in CEL

    def ranked(values: Mapping[str, Any]) -> bool | None:
        try:
            return compare(severity_rank(values["severity"]), bound)
        except ValueError:  # an unknown severity: `sev()` is an error in CEL
            return None

    return ranked


def _literal(double: str | None, single: str | None) -> str:
    return double if double is not None else single or ""
