"""Retries and rate limits of the Jira client, over httpx.MockTransport with a virtual clock."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from ticketbridge.errors import OutcomeUnknown, RateLimited, Unavailable
from ticketbridge.providers.jira.client import JiraClient
from ticketbridge.providers.jira.errors import Where
from ticketbridge.providers.jira.ratelimit import RateGovernor, RateSettings
from ticketbridge.providers.jira.retry import RetryPolicy


@dataclass
class VirtualTime:
    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def client_for(
    handler: Callable[[httpx.Request], httpx.Response],
    vt: VirtualTime,
    rate: RateSettings | None = None,
) -> JiraClient:
    http = httpx.AsyncClient(base_url="http://jira.test", transport=httpx.MockTransport(handler))
    return JiraClient(
        http,
        api_root="/rest/api/3",
        timeout=httpx.Timeout(5.0),
        governor=RateGovernor(rate or RateSettings(), clock=vt.clock, sleep=vt.sleep),
        retry=RetryPolicy(rng=random.Random(7)),
        sleep=vt.sleep,
    )


async def test_retry_after_2_is_never_retried_sooner() -> None:
    vt = VirtualTime()
    sent_at: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent_at.append(vt.now)
        if len(sent_at) == 1:
            return httpx.Response(429, headers={"Retry-After": "2"})
        return httpx.Response(200, json={"key": "OPS-1"})

    client = client_for(handler, vt)
    assert await client.get_issue("OPS-1") == {"key": "OPS-1"}
    assert len(sent_at) == 2
    assert sent_at[1] - sent_at[0] >= 2.0


async def test_quota_429_pauses_every_call_until_reset() -> None:
    vt = VirtualTime()
    sent: list[tuple[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append((request.url.path, vt.now))
        if request.url.path.endswith("/myself") and len(sent) == 1:
            return httpx.Response(
                429, headers={"Retry-After": "30", "RateLimit-Reason": "jira-quota-global-based"}
            )
        return httpx.Response(200, json={})

    client = client_for(handler, vt)
    client.retry = RetryPolicy(max_retries=0)
    with pytest.raises(RateLimited):
        await client.myself()
    await client.fields()  # another endpoint: must wait for the quota reset too
    assert sent[-1] == ("/rest/api/3/field", 30.0)


async def test_writes_to_one_issue_are_spaced_others_are_not() -> None:
    vt = VirtualTime()
    client = client_for(lambda r: httpx.Response(204), vt, RateSettings(issue_writes=2))
    for _ in range(3):
        await client.edit_issue("OPS-1", {"fields": {}})
    # 2 writes per 2 s to one issue: the third waits for the window
    assert vt.now >= 2.0
    before = vt.now
    await client.edit_issue("OPS-2", {"fields": {}})
    assert vt.now - before < 0.1


async def test_backoff_is_exponential_with_jitter_and_stops_after_four_retries() -> None:
    vt = VirtualTime()
    calls: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(vt.now)
        return httpx.Response(503, text="<html><title>down</title></html>")

    client = client_for(handler, vt)
    with pytest.raises(Unavailable):
        await client.get_issue("OPS-1")
    assert len(calls) == 5
    assert len(vt.slept) == 4
    for n, waited in enumerate(vt.slept):
        base = 0.5 * 2**n
        assert 0.8 * base <= waited <= 1.2 * base


async def test_a_late_retry_after_does_not_shorten_the_backoff() -> None:
    """Retry-After is a floor on the backoff, not a replacement for it: after three 503s, a
    429 asking for 1 s still waits the fourth step (4 s, jittered 0.8-1.2)."""
    vt = VirtualTime()
    answers = [httpx.Response(503)] * 3 + [httpx.Response(429, headers={"Retry-After": "1"})]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0) if answers else httpx.Response(200, json={"key": "OPS-1"})

    client = client_for(handler, vt)
    assert await client.get_issue("OPS-1") == {"key": "OPS-1"}
    assert len(vt.slept) >= 4
    assert 0.8 * 4.0 <= vt.slept[3] <= 1.2 * 4.0


async def test_an_http_date_retry_after_is_counted_from_the_clients_clock() -> None:
    """Retry-After as a date means "not before then" by the clock the client is given (here
    a fixed one, far from the machine's): 30 s after it, never sooner."""
    vt = VirtualTime()
    given = datetime(2031, 5, 1, 12, 0, 0, tzinfo=UTC)
    answers = [
        httpx.Response(
            429,
            headers={"Retry-After": format_datetime(given + timedelta(seconds=30), usegmt=True)},
        )
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0) if answers else httpx.Response(200, json={"key": "OPS-1"})

    client = client_for(handler, vt)
    client.now = lambda: given
    assert await client.get_issue("OPS-1") == {"key": "OPS-1"}
    assert 30.0 <= vt.slept[0] <= 1.2 * 30.0


async def test_create_is_never_retried_after_a_5xx_or_lost_answer() -> None:
    vt = VirtualTime()
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.RemoteProtocolError("Server disconnected", request=request)

    client = client_for(handler, vt)
    with pytest.raises(OutcomeUnknown):
        await client.create_issue({}, Where("POST", "/issue", idempotent=False))
    assert calls == 1


async def test_create_is_retried_after_429_and_connect_failure() -> None:
    vt = VirtualTime()
    answers: list[object] = [
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.ConnectError("refused"),
        httpx.Response(201, json={"id": "1", "key": "OPS-1"}),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, httpx.Response)
        return answer

    client = client_for(handler, vt)
    created = await client.create_issue({}, Where("POST", "/issue", idempotent=False))
    assert created == {"id": "1", "key": "OPS-1"}
    assert answers == []


async def test_burst_429_holds_that_endpoint_class_only() -> None:
    vt = VirtualTime()
    sent: list[tuple[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append((request.method, vt.now))
        if request.method == "PUT" and len(sent) == 1:
            return httpx.Response(
                429, headers={"Retry-After": "5", "RateLimit-Reason": "jira-burst-based"}
            )
        return httpx.Response(200, json={})

    client = client_for(handler, vt)
    client.retry = RetryPolicy(max_retries=0)
    with pytest.raises(RateLimited):
        await client.edit_issue("OPS-1", {})
    await client.fields()
    assert sent[-1] == ("GET", 0.0)
    await client.edit_issue("OPS-2", {})
    assert sent[-1][0] == "PUT"
    assert sent[-1][1] >= 5.0


async def test_near_limit_without_remaining_halves_the_class_rate_before_any_429() -> None:
    vt = VirtualTime()
    near = {"X-RateLimit-NearLimit": "true"}
    client = client_for(
        lambda r: httpx.Response(200, json={}, headers=near),
        vt,
        RateSettings(get_post_per_second=10.0),
    )
    for _ in range(30):
        await client.fields()
    # 10/s halved to 5/s after the first answer: 30 calls need well over 3 s (10/s would be ~2 s)
    assert vt.now >= 3.5


@dataclass
class JiraBurstBucket:
    """Jira's burst limit as Atlassian documents it and the emulator models it: `rate` per
    second with a buffer of `rate`, shared by every client of the site; `spent_by_others` per
    second goes to another client. Answers carry Remaining, NearLimit under a fifth left, and
    429 with Retry-After when empty."""

    vt: VirtualTime
    rate: float
    spent_by_others: float = 0.0
    tokens: float = 0.0
    updated: float = 0.0
    refused: int = 0

    def __post_init__(self) -> None:
        self.tokens = self.rate

    def answer(self, request: httpx.Request) -> httpx.Response:
        net = self.rate - self.spent_by_others
        self.tokens = min(self.rate, self.tokens + (self.vt.now - self.updated) * net)
        self.updated = self.vt.now
        if self.tokens < 1 - 1e-6:  # virtual time adds up in floats: allow their rounding
            self.refused += 1
            return httpx.Response(429, headers={"Retry-After": "1"})
        self.tokens -= 1
        headers = {"X-RateLimit-Remaining": str(int(self.tokens))}
        if self.tokens < 0.2 * self.rate:
            headers["X-RateLimit-NearLimit"] = "true"
        return httpx.Response(200, json={}, headers=headers)


@pytest.mark.parametrize(
    ("others", "calls", "at_most_seconds", "refusals_at_most"),
    [
        # Alone on the site: paced at the limit and kept there (halving on every NearLimit
        # answer had taken ~17 s for these 1,000 calls). 100 from the buffer, then 100/s.
        pytest.param(0.0, 1000, 9.5, 0, id="alone: at the limit, no 429"),
        # Another client spends half the budget: Remaining keeps us under it.
        pytest.param(50.0, 600, 12.0, 3, id="shared budget: follows Remaining"),
    ],
)
async def test_near_limit_with_remaining_keeps_the_pace_at_what_jira_has_left(
    others: float, calls: int, at_most_seconds: float, refusals_at_most: int
) -> None:
    vt = VirtualTime()
    jira = JiraBurstBucket(vt, rate=100.0, spent_by_others=others)
    client = client_for(jira.answer, vt)
    for _ in range(calls):
        await client.fields()
    assert vt.now <= at_most_seconds
    assert jira.refused <= refusals_at_most
