"""Jira Cloud's rate limits: burst buckets per endpoint and method, per-issue writes, a quota.

What Atlassian documents (developer.atlassian.com/cloud/jira/platform/rate-limiting):
- burst limits per tenant, endpoint and HTTP method: 100 requests/s for GET and POST, 50/s for
  PUT and DELETE, with a burst buffer (`RateLimit-Reason: jira-burst-based`);
- per-issue write limits: 20 writes per 2 s and 100 writes per 30 s on one issue
  (`jira-per-issue-on-write`);
- a tenant quota per hour (`jira-quota-tenant-based`; here optional, off by default).
A 429 carries `Retry-After` (whole seconds), `X-RateLimit-Limit`, `X-RateLimit-Remaining`,
`X-RateLimit-Reset` (ISO 8601 `yyyy-MM-ddTHH:mmZ`: request time plus Retry-After) and
`RateLimit-Reason`; the body is Jira's ErrorCollection
`{"errorMessages": ["The request has been rate-limited. Please try again later."], "errors": {},
"status": 429}`. Successful answers carry the X-RateLimit headers too, plus
`X-RateLimit-NearLimit: true` when less than 20 % of the budget is left.

Time comes from an injectable monotonic clock (and wall clock for the Reset header), so tests
advance time instead of sleeping. `/_emulator/*` is never limited. Data Center has no rate
limiting unless an administrator turns it on: `for_flavor("datacenter")` starts disabled.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BURST = "jira-burst-based"
PER_ISSUE = "jira-per-issue-on-write"
TENANT_QUOTA = "jira-quota-tenant-based"
RATE_LIMITED_BODY = {
    "errorMessages": ["The request has been rate-limited. Please try again later."],
    "errors": {},
    "status": 429,
}
DEFAULT_RATES = {"GET": 100.0, "POST": 100.0, "PUT": 50.0, "DELETE": 50.0}
DEFAULT_PER_ISSUE = ((20, 2.0), (100, 30.0))
_WRITES = frozenset(("POST", "PUT", "DELETE", "PATCH"))
_ISSUE_PATH = re.compile(r"^/rest/api/[23]/issue/(?P<issue>[^/]+)(?:/|$)")
_NOT_AN_ISSUE = frozenset(("bulk", "createmeta", "picker", "properties", "archive"))
_ID_SEGMENT = re.compile(r"^(?:\d+|[A-Za-z][A-Za-z0-9_]*-\d+)$")

Clock = Callable[[], float]
WallClock = Callable[[], datetime]


def endpoint_template(path: str) -> str:
    """The endpoint class of `path`: ids and issue keys replaced by `{id}` (not the API version)."""
    segments = path.rstrip("/").split("/")
    return "/".join(
        "{id}" if _ID_SEGMENT.match(segment) and segments[index - 1] != "api" else segment
        for index, segment in enumerate(segments)
    )


def issue_of(method: str, path: str) -> str | None:
    """The issue id or key a write request changes, or None (reads, creates, bulk)."""
    match = _ISSUE_PATH.match(path)
    if method.upper() not in _WRITES or match is None:
        return None
    issue = match.group("issue")
    return None if issue in _NOT_AN_ISSUE else issue


@dataclass
class _Bucket:
    """Token bucket: `capacity` tokens, refilled at `rate` per second."""

    capacity: float
    rate: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait(self) -> float:
        """Seconds until one token is available (0 when one is)."""
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass
class _Windows:
    """Sliding windows of write times per issue: (max writes, seconds) each."""

    limits: tuple[tuple[int, float], ...]
    writes: dict[str, deque[float]] = field(default_factory=dict)

    def wait(self, issue: str, now: float) -> tuple[float, int]:
        """(seconds until a write is allowed, the limit that binds) for `issue`."""
        times = self.writes.setdefault(issue, deque())
        longest = max((seconds for _, seconds in self.limits), default=0.0)
        while times and times[0] <= now - longest:
            times.popleft()
        for count, seconds in self.limits:
            recent = [t for t in times if t > now - seconds]
            if len(recent) >= count:
                return recent[-count] + seconds - now, count
        return 0.0, self.limits[0][0] if self.limits else 0

    def record(self, issue: str, now: float) -> None:
        self.writes.setdefault(issue, deque()).append(now)


@dataclass(frozen=True)
class Decision:
    """The limiter's verdict on one request, and the headers to send with the answer."""

    allowed: bool
    limit: int
    remaining: int
    retry_after: float
    reset_at: datetime
    reason: str | None = None
    quiet: bool = False  # limiting is off: no rate-limit headers at all, as on a default DC

    def headers(self) -> list[tuple[bytes, bytes]]:
        if self.quiet:
            return []
        reset = self.reset_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
        pairs = [
            ("X-RateLimit-Limit", str(self.limit)),
            ("X-RateLimit-Remaining", str(self.remaining)),
            ("X-RateLimit-Reset", reset),
        ]
        if self.allowed and self.limit and self.remaining < 0.2 * self.limit:
            pairs.append(("X-RateLimit-NearLimit", "true"))
        if not self.allowed:
            pairs.append(("Retry-After", str(max(1, math.ceil(self.retry_after)))))
            pairs.append(("RateLimit-Reason", self.reason or BURST))
        return [(name.lower().encode(), value.encode()) for name, value in pairs]


@dataclass
class _Forced:
    count: int
    reason: str
    retry_after: float


class RateLimiter:
    """Token buckets per (endpoint template, method), per-issue write windows, a quota."""

    def __init__(
        self,
        *,
        enabled: bool = True,
        rates: dict[str, float] | None = None,
        burst: float = 1.0,
        per_issue: Sequence[tuple[int, float]] = DEFAULT_PER_ISSUE,
        quota: tuple[int, float] | None = None,
        clock: Clock = time.monotonic,
        wall_clock: WallClock | None = None,
    ) -> None:
        self.enabled = enabled
        self.rates = dict(DEFAULT_RATES if rates is None else rates)
        self.burst = burst  # bucket capacity in seconds' worth of the rate
        self.clock = clock
        self.wall_clock: WallClock = wall_clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._windows = _Windows(tuple(per_issue))
        self._quota: _Bucket | None = None
        self.set_quota(quota)
        self._forced: _Forced | None = None

    @classmethod
    def for_flavor(cls, flavor: str, *, clock: Clock = time.monotonic) -> RateLimiter:
        """Cloud's documented defaults; Data Center ships with rate limiting off."""
        return cls(enabled=flavor == "cloud", clock=clock)

    # -- runtime switches ------------------------------------------------------------------
    def set_rate(self, method: str, per_second: float) -> None:
        if per_second <= 0:
            raise ValueError(f"rates.{method}: must be a positive number of requests per second")
        self.rates[method.upper()] = float(per_second)
        self._buckets = {k: v for k, v in self._buckets.items() if k[1] != method.upper()}

    def set_per_issue(self, windows: Sequence[tuple[int, float]]) -> None:
        self._windows = _Windows(tuple((int(c), float(s)) for c, s in windows))

    def set_quota(self, quota: tuple[int, float] | None) -> None:
        """A tenant quota of `limit` requests per `period` seconds, or None for none."""
        if quota is None:
            self._quota = None
            return
        limit, period = quota
        now = self.clock()
        self._quota = _Bucket(float(limit), float(limit) / float(period), float(limit), now)

    def force(self, count: int, reason: str = BURST, retry_after: float = 1.0) -> None:
        """Answer the next `count` limited requests with 429 and `reason`, whatever the budget."""
        self._forced = _Forced(int(count), reason, float(retry_after)) if count > 0 else None

    def reset(self) -> None:
        """Full buckets, no recorded writes, nothing forced."""
        with self._lock:
            self._buckets.clear()
            self._windows = _Windows(self._windows.limits)
            self.set_quota(None if self._quota is None else self._quota_setting())
            self._forced = None

    def configure(
        self,
        *,
        enabled: bool | None = None,
        rates: dict[str, float] | None = None,
        burst: float | None = None,
        per_issue: Sequence[Sequence[float]] | None = None,
        quota: dict[str, float] | None = None,
        force: int | None = None,
        reason: str = BURST,
        retry_after: float = 1.0,
        reset: bool = False,
    ) -> None:
        """The `/_emulator/limits` body: every key optional.

        `rates` {"GET": 100, …} per second; `burst` bucket size in seconds of rate; `per_issue`
        [[20, 2], [100, 30]]; `quota` {"limit": n, "period": seconds} ({"limit": null} turns
        it off); `force` n next answers are 429 with `reason` and `retry_after`.
        """
        if enabled is not None:
            self.enabled = bool(enabled)
        for method, per_second in (rates or {}).items():
            self.set_rate(method, float(per_second))
        if burst is not None:
            if burst <= 0:
                raise ValueError("burst: must be a positive number of seconds")
            self.burst, self._buckets = float(burst), {}
        if per_issue is not None:
            self.set_per_issue([(int(pair[0]), float(pair[1])) for pair in per_issue])
        if quota is not None:
            limit = quota.get("limit")
            period = float(quota.get("period", 3600))
            self.set_quota(None if limit is None else (int(limit), period))
        if force is not None:
            self.force(int(force), reason, retry_after)
        if reset:
            self.reset()

    def _quota_setting(self) -> tuple[int, float]:
        assert self._quota is not None
        return int(self._quota.capacity), self._quota.capacity / self._quota.rate

    # -- the decision ----------------------------------------------------------------------
    def _bucket(self, method: str, path: str, now: float) -> _Bucket:
        key = (endpoint_template(path), method)
        bucket = self._buckets.get(key)
        if bucket is None:
            rate = self.rates.get(method, self.rates.get("GET", 100.0))
            capacity = max(1.0, rate * self.burst)
            bucket = self._buckets[key] = _Bucket(capacity, rate, capacity, now)
        bucket.refill(now)
        return bucket

    def _decision(
        self, allowed: bool, bucket: _Bucket, wait: float, reason: str | None
    ) -> Decision:
        reset_in = wait if not allowed else (bucket.capacity - bucket.tokens) / bucket.rate
        return Decision(
            allowed=allowed,
            limit=int(bucket.capacity),
            remaining=max(0, int(bucket.tokens)),
            retry_after=wait,
            reset_at=self.wall_clock() + timedelta(seconds=reset_in),
            reason=reason,
        )

    def check(self, method: str, path: str) -> Decision:
        """Decide one request and, when it is allowed, spend its budget."""
        method = method.upper()
        with self._lock:
            now = self.clock()
            bucket = self._bucket(method, path, now)
            if not self.enabled:
                return Decision(True, 0, 0, 0.0, self.wall_clock(), quiet=True)
            if self._forced is not None:
                forced = self._forced
                forced.count -= 1
                if forced.count <= 0:
                    self._forced = None
                return self._refused(forced.retry_after, forced.reason, int(bucket.capacity))
            return self._spend(method, path, bucket, now)

    def _refused(self, wait: float, reason: str, limit: int) -> Decision:
        reset_at = self.wall_clock() + timedelta(seconds=wait)
        return Decision(False, limit, 0, wait, reset_at, reason)

    def _spend(self, method: str, path: str, bucket: _Bucket, now: float) -> Decision:
        if self._quota is not None:
            self._quota.refill(now)
            if self._quota.tokens < 1:
                return self._refused(self._quota.wait(), TENANT_QUOTA, int(self._quota.capacity))
        issue = issue_of(method, path)
        if issue is not None:
            wait, limit = self._windows.wait(issue, now)
            if wait > 0:
                return self._refused(wait, PER_ISSUE, limit)
        if bucket.tokens < 1:
            return self._decision(False, bucket, bucket.wait(), BURST)
        bucket.tokens -= 1
        if self._quota is not None:
            self._quota.tokens -= 1
        if issue is not None:
            self._windows.record(issue, now)
        return self._decision(True, bucket, 0.0, None)


class RateLimitMiddleware:
    """Pure ASGI: answers 429 like Jira Cloud when the limiter refuses, else adds its headers."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator"):
            await self.app(scope, receive, send)
            return
        decision = self.limiter.check(scope["method"], scope["path"])
        if not decision.allowed:
            body = json.dumps(RATE_LIMITED_BODY).encode()
            headers = [
                (b"content-type", b"application/json;charset=UTF-8"),
                (b"content-length", str(len(body)).encode()),
                *decision.headers(),
            ]
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *decision.headers()]}
            await send(message)

        await self.app(scope, receive, with_headers)
