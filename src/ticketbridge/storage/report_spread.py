"""Median and p90 per group, in the database: PostgreSQL's `percentile_cont`; on SQLite, which
has none, the same interpolation from row numbers (window functions), so both databases give
the same figure for the same rows.

percentile_cont(p) over n sorted values v₀…vₙ₋₁: at position x = p·(n−1), the value
v⌊x⌋ + (v⌊x⌋₊₁ − v⌊x⌋)·(x − ⌊x⌋)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, Select, case, cast, func, select

QUANTILES = (0.5, 0.9)


def spread_query(durations: Any, keys: list[Any], *, postgres: bool) -> Select[Any]:
    """One row per group of `keys`: count, median, p90 of `durations.c.secs`."""
    if postgres:
        return select(
            *keys,
            func.count().label("n"),
            *(
                func.percentile_cont(q).within_group(durations.c.secs).label(f"q{i}")
                for i, q in enumerate(QUANTILES)
            ),
        ).group_by(*keys)
    # One window for both (same partition and order, the count over the whole partition).
    window: dict[str, Any] = {"partition_by": keys, "order_by": durations.c.secs}
    ranked = select(
        *keys,
        durations.c.secs,
        (func.row_number().over(**window) - 1).label("rn"),
        func.count().over(**window, rows=(None, None)).label("n"),
    ).subquery("ranked")
    grouped = [ranked.c[k.key] for k in keys]
    return select(
        *grouped,
        func.max(ranked.c.n).label("n"),
        *(_interpolated(ranked, q).label(f"q{i}") for i, q in enumerate(QUANTILES)),
    ).group_by(*grouped)


def _interpolated(ranked: Any, q: float) -> Any:
    position = q * (ranked.c.n - 1)
    below = cast(position, Integer)  # positions are >= 0: truncation is the floor
    share = position - below
    return func.sum(
        case(
            (ranked.c.rn == below, ranked.c.secs * (1 - share)),
            (ranked.c.rn == below + 1, ranked.c.secs * share),
            else_=0.0,
        )
    )
