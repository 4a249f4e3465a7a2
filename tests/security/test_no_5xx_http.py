"""Hostile input over HTTP on SQLite and PostgreSQL (issue 11 item 5): bodies for POST
/v1/alerts and every native source (a fixture with one value made hostile), and hostile query
and path parameters for every read route, are answered below 500; a 4xx names a path; and
what was accepted reads back.

One app per database serves all examples of a test (hypothesis runs examples synchronously on
a loop the test owns, `api_on_loop`)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from api_harness import Api, api_on_loop
from hypothesis import given
from hypothesis import strategies as st
from no5xx_strategies import NO_5XX, fixture_of, hostile_body, hostile_text

from support.postgres import database_url, postgres_server
from ticketbridge.config.schema import Config
from ticketbridge.sources import SOURCES

__all__ = ["database_url", "postgres_server"]  # fixtures

TOKEN = "no-5xx-source-token"
ALERT = {
    "id": "a-1",
    "title": "PII sent to an external model",
    "severity": "high",
    "occurred_at": "2026-03-02T14:22:11+01:00",
    "attributes": {"model": "gpt-4o", "score": 0.75, "n": 3},
}


class Sync:
    """The app on a loop this test owns: `request` runs one request to its end."""

    def __init__(self, runner: asyncio.Runner, api: Api) -> None:
        self.runner = runner
        self.api = api

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        return self.runner.run(self.api.client.request(method, path, **options))

    def read(self, path: str, **options: Any) -> httpx.Response:
        return self.request("GET", path, headers=self.api.auth("read"), **options)


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[Sync]:
    sources: dict[str, Any] = {name: {"token": TOKEN} for name in SOURCES}
    sources["keeptrusts"] = {"token": TOKEN, "secret": "no-5xx-secret"}
    sources["github"] = {"token": TOKEN, "secret": "no-5xx-secret"}
    config = Config.model_validate({"sources": sources})
    with asyncio.Runner() as runner, api_on_loop(runner, tmp_path, config, database_url) as api:
        yield Sync(runner, api)


def _below_500(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith(
        "application/json"
    ):
        problems = response.json().get("problems", [])
        assert all(isinstance(p["path"], str) and p["path"] for p in problems), problems


def _everything_reads_back(app: Sync) -> None:
    for path in ("/v1/alerts?limit=500", "/v1/tickets", "/v1/audit/pushes", "/v1/outbox"):
        assert app.read(path).status_code == 200, path


TARGETS = [("/v1/alerts", None), *((f"/v1/sources/{name}", name) for name in sorted(SOURCES))]


@pytest.mark.parametrize(("path", "source"), TARGETS, ids=[t[0] for t in TARGETS])
def test_hostile_bodies_are_answered_below_500(app: Sync, path: str, source: str | None) -> None:
    document = [ALERT, {**ALERT, "id": "a-2"}] if source is None else fixture_of(source)
    auth = app.api.auth("ingest") if source is None else {"Authorization": f"Bearer {TOKEN}"}
    headers = {**auth, "Content-Type": "application/json", "X-GitHub-Event": "push"}

    @NO_5XX
    @given(body=hostile_body(document))
    def post(body: bytes) -> None:
        _below_500(app.request("POST", path, content=body, headers=headers))

    post()
    _everything_reads_back(app)


def _cursor(position: Any) -> str:
    raw = json.dumps({"v": 1, "after": position}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


hostile_value = st.one_of(
    st.sampled_from(["\x00", "a\x00b", "\ud800", "k" * 300, str(2**63), str(2**64 + 1)]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["", " ", "0", "-1", "1e400", "NaN", "true", "pending", "dead", "null"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(_cursor),
    st.sampled_from([2**63, 2**64 + 1, 10**400, -1, 1.5, "7", None]).map(_cursor),
    hostile_text.map(lambda token: json.loads(token) if token.startswith('"') else token),
    st.text(max_size=300),
)
READS = {
    "/v1/alerts": ["limit", "cursor", "status", "source", "fingerprint", "decision"],
    "/v1/tickets": ["limit", "cursor"],
    "/v1/outbox": ["limit", "cursor", "state"],
    "/v1/audit/pushes": ["limit", "cursor", "repository", "key"],
    "/v1/alerts/{id}": ["source"],
}


def _quoted(value: str) -> str:
    """As a client puts it on the wire: percent-encoded bytes (a lone surrogate becomes the
    invalid UTF-8 it would be, `%ED%A0%80`)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _url(route: str, identifier: str, params: dict[str, str]) -> str:
    path = route.replace("{id}", _quoted(identifier) or "x")
    query = "&".join(f"{name}={_quoted(value)}" for name, value in params.items())
    return f"{path}?{query}" if query else path


@pytest.mark.parametrize("route", sorted(READS))
def test_hostile_query_and_path_parameters_are_answered_below_500(app: Sync, route: str) -> None:
    names = READS[route]

    @NO_5XX
    @given(
        params=st.dictionaries(st.sampled_from(names), hostile_value, max_size=len(names)),
        identifier=hostile_value,
    )
    def read(params: dict[str, str], identifier: str) -> None:
        _below_500(app.read(_url(route, identifier, params)))

    read()


def test_hostile_outbox_job_ids_are_answered_below_500(app: Sync) -> None:
    @NO_5XX
    @given(identifier=hostile_value)
    def retry(identifier: str) -> None:
        url = _url("/v1/outbox/{id}/retry", identifier, {})
        _below_500(app.request("POST", url, headers=app.api.auth("admin")))

    retry()


header_text = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=300
) | st.sampled_from(["t=" + "9" * 5000 + ",v1=00", "t=-1,v1=", "sha256=", "t=1e400,v1=x"])


@pytest.mark.parametrize("source", ["keeptrusts", "github"])
def test_hostile_authentication_headers_are_answered_below_500(app: Sync, source: str) -> None:
    body = json.dumps(fixture_of(source)).encode()

    @NO_5XX
    @given(
        signature=header_text,
        github_signature=header_text,
        delivery=header_text,
        event=st.sampled_from(["push", "ping"]) | header_text,
    )
    def post(signature: str, github_signature: str, delivery: str, event: str) -> None:
        headers = {  # bytes: any Latin-1 a client can put on the wire
            "Content-Type": b"application/json",
            "X-TicketBridge-Signature": signature.encode("latin-1"),
            "X-Hub-Signature-256": github_signature.encode("latin-1"),
            "X-GitHub-Delivery": delivery.encode("latin-1"),
            "X-GitHub-Event": event.encode("latin-1"),
        }
        _below_500(app.request("POST", f"/v1/sources/{source}", content=body, headers=headers))

    post()
