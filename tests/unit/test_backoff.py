"""The one retry/backoff policy: the schedule it gives, pinned (jitter at its ends)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from ticketbridge.backoff import Backoff
from ticketbridge.errors import RateLimited, Unavailable
from ticketbridge.providers.jira.retry import CLIENT_BACKOFF
from ticketbridge.services import WorkerSettings


class Edge(random.Random):
    """Jitter always at the low (`high=False`) or the high end of its range."""

    def __init__(self, *, high: bool) -> None:
        super().__init__(0)
        self.high = high

    def uniform(self, a: float, b: float) -> float:
        return b if self.high else a


POLICY = Backoff(base=timedelta(seconds=1), cap=timedelta(seconds=30))


def seconds(
    policy: Backoff, attempts: range, *, high: bool, error: Exception | None = None
) -> list[float]:
    rng = Edge(high=high)
    return [policy.wait(n, error, rng).total_seconds() for n in attempts]


def test_the_wait_doubles_from_base_to_cap_with_jitter_around_it() -> None:
    assert seconds(POLICY, range(1, 8), high=False) == [0.8, 1.6, 3.2, 6.4, 12.8, 24.0, 24.0]
    assert seconds(POLICY, range(1, 8), high=True) == pytest.approx(
        [1.2, 2.4, 4.8, 9.6, 19.2, 36.0, 36.0]
    )


def test_attempt_zero_waits_like_the_first_and_a_huge_attempt_stays_capped() -> None:
    assert seconds(POLICY, range(0, 2), high=False) == [0.8, 0.8]
    assert seconds(POLICY, range(10_000, 10_001), high=False) == [24.0]


def test_retry_after_is_a_floor_spread_upwards_only() -> None:
    asked = RateLimited("429", retry_after=10.0)
    # Early attempts: Jira's 10 s wins, never less, at most 20 % more.
    assert seconds(POLICY, range(1, 3), high=False, error=asked) == [10.0, 10.0]
    assert seconds(POLICY, range(1, 3), high=True, error=asked) == [12.0, 12.0]
    # Later: the backoff is already longer than Jira asked; it stands.
    assert seconds(POLICY, range(5, 6), high=False, error=asked) == [12.8]
    # Beyond the cap too: Jira knows when its quota resets.
    beyond = RateLimited("429", retry_after=600.0)
    assert seconds(POLICY, range(9, 10), high=False, error=beyond) == [600.0]


def test_other_errors_and_a_429_without_retry_after_follow_the_backoff() -> None:
    for error in (Unavailable("503"), RateLimited("429", retry_after=None)):
        assert seconds(POLICY, range(1, 4), high=False, error=error) == [0.8, 1.6, 3.2]


def test_the_client_and_the_outbox_use_this_policy_with_their_own_base_and_cap() -> None:
    assert (CLIENT_BACKOFF.base, CLIENT_BACKOFF.cap) == (
        timedelta(seconds=0.5),
        timedelta(seconds=30),
    )
    worker = WorkerSettings(backoff_base=timedelta(seconds=2), backoff_max=timedelta(minutes=1))
    assert worker.backoff == Backoff(base=timedelta(seconds=2), cap=timedelta(minutes=1))
