"""The cross-origin check of every UI write: Go 1.25's `CrossOriginProtection` decisions
(its test table's cases: Sec-Fetch-Site first, then Origin against Host, neither passes)."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from ticketbridge.ui.web import cross_origin_refusal


def _request(method: str, headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in {"host": "tb.example", **headers}.items()]
    return Request({"type": "http", "method": method, "path": "/ui/jira", "headers": raw})


@pytest.mark.parametrize(
    ("method", "headers", "refused"),
    [
        ("POST", {"Sec-Fetch-Site": "same-origin"}, False),
        ("POST", {"Sec-Fetch-Site": "none"}, False),  # typed in the address bar, a bookmark
        ("POST", {"Sec-Fetch-Site": "cross-site"}, True),
        ("POST", {"Sec-Fetch-Site": "same-site"}, True),  # another port or subdomain
        ("POST", {"Sec-Fetch-Site": "cross-site", "Origin": "https://tb.example"}, True),
        ("POST", {"Origin": "https://tb.example"}, False),  # an older browser, same host
        ("POST", {"Origin": "https://evil.example"}, True),
        ("POST", {"Origin": "null"}, True),  # a sandboxed frame, a data: URL
        ("POST", {}, False),  # neither header: not a browser (curl, the CLI)
        ("GET", {"Sec-Fetch-Site": "cross-site"}, False),  # safe methods always pass
        ("HEAD", {"Origin": "https://evil.example"}, False),
        ("PUT", {"Sec-Fetch-Site": "cross-site"}, True),
    ],
)
def test_cross_origin_decisions(method: str, headers: dict[str, str], refused: bool) -> None:
    assert (cross_origin_refusal(_request(method, headers)) is not None) is refused
