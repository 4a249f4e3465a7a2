"""Fault injection: what the client sees, and whether the write happened, for each kind."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from jira_emulator.app import Emulator
from jira_emulator.faults import HANG_CAP, DroppedConnection, FaultInjector, FaultMiddleware

CLOUD_AUTH = ("admin@example.com", "emulator-token")
CREATE = {"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "x"}}


class Store:
    """A stand-in for Jira: every request is a write that it records."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.writes.append(f"{scope['method']} {scope['path']}")
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"id":"10001"}'})


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def _client(store: Store, injector: FaultInjector) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=FaultMiddleware(store, injector))
    return httpx.AsyncClient(transport=transport, base_url="http://jira.test")


async def test_status_fault_answers_without_calling_jira_then_expires() -> None:
    store, injector = Store(), FaultInjector()
    injector.add(method="POST", path="/rest/api/3/issue", kind="status", status=503, count=1)
    async with _client(store, injector) as client:
        failed = await client.post("/rest/api/3/issue", json={})
        passed = await client.post("/rest/api/3/issue", json={})
    assert failed.status_code == 503
    assert failed.headers["content-type"].startswith("text/html")
    assert "Service Unavailable" in failed.text
    assert passed.status_code == 201
    assert store.writes == ["POST /rest/api/3/issue"]
    assert injector.rules == []  # the expired rule is gone


@pytest.mark.parametrize(
    ("status", "body", "retry_after", "expected_type", "expected_body"),
    [
        (
            500,
            None,
            None,
            "application/json",
            {"errorMessages": ["Internal server error"], "errors": {}},
        ),
        (503, {"errorMessages": ["busy"]}, 30, "application/json", {"errorMessages": ["busy"]}),
        (502, "upstream gone", None, "text/plain", "upstream gone"),
    ],
)
async def test_status_fault_bodies_and_headers(
    status: int,
    body: object,
    retry_after: int | None,
    expected_type: str,
    expected_body: object,
) -> None:
    store, injector = Store(), FaultInjector()
    injector.add(path="/rest", status=status, body=body, retry_after=retry_after)  # type: ignore[arg-type]
    async with _client(store, injector) as client:
        answer = await client.get("/rest/api/2/serverInfo")
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith(expected_type)
    got = answer.text if isinstance(expected_body, str) else answer.json()
    assert got == expected_body
    assert answer.headers.get("retry-after") == (None if retry_after is None else str(retry_after))
    assert store.writes == []


async def test_latency_waits_then_lets_the_request_through() -> None:
    store, sleeps = Store(), Sleeps()
    injector = FaultInjector(sleep=sleeps)
    injector.add(method="*", path="/rest/api/3/issue/{key}/comment", kind="latency", delay=2.5)
    async with _client(store, injector) as client:
        slow = await client.post("/rest/api/3/issue/OPS-1/comment", json={})
        fast = await client.post("/rest/api/3/issue/OPS-1", json={})
    assert (slow.status_code, fast.status_code) == (201, 201)
    assert sleeps.calls == [2.5]
    assert store.writes == ["POST /rest/api/3/issue/OPS-1/comment", "POST /rest/api/3/issue/OPS-1"]


async def test_hang_never_answers_until_its_cap_and_writes_nothing() -> None:
    store, sleeps = Store(), Sleeps()
    injector = FaultInjector(sleep=sleeps)
    injector.add(method="GET", path="/rest/api/3/search/jql", kind="hang")
    async with _client(store, injector) as client:
        answer = await client.get("/rest/api/3/search/jql")
    assert sleeps.calls == [HANG_CAP]
    assert answer.status_code == 504
    assert store.writes == []


async def test_hang_in_the_emulator_ends_in_the_clients_read_timeout() -> None:
    emu = Emulator(flavor="cloud")
    emu.faults.add(method="POST", path="/rest/api/3/issue", kind="hang")
    async with httpx.AsyncClient(
        transport=emu.transport(), base_url="http://jira.test", auth=CLOUD_AUTH, timeout=0.2
    ) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post("/rest/api/3/issue", json=CREATE)
    assert emu.state.issues == {}


async def test_drop_after_commit_commits_the_write_then_the_client_sees_a_dead_connection() -> None:
    emu = Emulator(flavor="cloud")
    emu.faults.add(method="POST", path="/rest/api/3/issue$", kind="drop_after_commit", count=1)
    async with httpx.AsyncClient(
        transport=emu.transport(), base_url="http://jira.test", auth=CLOUD_AUTH
    ) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post("/rest/api/3/issue", json=CREATE)
        assert [issue.fields["summary"] for issue in emu.state.issues.values()] == ["x"]
        again = await client.post("/rest/api/3/issue", json=CREATE)
    assert again.status_code == 201
    assert len(emu.state.issues) == 2


async def test_drop_after_commit_raises_dropped_connection_in_process() -> None:
    store, injector = Store(), FaultInjector()
    injector.add(method="PUT", path="/rest/api/2/issue/", kind="drop_after_commit")
    transport = httpx.ASGITransport(app=FaultMiddleware(store, injector))
    async with httpx.AsyncClient(transport=transport, base_url="http://jira.test") as client:
        with pytest.raises(DroppedConnection):
            await client.put("/rest/api/2/issue/OPS-1", json={})
    assert store.writes == ["PUT /rest/api/2/issue/OPS-1"]


@pytest.fixture
def served_store() -> Iterator[tuple[str, Store, FaultInjector]]:
    store, injector = Store(), FaultInjector()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        FaultMiddleware(store, injector), host="127.0.0.1", port=port, log_level="critical",
        lifespan="off",
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}", store, injector
    server.should_exit = True
    thread.join(timeout=10)


def test_drop_after_commit_over_a_real_socket(
    served_store: tuple[str, Store, FaultInjector],
) -> None:
    url, store, injector = served_store
    injector.add(method="POST", path="/rest/api/3/issue", kind="drop_after_commit", count=1)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{url}/rest/api/3/issue", json={}, timeout=5)
    assert store.writes == ["POST /rest/api/3/issue"]
    assert httpx.post(f"{url}/rest/api/3/issue", json={}, timeout=5).status_code == 201


async def test_probability_is_reproducible_with_a_seed() -> None:
    def pattern(seed: int) -> list[bool]:
        injector = FaultInjector(seed=seed)
        injector.add(path="/rest", probability=0.5)
        return [injector.pick("GET", "/rest/api/3/myself") is not None for _ in range(40)]

    assert pattern(7) == pattern(7)
    assert 5 < sum(pattern(7)) < 35
    never = FaultInjector(seed=1)
    never.add(path="/rest", probability=0.0)
    assert all(never.pick("GET", "/rest/api/3/myself") is None for _ in range(20))


@pytest.mark.parametrize(
    ("rule_method", "rule_path", "method", "path", "fires"),
    [
        ("POST", "/rest/api/3/issue", "POST", "/rest/api/3/issue/bulk", True),
        ("POST", "/rest/api/3/issue$", "POST", "/rest/api/3/issue/bulk", False),
        ("POST", "/rest/api/3/issue", "GET", "/rest/api/3/issue", False),
        ("*", "/rest/api/[23]/issue/{key}$", "DELETE", "/rest/api/2/issue/OPS-9", True),
        (None, "/rest/api/3/issue/{key}$", "GET", "/rest/api/3/issue/OPS-9/comment", False),
        ("get", "/rest", "GET", "/rest/api/3/myself", True),
    ],
)
def test_rules_match_by_method_and_path(
    rule_method: str | None, rule_path: str, method: str, path: str, fires: bool
) -> None:
    injector = FaultInjector()
    injector.add(method=rule_method, path=rule_path)
    assert (injector.pick(method, path) is not None) is fires


async def test_control_paths_are_never_faulted() -> None:
    store, injector = Store(), FaultInjector()
    injector.add(path="/", status=500)
    async with _client(store, injector) as client:
        assert (await client.get("/_emulator/health")).status_code == 201
        assert (await client.get("/rest/api/3/myself")).status_code == 500


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"kind": "explode"}, "kind"),
        ({"status": 42}, "status"),
        ({"probability": 1.5}, "probability"),
        ({"count": 0}, "count"),
        ({"delay": -1}, "delay"),
        ({"path": "/rest/(unclosed"}, "path"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(options: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}:"):
        FaultInjector().add(**options)  # type: ignore[arg-type]


async def test_faults_are_added_and_cleared_over_http_control_endpoint() -> None:
    emu = Emulator(flavor="cloud")
    async with httpx.AsyncClient(
        transport=emu.transport(), base_url="http://jira.test", auth=CLOUD_AUTH
    ) as client:
        rule = {"method": "GET", "path": "/rest/api/3/myself", "kind": "status", "status": 502}
        added = await client.post("/_emulator/faults", json=rule)
        failed = await client.get("/rest/api/3/myself")
        refused = await client.post("/_emulator/faults", json={"kind": "meltdown"})
        cleared = await client.delete("/_emulator/faults")
        served = await client.get("/rest/api/3/myself")
    assert (added.status_code, failed.status_code) == (201, 502)
    assert refused.status_code == 400
    assert refused.json()["errorMessages"][0].startswith("kind:")
    assert (cleared.status_code, served.status_code) == (204, 200)
