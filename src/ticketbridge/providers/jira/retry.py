"""Retries: at most 4, idempotent calls only, waiting as `ticketbridge.backoff.Backoff` says
(exponential from 0.5 s, capped at 30 s, jittered; a 429's Retry-After / X-RateLimit-Reset is a
floor: the retry never goes sooner). Non-idempotent calls (creates) are retried only when the
error proves the request had no effect: a 429 (refused before processing) or a connection never
made. Their ambiguous failures arrive as `OutcomeUnknown`, which is never retried here.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from ticketbridge.backoff import Backoff
from ticketbridge.clock import Sleep
from ticketbridge.errors import JiraError, RateLimited, TransientError

T = TypeVar("T")


CLIENT_BACKOFF = Backoff(base=timedelta(seconds=0.5), cap=timedelta(seconds=30))
"""Between the retries of one request: someone (a job, a command) is waiting on it."""


@dataclass
class RetryPolicy:
    max_retries: int = 4
    backoff: Backoff = CLIENT_BACKOFF
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, error: JiraError) -> float:
        """Seconds before retry number `attempt` (1-based) after `error`."""
        return self.backoff.wait(attempt, error, self.rng).total_seconds()

    def may_retry(self, error: JiraError, attempt: int, idempotent: bool) -> bool:
        if attempt > self.max_retries or not isinstance(error, TransientError):
            return False
        return idempotent or isinstance(error, RateLimited) or error.status is None


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    idempotent: bool,
    sleep: Sleep,
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
