"""Alert mappings for the routing tests (imported by test modules of this folder)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

OCCURRED = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def alert(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "a-1",
        "source": "truthvouch",
        "kind": "hallucination",
        "title": "Earth is flat",
        "description": "",
        "severity": "high",
        "confidence": 0.9,
        "status": "firing",
        "fingerprint": "fp-1",
        "attributes": {},
        "occurred_at": OCCURRED.isoformat(),
        "received_at": OCCURRED.isoformat(),
        "links": [],
    }
    return base | overrides
