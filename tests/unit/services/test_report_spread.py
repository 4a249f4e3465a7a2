"""The median and p90 the reports compute in process follow PostgreSQL's percentile_cont
(linear interpolation at q·(n−1)), for the edges: one value, two, ties, unsorted input."""

from __future__ import annotations

import pytest

from ticketbridge.storage.report_spread import percentile_cont, spreads


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([5.0], 0.5, 5.0),
        ([5.0], 0.9, 5.0),
        ([1.0, 17.0], 0.5, 9.0),
        ([1.0, 17.0], 0.9, 1.0 + 0.9 * 16),
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0], 0.9, 10.0),
        ([3.0, 3.0, 3.0, 9.0], 0.5, 3.0),
    ],
)
def test_percentile_cont(values: list[float], q: float, expected: float) -> None:
    assert percentile_cont(values, q) == pytest.approx(expected)


def test_each_row_counts_in_every_group_it_names() -> None:
    rows = [(("all", "high"), [4.0]), (("all", "low"), [1.0]), (("all", "high"), [2.0])]
    found = spreads(rows)
    assert found["all"] == (3, 2.0, pytest.approx(2.0 + 0.8 * 2.0))
    assert found["high"] == (2, 3.0, pytest.approx(3.8))
    assert found["low"] == (1, 1.0, 1.0)
