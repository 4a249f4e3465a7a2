"""Keeptrusts' way back, end to end (issue 15 item 1 meets two-way sync): an escalation
(`POST /v1/sources/keeptrusts`, signed) becomes an issue in the Jira emulator; a person resolves
it there; the emulator's signed delivery lands on POST /v1/jira/webhook; the callback worker
then resolves the escalation at a receiver on loopback (real HTTP) with the seed's body, a
signature the documented recipe verifies, and the OPENING escalation's id — even when a later
escalation folded into the same issue. Our own writes (the create's echo) call nobody back."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from api_harness import Api, open_api
from sync_harness import SECRET, alert_state, deliveries
from test_jira_sync_emulator import JIRA, SEED, as_alice, settle

from jira_emulator import Emulator
from ticketbridge import bootstrap
from ticketbridge.config.schema import Config
from ticketbridge.sources import sign

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sources"
SOURCE_SECRET = "kt-webhook-secret"
CALLBACK_SECRET = "kt-callback-secret"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Keeptrusts' API on loopback: records each request, answers 200."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            found.requests.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()


def config(port: int) -> Config:
    return Config.model_validate(
        {
            "jira": JIRA,
            "sources": {
                "keeptrusts": {"secret": SOURCE_SECRET, "fingerprint": ["attributes.policy_name"]}
            },
            "sync": {"resolutions": {"False Positive": "false_positive", "Done": "resolved"}},
            "callbacks": [
                {
                    "source": "keeptrusts",
                    "on": ["resolved", "false_positive"],
                    "url": f"http://127.0.0.1:{port}/v1/escalations/{{{{ alert.id }}}}/resolve",
                    "body": "keeptrusts_resolve",
                    "secret": CALLBACK_SECRET,
                    "allow_private": True,  # the receiver is on loopback
                }
            ],
        }
    )


async def escalate(api: Api, escalation_id: str) -> None:
    created = json.loads((FIXTURES / "keeptrusts" / "escalation-created.json").read_text())
    body = json.dumps(created | {"escalation_id": escalation_id}).encode()
    response = await api.client.post(
        "/v1/sources/keeptrusts",
        content=body,
        headers={
            "X-TicketBridge-Signature": sign(SOURCE_SECRET, body, api.container.clock()),
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 202, response.text


def verified(header: str, body: bytes) -> bool:
    """The README's recipe, as a source would write it."""
    t, v1 = (part.split("=", 1)[1] for part in header.split(","))
    expected = hmac.new(CALLBACK_SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), v1)


async def test_a_person_resolving_the_issue_resolves_the_escalation(
    tmp_path: Path, receiver: Receiver
) -> None:
    seed = {"webhooks": [SEED["webhooks"][0] | {"secret": SECRET}]}
    emulator = Emulator(flavor="cloud", seed=seed)
    async with open_api(
        tmp_path, config(receiver.port), workers=1, transport=emulator.transport()
    ) as api:
        emulator.webhooks.transport = httpx.ASGITransport(app=bootstrap.build_app(api.container))
        await escalate(api, "esc_first")
        await api.drain()
        await settle(api, emulator)
        await escalate(api, "esc_later")  # same policy: folds into the same issue
        await api.drain()
        await settle(api, emulator)
        logged = await deliveries(api)
        created = logged[0]
        assert created["event"] == "jira:issue_created"
        assert "applied" not in {d["outcome"] for d in logged}  # our own writes, comments
        assert receiver.requests == []  # our own create called nobody back
        key = created["issue_key"]

        done = {"transition": {"id": "31"}, "fields": {"resolution": {"name": "Done"}}}
        await as_alice(emulator, "POST", f"/rest/api/3/issue/{key}/transitions", done)
        await settle(api, emulator)
        assert await alert_state(api, "esc_first") == "resolved"
        await api.drain()

        [request] = receiver.requests
        assert request.path == "/v1/escalations/esc_first/resolve"
        assert json.loads(request.body) == {
            "resolution": "Done",
            "notes": f"Resolved via Jira {key}",
        }
        assert verified(request.headers["X-TicketBridge-Signature"], request.body)
        assert request.headers["Idempotency-Key"].startswith("tb-callback-")
        await emulator.aclose()
