"""`python -m jira_emulator` as a real server over a real socket, both flavours."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from support.processes import free_port

AUTH = {"cloud": ("admin@example.com", "emulator-token"), "datacenter": ("admin", "admin")}


@pytest.fixture(scope="module", params=["cloud", "datacenter"])
def running_server(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    flavor: str = request.param
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "jira_emulator", "--port", str(port), "--flavor", flavor],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/_emulator/health", timeout=0.5)
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    pytest.fail(
                        f"emulator exited: {process.stderr.read() if process.stderr else ''}"
                    )
                time.sleep(0.1)
        yield flavor, base
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


@pytest.fixture
def server(running_server: tuple[str, str]) -> tuple[str, str]:
    httpx.post(f"{running_server[1]}/_emulator/reset", timeout=5).raise_for_status()
    return running_server


def test_real_server_round_trip(server: tuple[str, str]) -> None:
    flavor, base = server
    api = "3" if flavor == "cloud" else "2"
    description: object = "wiki text"
    if flavor == "cloud":
        description = {
            "type": "doc",
            "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": "adf text"}]}],
        }
    with httpx.Client(base_url=base, auth=AUTH[flavor], timeout=5) as client:
        made = client.post(
            f"/rest/api/{api}/issue",
            json={
                "fields": {
                    "project": {"key": "OPS"},
                    "issuetype": {"name": "Task"},
                    "summary": "over http",
                    "description": description,
                }
            },
        )
        assert made.status_code == 201, made.text
        assert made.json()["self"].startswith(base)
        got = client.get(f"/rest/api/{api}/issue/{made.json()['key']}").json()
        assert got["fields"]["summary"] == "over http"
        assert client.get("/rest/api/3/myself").status_code == (200 if flavor == "cloud" else 404)
        client.post(
            "/_emulator/faults",
            json={
                "method": "POST",
                "path": f"/rest/api/{api}/issue",
                "kind": "drop_after_commit",
                "count": 1,
            },
        )
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(
                f"/rest/api/{api}/issue",
                json={
                    "fields": {
                        "project": {"key": "OPS"},
                        "issuetype": {"name": "Task"},
                        "summary": "dropped",
                        "description": description,
                    }
                },
            )
        stored = client.get("/_emulator/issues").json()
        assert [i["summary"] for i in stored] == ["over http", "dropped"]


def test_the_jira_package_works_against_it(server: tuple[str, str]) -> None:
    # `jira` (pycontribs) speaks REST v2 to Cloud and Data Center alike: a third-party client
    # the emulator did not grow up with.
    from jira import JIRA

    flavor, base = server
    if flavor == "cloud":
        client = JIRA(base, basic_auth=AUTH["cloud"], timeout=10)
    else:
        client = JIRA(base, token_auth="emulator-pat", timeout=10)
    try:
        _round_trip(client)
        if flavor == "cloud":
            _cloud_search(client, base)
    finally:
        client.close()


def _round_trip(client: Any) -> None:
    issue = client.create_issue(
        project="OPS",
        summary="via jira",
        issuetype={"name": "Task"},
        description="wiki *text*",
        labels=["tb"],
    )
    client.add_comment(issue, "a comment")
    client.transition_issue(issue, "31", resolution={"name": "Won't Fix"})
    client.add_remote_link(issue.key, {"url": "https://tb.test/a/1", "title": "alert"})
    fetched = client.issue(issue.key)
    assert fetched.fields.status.name == "Done"
    assert fetched.fields.resolution.name == "Won't Fix"
    assert [c.body for c in client.comments(issue)] == ["a comment"]
    assert [i.key for i in client.search_issues("labels = tb")] == [issue.key]
    assert len(client.remote_links(issue.key)) == 1


def _cloud_search(client: Any, base: str) -> None:
    """On Cloud the package searches over /search/jql (its `search_issues` delegates there from
    the first page on); the removed /search answers it 410, as real Cloud does since 2025."""
    from jira import JIRAError

    httpx.delete(f"{base}/_emulator/requests", timeout=5).raise_for_status()
    found = client.enhanced_search_issues("labels = tb")
    assert [i.fields.summary for i in found] == ["via jira"]
    assert [i.key for i in client.search_issues("labels = tb")] == [found[0].key]
    with pytest.raises(JIRAError) as refused:
        client._get_json("search", params={"jql": "labels = tb"})  # the pre-2025 endpoint
    assert refused.value.status_code == 410
    assert "migrate to the /rest/api/3/search/jql API" in str(refused.value.text)
    log = httpx.get(f"{base}/_emulator/requests", timeout=5).json()
    searches = [(r["path"], r["status"]) for r in log if "/search" in r["path"]]
    assert searches == [
        ("/rest/api/2/search/jql", 200),
        ("/rest/api/2/search/jql", 200),
        ("/rest/api/2/search", 410),
    ]


def test_the_served_emulator_freezes_what_survives_a_full_collection() -> None:
    """Full collections of a large store held every request up for seconds (issue 20): after
    one, its survivors are frozen and the next reads only what came since."""
    import gc

    from jira_emulator.__main__ import freeze_survivors

    kept = [[n] for n in range(1000)]  # objects that survive
    gc.unfreeze()
    try:
        freeze_survivors("stop", {"generation": 1})
        assert gc.get_freeze_count() == 0  # a young collection freezes nothing
        gc.collect()
        freeze_survivors("stop", {"generation": 2})
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()
