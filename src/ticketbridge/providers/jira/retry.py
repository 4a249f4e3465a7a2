"""Retries: exponential backoff with 0.7–1.3 jitter, at most 4 retries, idempotent calls only.

A 429's wait (Retry-After / X-RateLimit-Reset) is a floor: the retry never goes sooner; jitter
only adds to it. Non-idempotent calls (creates) are retried only when the error proves the
request had no effect: a 429 (refused before processing) or a connection never made. Their
ambiguous failures arrive as `OutcomeUnknown`, which is never retried here.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from ticketbridge.errors import JiraError, RateLimited, TransientError

__all__ = ["RetryPolicy", "with_retries"]

T = TypeVar("T")


@dataclass
class RetryPolicy:
    max_retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: tuple[float, float] = (0.7, 1.3)
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, error: JiraError) -> float:
        """Seconds before retry number `attempt` (1-based) after `error`."""
        backoff = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        jittered = backoff * self.rng.uniform(*self.jitter)
        if isinstance(error, RateLimited) and error.retry_after is not None:
            # Never sooner than Jira asked; spread the herd upwards only.
            spread: float = self.rng.uniform(1.0, self.jitter[1])
            return float(error.retry_after) * spread
        return jittered

    def may_retry(self, error: JiraError, attempt: int, idempotent: bool) -> bool:
        if attempt > self.max_retries or not isinstance(error, TransientError):
            return False
        return idempotent or isinstance(error, RateLimited) or error.status is None


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    idempotent: bool,
    sleep: Callable[[float], Awaitable[None]],
) -> T:
    attempt = 0
    while True:
        try:
            return await call()
        except JiraError as error:
            attempt += 1
            if not policy.may_retry(error, attempt, idempotent):
                raise
            await sleep(policy.delay(attempt, error))
