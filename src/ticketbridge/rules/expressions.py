"""CEL over the alert: compiled and type-checked at load, evaluated without ever raising.

Engine: Google's cel-cpp through `cel-expr-python`. It has a real type checker (declared variable
types, typed function overloads, the position of every error), which the Rust
`common-expression-language` package lacks: there `confidence < "high"` or a misspelt `kindd`
only fails when an alert arrives.

Two environments, one set of declarations: the checking one declares `confidence` as
`google.protobuf.DoubleValue` (a nullable double: `confidence < 0.5` and `confidence == null`
both check, `confidence < "high"` does not); the running one declares it `dyn`, because the
runtime cannot take a Python None for a wrapper type. Every expression is checked in the first
and run from the second.

Evaluation never raises, whatever the alert holds: an error value, and anything cel-cpp throws
(its iteration budget of 10,000 comprehension steps per evaluation, a string it cannot take),
is the reason the condition did not match, and the router goes on to the next route.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cel_expr_python import cel  # type: ignore[import-untyped]
from cel_expr_python.ext.ext_math import ExtMath  # type: ignore[import-untyped]
from cel_expr_python.ext.ext_optional import ExtOptional  # type: ignore[import-untyped]
from cel_expr_python.ext.ext_strings import ExtStrings  # type: ignore[import-untyped]

from ticketbridge.domain.severity import Severity

_T = cel.Type
_VARIABLES: dict[str, Any] = {
    "id": _T.STRING,
    "source": _T.STRING,
    "kind": _T.STRING,
    "title": _T.STRING,
    "description": _T.STRING,
    "severity": _T.STRING,
    "status": _T.STRING,
    "fingerprint": _T.STRING,
    "attributes": _T.Map(_T.STRING, _T.DYN),
    "occurred_at": _T.TIMESTAMP,
    "received_at": _T.TIMESTAMP,
    "links": _T.List(_T.Map(_T.STRING, _T.STRING)),
}
ALERT_VARIABLES: frozenset[str] = frozenset({*_VARIABLES, "confidence"})
"""The names a condition can use, besides `sev()` and CEL's own functions."""
_NULLABLE_DOUBLE = "google.protobuf.DoubleValue"
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ERROR_LINE = re.compile(r"ERROR: <input>:(\d+):(\d+): (.*)")
_STATUS_PREFIX = re.compile(r"^[A-Z_]+: ")
_STATUS_SUFFIX = re.compile(r"\s*\[[A-Z_]+\]$")
MAX_REASON = 300
"""A reason quotes at most this much of CEL's message (which may quote the alert's values)."""
# What cel-cpp raises through pybind11 while converting values or evaluating (RuntimeError for
# absl errors such as the iteration budget; the others for values it cannot convert).
EVALUATION_ERRORS: tuple[type[Exception], ...] = (
    RuntimeError,
    ValueError,
    TypeError,
    OverflowError,
)
_RAISED_REASONS = {
    "Iteration budget exceeded": (
        "could not be evaluated: CEL's budget of 10,000 iterations per condition was exceeded "
        "(a list in the alert is too long for this condition)"
    ),
}


_RANKS = {severity.value: severity.rank for severity in Severity}


def severity_rank(value: str) -> int:
    """`sev("high")` → 3: info 0, low 1, medium 2, high 3, critical 4 (synonyms accepted).

    ValueError for a word that is no severity (in CEL: an error, so the condition fails)."""
    rank = _RANKS.get(value)
    return rank if rank is not None else Severity.parse(value).rank


@dataclass(frozen=True)
class CelError:
    """A compile or type error: 1-based line and column inside the expression, and why."""

    line: int
    column: int
    message: str

    def describe(self) -> str:
        where = f"column {self.column}" if self.line == 1 else f"{self.line}:{self.column}"
        return f"{self.message} (at {where} of the expression)"


Outcome = tuple[bool, str | None]
"""(matched, why not): an evaluation error is a reason, never a raise."""

_MATCHED: Outcome = (True, None)
_NOT_MATCHED: Outcome = (False, None)


@dataclass(frozen=True)
class Condition:
    """A checked, compiled expression."""

    source: str
    program: Any

    def evaluate(self, activation: Any) -> Outcome:
        try:
            value = self.program.eval(activation)
            plain = value.plain_value()
        except EVALUATION_ERRORS as error:
            return (False, raised_reason(error))
        if plain is True:
            return _MATCHED
        if plain is False:
            return _NOT_MATCHED
        if value.type() == _T.ERROR:
            return (False, _runtime_reason(str(plain)))
        return (False, f"evaluated to {value.type().name().lower()}, not a boolean")


class ConditionCompiler:
    """Holds the two CEL environments; compiles conditions and builds activations."""

    def __init__(self) -> None:
        sev = cel.FunctionDecl(
            "sev", [cel.Overload("sev_string", _T.INT, [_T.STRING], impl=severity_rank)]
        )
        checking = dict(_VARIABLES, confidence=_T(_NULLABLE_DOUBLE))
        running = dict(_VARIABLES, confidence=_T.DYN)
        self._checking = cel.NewEnv(variables=checking, functions=[sev], extensions=_extensions())
        self._running = cel.NewEnv(variables=running, functions=[sev], extensions=_extensions())

    def check(self, expression: str) -> list[CelError]:
        """Every syntax and type error of `expression`; empty when it is a valid condition."""
        try:
            checked = self._checking.compile(expression)
        except RuntimeError as err:
            return _parse_errors(str(err))
        result = checked.return_type()
        if result != _T.BOOL and result != _T.DYN:
            name = _readable(result.name()).lower()
            return [CelError(1, 1, f"a condition must be a boolean, this one is {name}")]
        return []

    def compile(self, expression: str) -> Condition:
        """Compile a checked expression for running; call `check` first."""
        return Condition(expression, self._running.compile(expression))

    def activation(self, values: Mapping[str, Any]) -> Any:
        """The variables of one alert, shared by every condition evaluated for it."""
        return self._running.Activation(values)


def _extensions() -> list[Any]:
    """String helpers (`lowerAscii`, `split`, `replace`, `trim`…), optional values
    (`attributes.?team.orValue("none")`: no error when the key is absent) and `math.*`."""
    return [ExtStrings(), ExtOptional(), ExtMath()]


def referenced_variables(expressions: Iterable[str]) -> tuple[str, ...]:
    """The alert variables the expressions may name (a word match: never too few)."""
    words = set(_WORD.findall(" ".join(expressions)))
    return tuple(sorted(ALERT_VARIABLES & words))


def raised_reason(error: Exception) -> str:
    """Why a condition could not be evaluated, from what cel-cpp raised."""
    message = _STATUS_SUFFIX.sub("", _STATUS_PREFIX.sub("", str(error).strip()))
    known = _RAISED_REASONS.get(message)
    return known or _clipped(f"could not be evaluated: {message or type(error).__name__}")


def _runtime_reason(message: str) -> str:
    message = _STATUS_PREFIX.sub("", message)
    return _clipped(
        message.replace("Key not found in map : ", "no key ").replace(
            "No matching overloads found : ", "no matching overload for "
        )
    )


def _clipped(reason: str) -> str:
    return reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"


def _parse_errors(text: str) -> list[CelError]:
    errors = [
        CelError(int(m.group(1)), int(m.group(2)), _readable(m.group(3)))
        for m in _ERROR_LINE.finditer(text)
    ]
    return errors or [CelError(1, 1, _readable(text))]


def _readable(message: str) -> str:
    message = _STATUS_PREFIX.sub("", message.strip())
    message = message.removesuffix(" [INVALID_ARGUMENT]").replace(" (in container '')", "")
    return message.replace("wrapper(double)", "double?").replace(
        "google.protobuf.DoubleValue", "double?"
    )
