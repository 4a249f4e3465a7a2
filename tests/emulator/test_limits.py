"""Rate limits answer 429 exactly as Jira Cloud does, on a clock the test moves by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from jira_emulator.app import Emulator
from jira_emulator.limits import (
    RATE_LIMITED_BODY,
    RateLimiter,
    RateLimitMiddleware,
    endpoint_template,
    issue_of,
)

WALL = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def wall(self) -> datetime:
        return WALL + timedelta(seconds=self.now - 1000.0)


async def ok_app(scope: Scope, receive: Receive, send: Send) -> None:
    body = b'{"ok":true}'
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-app", b"1")]})
    await send({"type": "http.response.body", "body": body})


def _client(limiter: RateLimiter) -> httpx.AsyncClient:
    app = RateLimitMiddleware(ok_app, limiter)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://jira.test")


def _limiter(clock: FakeClock, **options: object) -> RateLimiter:
    limiter = RateLimiter(clock=clock, wall_clock=clock.wall)
    limiter.configure(**options)  # type: ignore[arg-type]
    return limiter


async def test_a_burst_beyond_the_bucket_gets_jiras_429_and_retry_after_is_honoured() -> None:
    clock = FakeClock()
    async with _client(_limiter(clock, rates={"GET": 5})) as client:
        remaining = []
        for _ in range(5):
            answer = await client.get("/rest/api/3/issue/OPS-1")
            assert answer.status_code == 200
            assert answer.headers["x-app"] == "1"
            assert answer.headers["x-ratelimit-limit"] == "5"
            remaining.append(answer.headers["x-ratelimit-remaining"])
        assert remaining == ["4", "3", "2", "1", "0"]

        refused = await client.get("/rest/api/3/issue/OPS-2")  # same endpoint class
        assert refused.status_code == 429
        assert refused.json() == RATE_LIMITED_BODY
        assert refused.headers["retry-after"] == "1"
        assert refused.headers["x-ratelimit-limit"] == "5"
        assert refused.headers["x-ratelimit-remaining"] == "0"
        assert refused.headers["x-ratelimit-reset"] == "2024-05-01T12:00Z"
        assert refused.headers["ratelimit-reason"] == "jira-burst-based"
        assert "x-app" not in refused.headers

        clock.now += int(refused.headers["retry-after"])
        again = await client.get("/rest/api/3/issue/OPS-2")
        assert again.status_code == 200


async def test_buckets_are_per_endpoint_class_and_method() -> None:
    clock = FakeClock()
    async with _client(_limiter(clock, rates={"GET": 2, "PUT": 1})) as client:
        statuses = [(await client.get("/rest/api/3/search/jql")).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert (await client.get("/rest/api/3/myself")).status_code == 200
        assert (await client.put("/rest/api/3/search/jql")).status_code == 200
        assert (await client.put("/rest/api/3/search/jql")).status_code == 429


async def test_writes_to_one_issue_are_limited_per_issue() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, rates={"PUT": 1000, "POST": 1000}, burst=1)
    async with _client(limiter) as client:
        for n in range(20):
            answer = await client.put("/rest/api/3/issue/OPS-1", json={"n": n})
            assert answer.status_code == 200, n
            clock.now += 0.05
        refused = await client.post("/rest/api/3/issue/OPS-1/comment", json={})
        assert refused.status_code == 429
        assert refused.headers["ratelimit-reason"] == "jira-per-issue-on-write"
        assert refused.headers["x-ratelimit-limit"] == "20"
        assert refused.headers["retry-after"] == "2"
        assert (await client.put("/rest/api/3/issue/OPS-2", json={})).status_code == 200
        assert (await client.get("/rest/api/3/issue/OPS-1")).status_code == 200  # reads are free

        clock.now += 2.0
        assert (await client.put("/rest/api/3/issue/OPS-1", json={})).status_code == 200


async def test_the_thirty_second_window_binds_slow_steady_writes() -> None:
    clock = FakeClock()
    async with _client(_limiter(clock, rates={"PUT": 1000})) as client:
        for n in range(100):
            assert (await client.put("/rest/api/3/issue/10001")).status_code == 200, n
            clock.now += 0.2  # 10 per 2 s: under the short window
        refused = await client.put("/rest/api/3/issue/10001")
        assert refused.status_code == 429
        assert refused.headers["ratelimit-reason"] == "jira-per-issue-on-write"
        assert refused.headers["x-ratelimit-limit"] == "100"


async def test_forced_refusals_then_normal_service() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, force=2, reason="jira-quota-tenant-based", retry_after=7)
    async with _client(limiter) as client:
        first = await client.get("/rest/api/3/myself")
        second = await client.post("/rest/api/3/issue", json={})
        third = await client.get("/rest/api/3/myself")
    assert [first.status_code, second.status_code, third.status_code] == [429, 429, 200]
    assert first.headers["ratelimit-reason"] == "jira-quota-tenant-based"
    assert first.headers["retry-after"] == "7"
    assert first.headers["x-ratelimit-reset"] == "2024-05-01T12:00Z"


async def test_quota_mode_refuses_once_the_tenant_budget_is_spent() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, quota={"limit": 3, "period": 3600})
    async with _client(limiter) as client:
        statuses = [(await client.get(f"/rest/api/3/issue/OPS-{n}")).status_code for n in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = await client.get("/rest/api/3/myself")
        assert refused.headers["ratelimit-reason"] == "jira-quota-tenant-based"
        assert refused.headers["retry-after"] == "1200"
        limiter.configure(quota={"limit": None})
        assert (await client.get("/rest/api/3/myself")).status_code == 200


async def test_disabled_limiter_and_control_paths_are_never_limited() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, rates={"GET": 1})
    async with _client(limiter) as client:
        assert [(await client.get("/_emulator/health")).status_code for _ in range(5)] == [200] * 5
        limiter.configure(enabled=False)
        answers = [await client.get("/rest/api/3/myself") for _ in range(5)]
        assert [answer.status_code for answer in answers] == [200] * 5
        assert not any("x-ratelimit-limit" in answer.headers for answer in answers)
        limiter.configure(enabled=True)
        assert [(await client.get("/rest/api/3/myself")).status_code for _ in range(2)] == [
            200,
            429,
        ]


async def test_near_limit_header_when_less_than_a_fifth_is_left() -> None:
    clock = FakeClock()
    async with _client(_limiter(clock, rates={"GET": 10})) as client:
        answers = [await client.get("/rest/api/3/myself") for _ in range(9)]
    near = [a.headers.get("x-ratelimit-nearlimit") for a in answers]
    assert near == [None] * 8 + ["true"]


def test_bad_settings_are_refused_naming_the_field() -> None:
    limiter = RateLimiter()
    with pytest.raises(ValueError, match=r"rates\.GET"):
        limiter.configure(rates={"GET": 0})
    with pytest.raises(ValueError, match="burst"):
        limiter.configure(burst=-1)


@pytest.mark.parametrize(
    ("method", "path", "template", "issue"),
    [
        ("GET", "/rest/api/3/issue/OPS-12", "/rest/api/3/issue/{id}", None),
        ("PUT", "/rest/api/3/issue/OPS-12", "/rest/api/3/issue/{id}", "OPS-12"),
        ("POST", "/rest/api/2/issue/10042/comment", "/rest/api/2/issue/{id}/comment", "10042"),
        (
            "DELETE",
            "/rest/api/3/issue/OPS-1/comment/5",
            "/rest/api/3/issue/{id}/comment/{id}",
            "OPS-1",
        ),
        ("POST", "/rest/api/3/issue", "/rest/api/3/issue", None),
        ("POST", "/rest/api/3/issue/bulk", "/rest/api/3/issue/bulk", None),
        (
            "GET",
            "/rest/api/3/issue/createmeta/OPS/issuetypes",
            "/rest/api/3/issue/createmeta/OPS/issuetypes",
            None,
        ),
        (
            "POST",
            "/rest/api/3/issue/OPS-3/transitions",
            "/rest/api/3/issue/{id}/transitions",
            "OPS-3",
        ),
    ],
)
def test_paths_are_classified_into_endpoints_and_issues(
    method: str, path: str, template: str, issue: str | None
) -> None:
    assert endpoint_template(path) == template
    assert issue_of(method, path) == issue


async def test_the_emulator_wires_the_limiter_cloud_on_and_datacenter_off() -> None:
    clock = FakeClock()
    cloud = Emulator(flavor="cloud")
    cloud.limits.clock, cloud.limits.wall_clock = clock, clock.wall
    cloud.limits.configure(rates={"GET": 2}, reset=True)
    auth = ("admin@example.com", "emulator-token")
    async with httpx.AsyncClient(
        transport=cloud.transport(), base_url="http://jira.test", auth=auth
    ) as client:
        statuses = [(await client.get("/rest/api/3/myself")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    # what the limit let through is counted apart from what was asked (benches' bounds)
    assert cloud.counters["GET /rest/api/3/myself"] == 3
    assert cloud.answered == {"GET /rest/api/3/myself 200": 2, "GET /rest/api/3/myself 429": 1}

    datacenter = Emulator(flavor="datacenter")
    assert datacenter.limits.enabled is False
    async with httpx.AsyncClient(
        transport=datacenter.transport(), base_url="http://jira.test", auth=("admin", "admin")
    ) as client:
        answer = await client.get("/rest/api/2/myself")
    assert answer.status_code == 200
    assert json.loads(answer.text)["name"] == "admin"
    assert "x-ratelimit-remaining" not in answer.headers


async def test_limits_are_switched_over_http_control_endpoint() -> None:
    emu = Emulator(flavor="cloud")
    auth = ("admin@example.com", "emulator-token")
    async with httpx.AsyncClient(
        transport=emu.transport(), base_url="http://jira.test", auth=auth
    ) as client:
        bad = await client.put("/_emulator/limits", json={"rates": {"GET": -5}})
        forced = await client.put(
            "/_emulator/limits", json={"force": 1, "reason": "jira-quota-tenant-based"}
        )
        refused = await client.get("/rest/api/3/myself")
        served = await client.get("/rest/api/3/myself")
    assert bad.status_code == 400
    assert "rates.GET" in bad.json()["errorMessages"][0]
    assert forced.status_code == 204
    assert refused.status_code == 429
    assert refused.headers["ratelimit-reason"] == "jira-quota-tenant-based"
    assert served.status_code == 200
