"""The one retry/backoff policy: how long to wait after a transient failure, and the one reading
of a Retry-After (or X-RateLimit-Reset) answer (`retry_after_seconds`).

Used by the Jira client between its retries of one request (`providers.jira.retry`) and by the
outbox when it puts a failed job back (`services.outbox_outcomes`), with their own base and cap.
The wait is exponential in the attempt, capped, with jitter so that many clients failing
together do not come back together. A 429's Retry-After (`RateLimited.retry_after`, read here and
nowhere else for waiting) is a floor: the retry never goes sooner than Jira asked, and the
jitter only spreads it upwards. (The client's rate governor also holds *other* requests until
that moment; that is pacing, not a retry.)
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from ticketbridge.errors import RateLimited

_MAX_EXPONENT = 30  # 2**30 × any base is far past every cap: stop doubling there
_RANDOM = random.Random()  # noqa: S311 - jitter, not security


@dataclass(frozen=True)
class Backoff:
    base: timedelta  # the wait after the first failure, before jitter
    cap: timedelta  # the exponential part never exceeds this (a Retry-After may)
    jitter: tuple[float, float] = (0.8, 1.2)

    def wait(
        self, attempt: int, error: BaseException | None = None, rng: random.Random | None = None
    ) -> timedelta:
        """The wait after failure number `attempt` (1-based; 0 counts as 1) with `error`."""
        rng = rng or _RANDOM
        exponent = min(max(attempt - 1, 0), _MAX_EXPONENT)
        seconds = min(self.cap.total_seconds(), self.base.total_seconds() * 2.0**exponent)
        seconds *= rng.uniform(*self.jitter)
        if isinstance(error, RateLimited) and error.retry_after is not None:
            floor = max(0.0, error.retry_after) * rng.uniform(1.0, self.jitter[1])
            seconds = max(seconds, floor)
        return timedelta(seconds=seconds)


def retry_after_seconds(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or HTTP date) or `X-RateLimit-Reset` (ISO),
    the dates counted from `now` (the client's clock)."""
    raw = headers.get("retry-after")
    if raw:
        try:
            return max(0.0, float(raw))
        except ValueError:
            try:
                return max(0.0, (parsedate_to_datetime(raw) - now).total_seconds())
            except (TypeError, ValueError):
                pass
    reset = headers.get("x-ratelimit-reset")
    if reset:
        try:
            moment = datetime.fromisoformat(reset.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return max(0.0, (moment - now).total_seconds())
    return None
