"""Severities are ranked, never compared as strings: info < low < medium < high < critical."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    # Defined one by one: `str` already has them, so functools.total_ordering would keep str's
    # alphabetical order ("high" < "low").
    def __lt__(self, other: object) -> bool:
        return self.rank < _rank_of(other)

    def __le__(self, other: object) -> bool:
        return self.rank <= _rank_of(other)

    def __gt__(self, other: object) -> bool:
        return self.rank > _rank_of(other)

    def __ge__(self, other: object) -> bool:
        return self.rank >= _rank_of(other)

    @classmethod
    def parse(cls, value: str) -> Severity:
        """Accepts any case and the common synonyms sources send (warning, error, fatal, ...)."""
        text = value.strip().lower()
        text = _SYNONYMS.get(text, text)
        return cls(text)


def _rank_of(other: object) -> int:
    if not isinstance(other, Severity):
        raise TypeError(f"cannot compare Severity with {type(other).__name__}")
    return other.rank


_RANKS = {s: i for i, s in enumerate(Severity)}
_SYNONYMS = {
    "informational": "info",
    "information": "info",
    "none": "info",
    "minor": "low",
    "warning": "medium",
    "warn": "medium",
    "moderate": "medium",
    "major": "high",
    "error": "high",
    "severe": "critical",
    "fatal": "critical",
    "blocker": "critical",
}
