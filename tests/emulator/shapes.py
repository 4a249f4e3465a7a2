"""The shape of a JSON value (keys and JSON types, recursively) and comparing two shapes.

Used by the fidelity tests to pin the emulator's answers to what real Jira sent:
values may differ (ids, dates, texts), shapes may not. Rules:
- JSON types: object, array, string, number (ints and floats alike), boolean, null.
- `null` on either side matches any type: Jira sends null for an unset field whose type shows
  once it is set (`duedate`, `resolution`, `assignee` …).
- An array's elements are merged into one element shape (the union of their keys); an empty
  array on either side says nothing about the elements.
- Keys matching `ignore` patterns (JSON paths, regexes) are skipped on both sides: instance
  configuration such as a site's own custom fields, or documented flavour differences.
- `allow_extra` patterns: keys the emulator may add (documented extras).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Difference", "Shape", "compare", "shape", "type_name"]

Shape = Any  # "string" | "number" | … | {"key": Shape} | ["element Shape"] | []


def type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def _merge(left: Shape, right: Shape) -> Shape:
    if left == "null":
        return right
    if right == "null":
        return left
    if isinstance(left, dict) and isinstance(right, dict):
        merged = dict(left)
        for key, value in right.items():
            merged[key] = _merge(merged[key], value) if key in merged else value
        return merged
    if isinstance(left, list) and isinstance(right, list):
        if not left or not right:
            return left or right
        return [_merge(left[0], right[0])]
    return left


def shape(value: object) -> Shape:
    """The shape of a JSON value."""
    if isinstance(value, Mapping):
        return {str(key): shape(item) for key, item in value.items()}
    if isinstance(value, list):
        elements = [shape(item) for item in value]
        if not elements:
            return []
        merged = elements[0]
        for element in elements[1:]:
            merged = _merge(merged, element)
        return [merged]
    return type_name(value)


@dataclass(frozen=True)
class Difference:
    path: str
    kind: str  # "missing" (real has it, emulator not) | "extra" | "type"
    real: str = ""
    emulated: str = ""

    def __str__(self) -> str:
        if self.kind == "type":
            return f"{self.path}: real {self.real}, emulator {self.emulated}"
        return f"{self.path}: {self.kind}"


@dataclass
class _Comparison:
    ignore: list[re.Pattern[str]]
    allow_extra: list[re.Pattern[str]]
    found: list[Difference] = field(default_factory=list)

    def skipped(self, path: str, patterns: Iterable[re.Pattern[str]]) -> bool:
        return any(pattern.fullmatch(path) for pattern in patterns)

    def walk(self, real: Shape, emulated: Shape, path: str) -> None:
        if real == "null" or emulated == "null":
            return
        if isinstance(real, dict) and isinstance(emulated, dict):
            self.objects(real, emulated, path)
        elif isinstance(real, list) and isinstance(emulated, list):
            if real and emulated:
                self.walk(real[0], emulated[0], f"{path}[]")
        elif _kind(real) != _kind(emulated):
            self.found.append(Difference(path, "type", _kind(real), _kind(emulated)))

    def objects(self, real: dict[str, Shape], emulated: dict[str, Shape], path: str) -> None:
        for key in real.keys() | emulated.keys():
            child = f"{path}.{key}"
            if self.skipped(child, self.ignore):
                continue
            if key not in emulated:
                self.found.append(Difference(child, "missing"))
            elif key not in real:
                if not self.skipped(child, self.allow_extra):
                    self.found.append(Difference(child, "extra"))
            else:
                self.walk(real[key], emulated[key], child)


def _kind(value: Shape) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return str(value)


def compare(
    real: object,
    emulated: object,
    *,
    ignore: Iterable[str] = (),
    allow_extra: Iterable[str] = (),
) -> list[Difference]:
    """Where the emulated JSON value's shape departs from the real one's, sorted by path."""
    comparison = _Comparison([re.compile(p) for p in ignore], [re.compile(p) for p in allow_extra])
    comparison.walk(shape(real), shape(emulated), "$")
    return sorted(comparison.found, key=lambda d: (d.path, d.kind))
