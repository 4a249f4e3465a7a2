"""No caller can fold another source's alerts into its own ticket (issue 11, item 4's sibling).

A key granted only `generic` posted a decoy with `fingerprint` set to a Keeptrusts alert's
derived fingerprint (anyone can compute it: a hash of the source and the escalation id); the
genuine, signed Keeptrusts delivery then became a `repeat` on the decoy's ticket and never got
an issue of its own. End to end (the API, the decider, the worker, the Jira emulator): the dedup
key is scoped by the alert's authenticated source, so the genuine alert gets its own issue, and
within one source a given fingerprint still folds repeats as before.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from api_harness import Api
from emulated_api import alert_body, api_on_emulator

from jira_emulator import Emulator
from ticketbridge.domain.fingerprint import derive_fingerprint, fingerprint_fields_for
from ticketbridge.sources import sign

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures/sources"
ESCALATION = (FIXTURES / "keeptrusts/escalation-created.json").read_bytes()
ESCALATION_ID = json.loads(ESCALATION)["escalation_id"]
SECRET = "keeptrusts-signing-secret"
# What anyone can compute from the escalation id alone (the Keeptrusts default fields).
KEEPTRUSTS_FINGERPRINT = derive_fingerprint(
    {"source": "keeptrusts", "id": ESCALATION_ID}, fingerprint_fields_for("keeptrusts")
)


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(flavor="cloud")


@pytest.fixture
async def api(tmp_path: Path, emulator: Emulator) -> AsyncIterator[Api]:
    config = {
        "defaults": {"project": "OPS", "min_severity": "info"},
        "sources": {"keeptrusts": {"secret": SECRET}},
    }
    async with api_on_emulator(tmp_path, emulator, config) as handle:
        yield handle


async def alert(api: Api, source: str, alert_id: str) -> dict[str, Any]:
    return await alert_body(api, alert_id, source)


async def post_generic(api: Api, body: dict[str, Any]) -> None:
    answer = await api.client.post("/v1/alerts", json=body, headers=api.auth("ingest"))
    assert answer.status_code == 202, answer.text
    await api.drain()


async def test_a_generic_decoy_cannot_swallow_the_genuine_keeptrusts_alert(
    api: Api, emulator: Emulator
) -> None:
    decoy = {
        "id": "decoy-1",
        "title": "Nothing to see here",
        "severity": "critical",
        "fingerprint": KEEPTRUSTS_FINGERPRINT,
    }
    await post_generic(api, decoy)
    signature = sign(SECRET, ESCALATION, datetime.now(UTC))
    headers = {"X-TicketBridge-Signature": signature, "Content-Type": "application/json"}
    answer = await api.client.post("/v1/sources/keeptrusts", content=ESCALATION, headers=headers)
    assert answer.status_code == 202, answer.text
    await api.drain()

    genuine = await alert(api, "keeptrusts", ESCALATION_ID)
    fake = await alert(api, "generic", "decoy-1")
    assert genuine["decision"] == "create"
    assert genuine["ticket"]["key"] != fake["ticket"]["key"]
    assert len(emulator.state.issues) == 2
    assert genuine["fingerprint"] != fake["fingerprint"]


async def test_within_a_source_a_given_fingerprint_still_folds_repeats(
    api: Api, emulator: Emulator
) -> None:
    for n in (1, 2):
        body = {"id": f"g-{n}", "title": f"t{n}", "severity": "high", "fingerprint": "disk-full"}
        await post_generic(api, body)

    first, second = await alert(api, "generic", "g-1"), await alert(api, "generic", "g-2")
    assert second["decision"] == "repeat"
    assert second["ticket"]["key"] == first["ticket"]["key"]
    assert len(emulator.state.issues) == 1
    assert first["fingerprint"] == "generic:disk-full"  # the stored, scoped key (README)
