from __future__ import annotations

import pytest

from ticketbridge.domain.severity import Severity


def test_severities_are_ranked_not_alphabetical() -> None:
    assert Severity.HIGH > Severity.LOW
    assert Severity.INFO < Severity.LOW < Severity.MEDIUM < Severity.HIGH < Severity.CRITICAL
    assert max(Severity.LOW, Severity.CRITICAL, Severity.HIGH) is Severity.CRITICAL
    assert Severity.MEDIUM >= Severity.MEDIUM


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("CRITICAL", Severity.CRITICAL), ("warning", Severity.MEDIUM), (" Info ", Severity.INFO)],
)
def test_parse_accepts_case_and_synonyms(raw: str, expected: Severity) -> None:
    assert Severity.parse(raw) is expected


def test_parse_refuses_unknown() -> None:
    with pytest.raises(ValueError, match="bogus"):
        Severity.parse("bogus")
