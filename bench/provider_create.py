"""Creating issues: ticketbridge's JiraProvider vs the `jira` package (pycontribs), same emulator.

    .venv/bin/python bench/provider_create.py [--issues 2000] [--concurrency 8] [--latency 0.02]

Serves the Jira emulator for real (uvicorn subprocess; `--flavor cloud` has Cloud's documented
rate limits on, `datacenter` has none, as shipped), injects `--latency` seconds on every Jira
request through the emulator's fault API, then creates the same issues twice from a clean emulator:

- ours: `JiraProvider.create_issues` (bulk, ≤ 50 per call), `--concurrency` calls in flight on
  one event loop, each issue with its exactly-once marker (label + issue property);
- theirs: `jira.JIRA.create_issue` from `--concurrency` threads (one client per thread).

Reports issues/s (wall clock) and requests/issue (every Jira request the emulator saw, metadata
and 429-refused requests included) and checks that the emulator holds exactly `--issues` issues.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from ticketbridge.providers.base import IssueDraft, Marker
from ticketbridge.providers.jira import JiraProvider, api_token
from ticketbridge.render import Document

# Cloud: API token as basic email:token; Data Center: basic username/password.
CREDENTIALS = {"cloud": ("admin@example.com", "emulator-token"), "datacenter": ("admin", "admin")}


@dataclass
class Run:
    name: str
    issues: int
    seconds: float
    requests: int
    stored: int

    @property
    def per_second(self) -> float:
        return self.issues / self.seconds

    @property
    def requests_per_issue(self) -> float:
        return self.requests / self.issues


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def emulator(port: int, flavor: str) -> Iterator[str]:
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "jira_emulator", "--port", str(port), "--flavor", flavor]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/_emulator/health", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            raise RuntimeError("the emulator did not come up")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def prepare(base: str, latency: float) -> None:
    httpx.post(f"{base}/_emulator/reset", timeout=10).raise_for_status()
    httpx.put(f"{base}/_emulator/limits", json={"reset": True}, timeout=10).raise_for_status()
    httpx.delete(f"{base}/_emulator/faults", timeout=10).raise_for_status()
    fault = {"method": "*", "path": "/rest/", "kind": "latency", "delay": latency}
    httpx.post(f"{base}/_emulator/faults", json=fault, timeout=10).raise_for_status()
    httpx.delete(f"{base}/_emulator/requests", timeout=10).raise_for_status()


def jira_requests(base: str) -> int:
    counters: dict[str, int] = httpx.get(f"{base}/_emulator/counters", timeout=10).json()
    return sum(n for route, n in counters.items() if "/_emulator" not in route)


def stored_issues(base: str) -> int:
    return int(httpx.get(f"{base}/_emulator/health", timeout=10).json()["issues"])


def drafts(count: int, run: str) -> list[IssueDraft]:
    return [
        IssueDraft(
            project="OPS",
            issue_type="Task",
            summary=f"[bench] model drift alert {n}",
            description=Document.plain(f"Alert {n} of the {run} run.\n\nScore dropped below 0.8."),
            priority="High",
            labels=("bench", "ai-governance"),
            marker=Marker(f"{run}-{n}"),
        )
        for n in range(count)
    ]


async def ours(base: str, flavor: str, count: int, concurrency: int) -> float:
    user, secret = CREDENTIALS[flavor]
    provider = JiraProvider(
        flavor="cloud" if flavor == "cloud" else "datacenter",
        base_url=base,
        auth=api_token(user, secret),  # both are basic auth
    )
    batch = provider.capabilities.max_bulk
    all_drafts = drafts(count, "ours")
    chunks = [all_drafts[i : i + batch] for i in range(0, count, batch)]
    gate = asyncio.Semaphore(concurrency)
    failed = 0

    async def one(chunk: list[IssueDraft]) -> None:
        nonlocal failed
        async with gate:
            result = await provider.create_issues(chunk)
            failed += len(result.failed)

    started = time.perf_counter()
    await asyncio.gather(*(one(c) for c in chunks))
    elapsed = time.perf_counter() - started
    await provider.aclose()
    if failed:
        raise RuntimeError(f"{failed} issues failed")
    return elapsed


def theirs(base: str, flavor: str, count: int, concurrency: int) -> float:
    from jira import JIRA

    local = threading.local()

    def client() -> Any:
        if not hasattr(local, "jira"):
            local.jira = JIRA(
                server=base, basic_auth=CREDENTIALS[flavor], max_retries=8, timeout=30
            )
        return local.jira

    def one(n: int) -> None:
        client().create_issue(
            fields={
                "project": {"key": "OPS"},
                "issuetype": {"name": "Task"},
                "summary": f"[bench] model drift alert {n}",
                "description": f"Alert {n} of the theirs run.\n\nScore dropped below 0.8.",
                "priority": {"name": "High"},
                "labels": ["bench", "ai-governance"],
            }
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(count)))
    return time.perf_counter() - started


def measure(name: str, base: str, args: argparse.Namespace) -> Run:
    prepare(base, args.latency)
    if name == "ours":
        seconds = asyncio.run(ours(base, args.flavor, args.issues, args.concurrency))
    else:
        seconds = theirs(base, args.flavor, args.issues, args.concurrency)
    return Run(name, args.issues, seconds, jira_requests(base), stored_issues(base))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--flavor", choices=["cloud", "datacenter"], default="cloud")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    with emulator(args.port or free_port(), args.flavor) as base:
        runs = [measure("ours", base, args), measure("jira (pycontribs)", base, args)]
    print(
        f"flavor: {args.flavor}  issues: {args.issues}  concurrency: {args.concurrency}"
        f"  latency: {args.latency}s"
    )
    for r in runs:
        print(
            f"{r.name:18} {r.per_second:8.1f} issues/s  {r.requests_per_issue:5.2f} requests/issue"
            f"  {r.seconds:6.2f} s  emulator holds {r.stored} issues"
        )
    print(f"speed-up: {runs[0].per_second / runs[1].per_second:.1f}x")


if __name__ == "__main__":
    main()
