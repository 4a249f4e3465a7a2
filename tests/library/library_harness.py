"""Helpers of the library tests: a real emulator server, and reading its issues back.

The seed examples run against `python -m jira_emulator` served on a free loopback port, seeded
with what the seed documents assume (tests/library/seed.yaml: their users, components and
custom field ids). Issues are read back over Jira's own REST API as the admin, so assertions
see what a user of Jira would see.
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from processes import clean_env, free_port, running
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

with warnings.catch_warnings():  # Starlette would rather have httpx2; httpx is what we ship
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SEED = Path(__file__).with_name("seed.yaml")
ROOT = Path(__file__).resolve().parents[2]
ADMIN = {
    "cloud": ("admin@example.com", "emulator-token"),
    "datacenter": ("admin", "admin"),
}


@dataclass(frozen=True)
class JiraServer:
    url: str
    flavor: str

    @property
    def api(self) -> str:
        return f"{self.url}/rest/api/{'3' if self.flavor == 'cloud' else '2'}"

    def client(self) -> httpx.Client:
        return httpx.Client(auth=ADMIN[self.flavor], timeout=10.0)

    def reset(self) -> None:
        httpx.post(f"{self.url}/_emulator/reset", timeout=10.0).raise_for_status()
        httpx.delete(f"{self.url}/_emulator/requests", timeout=10.0).raise_for_status()

    def issue(self, key: str) -> dict[str, Any]:
        """The issue as Jira's REST API returns it (fields by id)."""
        with self.client() as http:
            answer = http.get(f"{self.api}/issue/{key}")
        answer.raise_for_status()
        data: dict[str, Any] = answer.json()
        return data

    def issues(self) -> list[dict[str, Any]]:
        """Every stored issue (the emulator's view: key, summary, plain description, labels)."""
        answer = httpx.get(f"{self.url}/_emulator/issues", timeout=10.0)
        answer.raise_for_status()
        found: list[dict[str, Any]] = answer.json()
        return found

    def requests(self) -> list[tuple[str, str]]:
        """(method, path) of every request the emulator served since its last reset."""
        answer = httpx.get(f"{self.url}/_emulator/requests", timeout=10.0)
        answer.raise_for_status()
        return [(r["method"], r["path"]) for r in answer.json()]

    def account_id(self, email: str) -> str:
        with self.client() as http:
            users = http.get(f"{self.api}/user/search", params={"query": email}).json()
        return str(users[0]["accountId"])


@contextmanager
def jira_server(flavor: str, log_dir: Path) -> Iterator[JiraServer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "jira_emulator", "--port", str(port)]
    command += ["--flavor", flavor, "--seed", str(SEED)]
    with running(
        command,
        ready_url=f"{url}/_emulator/health",
        env=clean_env({}),
        cwd=ROOT,
        log=log_dir / f"emulator-{flavor}.log",
    ):
        yield JiraServer(url, flavor)


def adf_text(node: Any) -> str:
    """All text of an ADF node, block by block on lines."""
    if isinstance(node, dict):
        if node.get("type") == "text":
            return str(node.get("text", ""))
        inner = "".join(adf_text(child) for child in node.get("content", []))
        return inner + ("\n" if node.get("type") in ("paragraph", "heading") else "")
    return ""


def adf_links(node: Any) -> list[str]:
    """The hrefs of every link mark in an ADF document, in order."""
    if not isinstance(node, dict):
        return []
    found = [m["attrs"]["href"] for m in node.get("marks", []) if m.get("type") == "link"]
    for child in node.get("content", []):
        found += adf_links(child)
    return found


def adf_types(node: Any) -> set[str]:
    """Every node and mark type in an ADF document."""
    if not isinstance(node, dict):
        return set()
    found = {str(node.get("type"))} | {str(m.get("type")) for m in node.get("marks", [])}
    for child in node.get("content", []):
        found |= adf_types(child)
    return found


class _Request(threading.local):
    """Flask's `request`, as far as the seeds use it: the JSON body of the current call."""

    body: Any = None

    def get_json(self) -> Any:
        return self.body


request = _Request()


class FlaskLike:
    """Just enough of Flask for the seeds' `@app.route(...)` handlers to run as written: each
    handler is a plain function run in a worker thread of a real ASGI app (Starlette's
    threadpool), as Flask runs it in a worker thread — with an event loop running elsewhere."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def route(self, path: str, methods: list[str]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._routes.append(Route(path, _endpoint(handler), methods=methods))
            return handler

        return register

    def test_client(self) -> TestClient:
        return TestClient(Starlette(routes=self._routes))


Handler = Callable[[], tuple[Any, int]]


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def endpoint(incoming: Request) -> JSONResponse:
        body = await incoming.json()

        def call() -> tuple[Any, int]:
            request.body = body
            return handler()

        payload, status = await run_in_threadpool(call)
        return JSONResponse(payload, status_code=status)

    return endpoint
