"""The one reading of the wall clock.

Everything that needs the time of day is given a `Clock` (a callable answering an aware UTC
datetime): the services, the workers, the Jira client (an HTTP-date Retry-After), the fakes.
`system_clock` is the one bootstrap passes in production and the default of the low-level
parts tests build directly; tests pass a virtual clock instead. (Durations — rate limits,
leases, render budgets — use injectable monotonic clocks of their own.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
Monotonic = Callable[[], float]
"""Seconds on a clock that never goes back (`time.monotonic`): for durations and deadlines."""
Sleep = Callable[[float], Awaitable[None]]
"""Waits that many seconds (`asyncio.sleep`); tests pass one that moves a virtual clock."""


def system_clock() -> datetime:
    return datetime.now(UTC)
