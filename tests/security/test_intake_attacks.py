"""The intake attacks of the security review (issue 11, items 2, 4 and 9), replayed against the
whole app in process: each answer and what was stored (or not) afterwards. The same attacks
over real sockets, against `serve`, are in test_intake_slow_clients.py.

- Another source's name (item 4): an ingest key or the `generic` source's token posted
  `{"source": "keeptrusts", "id": …}` first; the genuine signed delivery was then `duplicate`.
- Cross-site posts (item 4): `text/plain` (or no type) was taken as JSON.
- Replayed pushes (item 9): the same signed push under new `X-GitHub-Delivery` ids.
- Bodies read before the sender is known (item 2): counted in chunks pulled by the app.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_harness import Api, open_api

from ticketbridge.api import create_app
from ticketbridge.api.bodies import UnverifiedReads
from ticketbridge.config.schema import Config
from ticketbridge.sources import sign

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures/sources"
ESCALATION = (FIXTURES / "keeptrusts/escalation-created.json").read_bytes()
ESCALATION_ID = json.loads(ESCALATION)["escalation_id"]
PUSH = (FIXTURES / "github/push.json").read_bytes()
KEEPTRUSTS_SECRET = "keeptrusts-signing-secret"
GITHUB_SECRET = "github-webhook-secret"
GENERIC_TOKEN = "generic-source-token"
AM_TOKEN = "alertmanager-token"
JSON = {"Content-Type": "application/json"}
MIB = 1024 * 1024


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    config = Config.model_validate(
        {
            "sources": {
                "keeptrusts": {"secret": KEEPTRUSTS_SECRET},
                "generic": {"token": GENERIC_TOKEN},
                "alertmanager": {"token": AM_TOKEN},
                "github": {"secret": GITHUB_SECRET},
                "compliance": {"allow_unauthenticated": True},
            }
        }
    )
    async with open_api(tmp_path, config) as handle:
        yield handle


def keeptrusts_signed(body: bytes) -> dict[str, str]:
    return {"X-TicketBridge-Signature": sign(KEEPTRUSTS_SECRET, body, datetime.now(UTC)), **JSON}


def github_signed(body: bytes, delivery: str) -> dict[str, str]:
    digest = hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": f"sha256={digest}",
        **JSON,
    }


async def stored_ids(api: Api) -> set[tuple[str, str]]:
    response = await api.client.get("/v1/alerts?limit=500", headers=api.auth("read"))
    assert response.status_code == 200, response.text
    return {(item["source"], item["id"]) for item in response.json()["items"]}


async def genuine_escalation_is_ticketed(api: Api) -> None:
    """The signed Keeptrusts delivery is accepted as new, and the alert stored is its own."""
    response = await api.client.post(
        "/v1/sources/keeptrusts", content=ESCALATION, headers=keeptrusts_signed(ESCALATION)
    )
    assert response.status_code == 202, response.text
    assert response.json()["duplicates"] == 0, "the genuine delivery was pre-empted"
    alert = await api.client.get(
        f"/v1/alerts/{ESCALATION_ID}?source=keeptrusts", headers=api.auth("read")
    )
    assert alert.json()["title"] != "pre-empted", alert.text


FORGED = {"source": "keeptrusts", "id": ESCALATION_ID, "title": "pre-empted", "severity": "low"}


# --- item 4: an alert's source is its caller's ---


async def test_an_ingest_key_cannot_take_a_keeptrusts_id_before_keeptrusts(api: Api) -> None:
    forged = await api.client.post("/v1/alerts", json=FORGED, headers=api.auth("ingest"))
    assert forged.status_code == 403, forged.text
    assert forged.json()["error"] == "source_forbidden"
    assert [p["path"] for p in forged.json()["problems"]] == ["source"]
    assert await stored_ids(api) == set()
    await genuine_escalation_is_ticketed(api)


async def test_one_foreign_alert_refuses_the_whole_batch_naming_it(api: Api) -> None:
    own = {"id": "g-1", "title": "mine", "severity": "high"}
    batch = [own, FORGED]
    forged = await api.client.post("/v1/alerts", json=batch, headers=api.auth("admin"))
    assert forged.status_code == 403, forged.text
    assert [p["path"] for p in forged.json()["problems"]] == ["[1].source"]
    assert await stored_ids(api) == set()


async def test_the_generic_token_speaks_for_generic_only(api: Api) -> None:
    forged = await api.client.post(
        f"/v1/sources/generic?token={GENERIC_TOKEN}", json={"alerts": [FORGED]}
    )
    assert forged.status_code == 403, forged.text
    assert await stored_ids(api) == set()
    await genuine_escalation_is_ticketed(api)


async def test_a_key_granted_a_source_posts_for_it_and_its_ids_are_its_own(api: Api) -> None:
    relay = await api.auth_for("ingest", "falco")
    alert = {"source": "falco", "id": ESCALATION_ID, "title": "t", "severity": "high"}
    assert (await api.client.post("/v1/alerts", json=alert, headers=relay)).status_code == 202
    assert (await api.client.post("/v1/alerts", json=FORGED, headers=relay)).status_code == 403
    await genuine_escalation_is_ticketed(api)  # same id, another source: no collision
    assert await stored_ids(api) == {("falco", ESCALATION_ID), ("keeptrusts", ESCALATION_ID)}


CROSS_SITE = [
    ("/v1/alerts", "ingest", {"id": "x-1", "title": "t", "severity": "high"}),
    (
        "/v1/sources/compliance",
        None,
        json.loads((FIXTURES / "compliance/check-run.json").read_text()),
    ),
]


@pytest.mark.parametrize("content_type", ["text/plain", "text/plain;charset=UTF-8", None])
@pytest.mark.parametrize(("path", "scope", "payload"), CROSS_SITE, ids=["alerts", "native"])
async def test_a_cross_site_text_post_is_not_taken_as_json(
    api: Api, path: str, scope: str | None, payload: Any, content_type: str | None
) -> None:
    headers = api.auth(scope) if scope else {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    body = json.dumps(payload).encode()
    response = await api.client.post(path, content=body, headers=headers)
    assert response.status_code == 415, response.text
    assert [p["path"] for p in response.json()["problems"]] == ["Content-Type"]
    assert await stored_ids(api) == set()


async def test_the_jira_connection_refuses_a_text_body_too(api: Api) -> None:
    body = json.dumps({"url": "https://acme.atlassian.net"}).encode()
    headers = {**api.auth("admin"), "Content-Type": "text/plain"}
    response = await api.client.put("/v1/integrations/jira", content=body, headers=headers)
    assert response.status_code == 415, response.text


# --- item 9: a replayed push is the same push ---


async def test_a_captured_push_replayed_under_new_delivery_ids_is_kept_once(api: Api) -> None:
    answers = [
        await api.client.post("/v1/sources/github", content=PUSH, headers=github_signed(PUSH, d))
        for d in ("d-original", "d-replay-1", "d-replay-2")
    ]
    assert [a.status_code for a in answers] == [202, 200, 200]
    assert [a.json()["duplicate"] for a in answers] == [False, True, True]
    listed = await api.client.get("/v1/audit/pushes", headers=api.auth("read"))
    assert [p["delivery_id"] for p in listed.json()["items"]] == ["d-original"]


# --- item 2: nothing is read before the sender is known ---


class CountedBody:
    """A request body the app pulls chunk by chunk; `pulled` says how many it took."""

    def __init__(self, chunk: bytes, chunks: int, first: bytes = b"") -> None:
        self.chunk, self.chunks, self.first = chunk, chunks, first
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for n in range(self.chunks):
            self.pulled += 1
            yield self.first if n == 0 and self.first else self.chunk


UNPROVEN = [
    ("/v1/sources/alertmanager", {"Authorization": "Bearer wrong"}),
    ("/v1/sources/alertmanager", {}),
    ("/v1/sources/keeptrusts", {}),
    ("/v1/sources/keeptrusts", {"X-TicketBridge-Signature": "t=1,v1=00"}),  # long stale
    ("/v1/sources/keeptrusts", {"X-TicketBridge-Signature": "garbage"}),
    ("/v1/sources/truthvouch", {}),  # no credential configured
    ("/v1/sources/github", {"X-Hub-Signature-256": "sha1=00"}),
]


@pytest.mark.parametrize(("path", "headers"), UNPROVEN)
async def test_an_unauthenticated_body_is_not_read_at_all(
    api: Api, path: str, headers: dict[str, str]
) -> None:
    body = CountedBody(b"x" * MIB, 64)
    response = await api.client.post(path, content=body, headers={**headers, **JSON})
    assert response.status_code == 401, response.text
    assert body.pulled == 0


async def test_a_chunked_body_is_cut_at_the_limit_while_it_streams(api: Api) -> None:
    """16 MiB, then 413: not the 64 MiB sent (to the end, then refused, before)."""
    body = CountedBody(b"x" * MIB, 64, first=b'[{"title": "')
    response = await api.client.post(
        "/v1/alerts", content=body, headers={**api.auth("ingest"), **JSON}
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "too_large"
    assert body.pulled <= 17


async def test_a_signed_looking_body_waits_its_turn_and_is_turned_away_when_none_frees(
    api: Api,
) -> None:
    """Bodies whose signature is still to be checked are read a few at a time (here one,
    with no wait): a second one gets 503 with Retry-After, its body unread."""
    app = create_app(api.container, unverified_reads=UnverifiedReads(slots=1, wait=0))
    release = asyncio.Event()
    taking = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield b'{"escalation_id": "slow"'
        taking.set()
        await release.wait()
        yield b"}"

    signature = {"X-TicketBridge-Signature": f"t={int(time.time())},v1=00", **JSON}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tb.test") as client:
        first = asyncio.create_task(
            client.post("/v1/sources/keeptrusts", content=slow_body(), headers=signature)
        )
        await taking.wait()
        second_body = CountedBody(b"x", 4)
        second = await client.post("/v1/sources/keeptrusts", content=second_body, headers=signature)
        release.set()
        assert (await first).status_code == 401  # read, then its signature checked: wrong
    assert second.status_code == 503, second.text
    assert second.headers["Retry-After"] == "1"
    assert second_body.pulled == 0


def test_a_delivery_shows_none_of_its_credentials(api: Api) -> None:
    """What the intake holds while it reads a body (and a traceback could render)."""
    delivery = api.container.sources.open(
        "generic", {"Authorization": f"Bearer {GENERIC_TOKEN}"}, {"token": GENERIC_TOKEN}
    )
    assert delivery.authenticated
    assert GENERIC_TOKEN not in repr(delivery)
