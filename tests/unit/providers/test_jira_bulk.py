"""Bulk create over httpx.MockTransport with Jira's documented answer shapes (CreatedIssues)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ticketbridge.errors import FieldErrors
from ticketbridge.providers.base import IssueDraft, Marker
from ticketbridge.providers.jira import JiraProvider, basic

META_TYPES = {"issueTypes": [{"id": "10001", "name": "Task", "subtask": False}]}
META_FIELDS = {
    "fields": [
        {"fieldId": f, "name": f, "required": f == "summary", "schema": {"type": "string"}}
        for f in ("summary", "description", "labels", "priority")
    ]
}


def jira(bulk: Callable[[dict[str, Any]], httpx.Response]) -> Callable[..., httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/issuetypes"):
            return httpx.Response(200, json=META_TYPES)
        if "/createmeta/" in path:
            return httpx.Response(200, json=META_FIELDS)
        if path.endswith("/issue/bulk"):
            return bulk(json.loads(request.content))
        return httpx.Response(404, json={"errorMessages": ["unexpected"], "errors": {}})

    return handler


def provider(handler: Callable[..., httpx.Response]) -> JiraProvider:
    return JiraProvider(
        flavor="datacenter",
        base_url="https://jira.example.com",
        auth=basic("u", "p"),
        transport=httpx.MockTransport(handler),
    )


DRAFTS = [IssueDraft("OPS", "Task", f"s{n}") for n in range(3)]


async def test_partial_failure_maps_failed_element_number_to_positions() -> None:
    def bulk(body: dict[str, Any]) -> httpx.Response:
        assert len(body["issueUpdates"]) == 3
        return httpx.Response(
            201,
            json={
                "issues": [{"id": "1", "key": "OPS-1"}, {"id": "3", "key": "OPS-3"}],
                "errors": [
                    {
                        "status": 400,
                        "failedElementNumber": 1,
                        "elementErrors": {"errorMessages": [], "errors": {"priority": "bad"}},
                    }
                ],
            },
        )

    p = provider(jira(bulk))
    result = await p.create_issues(DRAFTS)
    await p.aclose()
    assert {pos: ref.key for pos, ref in result.created.items()} == {0: "OPS-1", 2: "OPS-3"}
    error = result.failed[1]
    assert isinstance(error, FieldErrors)
    assert error.fields == {"priority": "bad"}
    assert error.hint == "field 'priority' of OPS/Task: bad"


async def test_plain_error_collection_fails_every_position() -> None:
    def bulk(body: dict[str, Any]) -> httpx.Response:
        return httpx.Response(400, json={"errorMessages": ["Bulk is off"], "errors": {}})

    p = provider(jira(bulk))
    result = await p.create_issues(DRAFTS)
    await p.aclose()
    assert result.created == {}
    assert sorted(result.failed) == [0, 1, 2]
    assert all("Bulk is off" in str(e) for e in result.failed.values())


async def test_a_marker_without_labels_on_the_screen_is_refused_before_sending() -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        if request.url.path.endswith("/issuetypes"):
            return httpx.Response(200, json=META_TYPES)
        fields = [f for f in META_FIELDS["fields"] if f["fieldId"] != "labels"]
        return httpx.Response(200, json={"fields": fields})

    p = provider(handler)
    with pytest.raises(FieldErrors) as caught:
        await p.create_issue(IssueDraft("OPS", "Task", "s", marker=Marker("fp")))
    await p.aclose()
    assert caught.value.hint is not None
    assert "field 'labels' is not on the create screen of OPS/Task" in caught.value.hint
    assert not any(path.endswith("/issue") for path in sent)
