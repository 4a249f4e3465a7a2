"""One paging style for every list (issue 12): alerts, tickets, the outbox and the audit's
pushes each answer `next_cursor`, passed back as `cursor`, until it is null; the pages hold
every item once, in the list's order, and a cursor we did not issue is a 422 naming it."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from api_harness import Api, open_api

from ticketbridge.config.schema import Config

PUSH = json.loads(
    (
        Path(__file__).resolve().parents[2] / "fixtures" / "sources" / "github" / "push.json"
    ).read_text()
)
GITHUB_TOKEN = "github-token"
COUNT = 5


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    config = Config.model_validate({"sources": {"github": {"token": GITHUB_TOKEN}}})
    async with open_api(tmp_path, config) as handle:
        for n in range(COUNT):  # a ticket and a create job per fingerprint
            alert = {"id": f"a-{n}", "title": f"alert {n}", "severity": "high"}
            alert["fingerprint"] = f"fp-{n}"
            answer = await handle.client.post(
                "/v1/alerts?wait=true", json=alert, headers=handle.auth("ingest")
            )
            assert answer.status_code == 202, answer.text
            push = {**PUSH, "after": f"{n:040x}"}  # a distinct push each time
            kept = await handle.client.post(
                "/v1/sources/github",
                json=push,
                headers={
                    "Authorization": f"Bearer {GITHUB_TOKEN}",
                    "X-GitHub-Event": "push",
                    "X-GitHub-Delivery": f"delivery-{n}",
                },
            )
            assert kept.status_code == 202, kept.text
        yield handle


async def _walk(api: Api, path: str, limit: int) -> list[list[Any]]:
    """Every page of `path`, following `next_cursor` until it is null."""
    pages: list[list[Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        response = await api.client.get(path, params=params, headers=api.auth("read"))
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


@pytest.mark.parametrize(
    ("path", "key", "newest_first"),
    [
        ("/v1/alerts", "id", True),
        ("/v1/tickets", "id", True),
        ("/v1/outbox?state=pending", "id", False),
        ("/v1/audit/pushes", "id", True),
    ],
)
async def test_every_list_pages_with_cursor_and_next_cursor(
    api: Api, path: str, key: str, newest_first: bool
) -> None:
    pages = await _walk(api, path, limit=2)
    assert [len(page) for page in pages] == [2, 2, 1]  # no empty page after an exact fill
    seen = [item[key] for page in pages for item in page]
    whole = await _walk(api, path, limit=100)
    assert len(whole) == 1
    assert seen == [item[key] for item in whole[0]]  # the same items, once each, in order
    assert len(seen) == COUNT
    if path != "/v1/alerts":  # ids: the order is the list's own
        assert seen == sorted(seen, reverse=newest_first)


@pytest.mark.parametrize("path", ["/v1/alerts", "/v1/tickets", "/v1/outbox", "/v1/audit/pushes"])
@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        base64.urlsafe_b64encode(b'{"v":1,"after":0}').decode(),
        base64.urlsafe_b64encode(json.dumps({"v": 1, "after": 2**63}).encode()).decode(),
    ],
)
async def test_a_cursor_we_did_not_issue_is_422_naming_it(api: Api, path: str, cursor: str) -> None:
    response = await api.client.get(path, params={"cursor": cursor}, headers=api.auth("read"))
    assert response.status_code == 422, response.text
    assert [p["path"] for p in response.json()["problems"]] == ["cursor"]
