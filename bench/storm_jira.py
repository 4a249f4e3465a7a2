"""The storm's Jira when it is the emulator: a real server (uvicorn child process, Cloud flavour)
with Cloud's documented rate limits on, reached over real HTTP by the `JiraProvider` that
`serve` builds (`bootstrap.build_provider`: metered transport, 20 connections, retries).

Everything reported about Jira comes from the emulator's own side, over `/_emulator/*` (never
rate-limited, never logged): its request log (route, status of every request), its issue count.
The rate-limit lower bound is computed as the emulator's limiter works: a token bucket per
(endpoint template, method), full at the start (capacity = rate × burst), refilled at `rate`;
only allowed requests spend a token, so n allowed requests in one bucket need at least
(n − capacity) / rate seconds.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from jira_emulator.limits import endpoint_template
from ticketbridge.api.metrics import Metrics
from ticketbridge.bootstrap.jira import build_provider
from ticketbridge.config.integrations import JiraConfig
from ticketbridge.providers.jira import JiraProvider

__all__ = ["CLOUD_RATES", "Bound", "EmulatorJira", "RequestLog", "WireWatch"]

# Jira Cloud's burst limits (per tenant, endpoint and method), as the emulator ships them.
CLOUD_RATES = {"GET": 100.0, "POST": 100.0, "PUT": 50.0, "DELETE": 50.0}
BURST = 1.0  # bucket capacity in seconds of its rate (the emulator's default)
EMAIL, TOKEN = "admin@example.com", "emulator-token"


@dataclass(frozen=True)
class Bound:
    """The fewest seconds the emulator's limits allow for one bucket's allowed requests."""

    bucket: str
    allowed: int
    capacity: float
    rate: float

    @property
    def seconds(self) -> float:
        return max(0.0, self.allowed - self.capacity) / self.rate

    def describe(self) -> str:
        if self.allowed <= self.capacity:
            return f"{self.bucket}: {self.allowed} allowed, all within the full bucket → ≥ 0.0 s"
        return (
            f"{self.bucket}: {self.allowed} allowed, the first {self.capacity:.0f} on the"
            f" full bucket, then {self.rate:.0f}/s → ≥ {self.seconds:.1f} s"
        )


@dataclass(frozen=True)
class RequestLog:
    """The emulator's log of the Jira requests it answered (route template and status)."""

    entries: list[tuple[str, str, str, int | None]]  # method, path, route, status

    @property
    def total(self) -> int:
        return len(self.entries)

    def by_route(self) -> dict[str, int]:
        return dict(Counter(route for _, _, route, _ in self.entries).most_common())

    def by_status(self) -> dict[int | None, int]:
        return dict(Counter(status for *_, status in self.entries).most_common())

    @property
    def refused(self) -> int:
        return sum(1 for *_, status in self.entries if status == 429)

    def bounds(self) -> list[Bound]:
        """Per rate-limit bucket, slowest first."""
        allowed = Counter(
            f"{method} {endpoint_template(path)}"
            for method, path, _, status in self.entries
            if status != 429
        )
        bounds = []
        for bucket, count in allowed.items():
            rate = CLOUD_RATES.get(bucket.split(" ", 1)[0], CLOUD_RATES["GET"])
            bounds.append(Bound(bucket, count, max(1.0, rate * BURST), rate))
        return sorted(bounds, key=lambda b: (-b.seconds, -b.allowed))


@dataclass
class WireWatch(httpx.AsyncBaseTransport):
    """The network under the provider (as `build_provider`'s default: 20 connections), noting
    when Jira's answers said `X-RateLimit-NearLimit: true`, which our client's rate governor
    answers by halving that endpoint class's pace for 30 s."""

    inner: httpx.AsyncBaseTransport = field(
        default_factory=lambda: httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=20))
    )
    near_limit: list[float] = field(default_factory=list)  # perf_counter of each such answer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if response.headers.get("x-ratelimit-nearlimit", "").lower() == "true":
            self.near_limit.append(time.perf_counter())
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class EmulatorJira:
    """Control of a running emulator at `base`, and the provider `serve` would build for it."""

    def __init__(self, base: str, *, limits: bool = True) -> None:
        self.base = base
        self.limits = limits  # off: a diagnostic, our own pace with no NearLimit nor 429
        self._control = httpx.AsyncClient(base_url=base, timeout=10.0)
        self.wire = WireWatch()

    async def prepare(self) -> None:
        """Seed state, Cloud's limits on with full buckets, no faults, an empty request log."""
        control = self._control
        (await control.post("/_emulator/reset")).raise_for_status()
        (await control.delete("/_emulator/faults")).raise_for_status()
        limits = {"enabled": self.limits, "rates": CLOUD_RATES, "burst": BURST, "reset": True}
        (await control.put("/_emulator/limits", json=limits)).raise_for_status()
        (await control.delete("/_emulator/requests")).raise_for_status()

    def provider(self) -> JiraProvider:
        config = JiraConfig.model_validate(
            {
                "flavor": "cloud",
                "url": self.base,
                "auth": {"type": "token", "email": EMAIL, "api_token": TOKEN},
            }
        )
        return build_provider(config, Metrics(), self.wire)

    async def issues(self) -> int:
        response = await self._control.get("/_emulator/health")
        response.raise_for_status()
        return int(response.json()["issues"])

    async def request_log(self) -> RequestLog:
        response = await self._control.get("/_emulator/requests")
        response.raise_for_status()
        return RequestLog(
            [(r["method"], r["path"], r["route"], r["status"]) for r in response.json()]
        )

    async def aclose(self) -> None:
        await self._control.aclose()
        await self.wire.aclose()
