"""Client-side rate limiting: stay under Jira's limits instead of bouncing off them.

- A token bucket per site × endpoint class: GET/POST and PUT/DELETE (Cloud defaults 100 and
  50 requests per second).
- Writes to one issue spaced to 20 per 2 seconds (Jira's per-issue write limit).
- `X-RateLimit-NearLimit: true` on an answer (under a fifth of Jira's budget left): the class's
  bucket keeps no more tokens than its `X-RateLimit-Remaining` says, so a client pacing itself
  at the limit stays at it (halving on every such answer had capped a lone client at half the
  limit: bench/pipeline_storm.py --jira emulator). Without Remaining, the class's rate halves for
  a while.
- Adaptation to a 429's `RateLimit-Reason`: `…burst…` halves that class's rate for a while and
  holds the class for the Retry-After; `…quota…` pauses every call until the reset;
  `…per-issue…` holds writes to that issue.

Time comes from an injectable monotonic `clock` and `sleep`, so tests run without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

from ticketbridge.clock import Monotonic, Sleep

_SLOWDOWN_SECONDS = 30.0  # how long a burst 429 halves a class's rate
_EPSILON = 1e-9
_MIN_SLEEP = 0.001  # never spin on waits too small to move a clock


def endpoint_class(method: str) -> str:
    return "put_delete" if method.upper() in ("PUT", "DELETE") else "get_post"


@dataclass(frozen=True)
class RateSettings:
    get_post_per_second: float = 100.0
    put_delete_per_second: float = 50.0
    issue_writes: int = 20
    issue_window_seconds: float = 2.0


@dataclass
class TokenBucket:
    rate: float
    capacity: float
    tokens: float
    updated: float
    slow_until: float = 0.0
    hold_until: float = 0.0

    def effective_rate(self, now: float) -> float:
        return self.rate / 2 if now < self.slow_until else self.rate

    def refill(self, now: float) -> None:
        self.tokens = min(
            self.capacity, self.tokens + (now - self.updated) * self.effective_rate(now)
        )
        self.updated = now

    def wait_time(self, now: float) -> float:
        """Seconds until a token is free; takes it when that is now."""
        if now < self.hold_until:
            return self.hold_until - now
        rate = self.effective_rate(now)
        self.refill(now)
        if self.tokens >= 1 - _EPSILON:  # float refills may land a hair under a whole token
            self.tokens = max(0.0, self.tokens - 1)
            return 0.0
        return (1 - self.tokens) / rate


@dataclass
class RateGovernor:
    settings: RateSettings = field(default_factory=RateSettings)
    clock: Monotonic = time.monotonic
    sleep: Sleep = asyncio.sleep
    paused_until: float = 0.0
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)
    _issue_writes: dict[str, deque[float]] = field(default_factory=dict)
    _issue_hold: dict[str, float] = field(default_factory=dict)

    def _bucket(self, cls: str) -> TokenBucket:
        if cls not in self._buckets:
            rate = (
                self.settings.put_delete_per_second
                if cls == "put_delete"
                else self.settings.get_post_per_second
            )
            self._buckets[cls] = TokenBucket(rate, max(1.0, rate), max(1.0, rate), self.clock())
        return self._buckets[cls]

    async def acquire(self, method: str, issue: str | None = None) -> None:
        """Wait until a request of `method` (a write to `issue`, if given) may go out."""
        while True:
            wait = self._wait_time(method, issue)
            if wait <= 0:
                return
            await self.sleep(max(wait, _MIN_SLEEP))

    def _wait_time(self, method: str, issue: str | None) -> float:
        now = self.clock()
        if now < self.paused_until:
            return self.paused_until - now
        if issue is not None and method.upper() != "GET":
            wait = self._issue_wait(issue, now)
            if wait > 0:
                return wait
        wait = self._bucket(endpoint_class(method)).wait_time(now)
        if wait <= 0 and issue is not None and method.upper() != "GET":
            self._issue_writes.setdefault(issue, deque()).append(now)
        return wait

    def _issue_wait(self, issue: str, now: float) -> float:
        hold = self._issue_hold.get(issue, 0.0)
        if now < hold:
            return hold - now
        window = self._issue_writes.setdefault(issue, deque())
        while window and window[0] <= now - self.settings.issue_window_seconds:
            window.popleft()
        if len(window) < self.settings.issue_writes:
            return 0.0
        return window[0] + self.settings.issue_window_seconds - now

    def on_near_limit(self, method: str, remaining: int | None = None) -> None:
        """Jira said `X-RateLimit-NearLimit: true`. With its `X-RateLimit-Remaining`: hold no
        more tokens than that (someone else may be spending the same budget). Without: halve
        that class's rate for a while, before a 429 comes."""
        bucket = self._bucket(endpoint_class(method))
        now = self.clock()
        if remaining is not None:
            bucket.refill(now)
            bucket.tokens = min(bucket.tokens, float(max(0, remaining)))
            return
        bucket.slow_until = max(bucket.slow_until, now + _SLOWDOWN_SECONDS)

    def on_rate_limited(
        self, method: str, issue: str | None, retry_after: float | None, reason: str | None
    ) -> None:
        """Adapt to a 429 Jira sent for a request of `method` (to `issue`)."""
        now = self.clock()
        wait = retry_after if retry_after is not None else 1.0
        kind = (reason or "").lower()
        if "quota" in kind:
            self.paused_until = max(self.paused_until, now + wait)
        elif "issue" in kind and issue is not None:
            self._issue_hold[issue] = max(self._issue_hold.get(issue, 0.0), now + wait)
        else:  # burst, or no reason given: slow this endpoint class
            bucket = self._bucket(endpoint_class(method))
            bucket.slow_until = now + max(wait, _SLOWDOWN_SECONDS)
            bucket.hold_until = max(bucket.hold_until, now + wait)
            bucket.tokens = 0.0
