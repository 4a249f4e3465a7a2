"""Audit trail events (SPEC §8): what is recorded, its canonical form and its hashes. Pure.

An event is recorded (`NewEvent`: its id and timestamp known at once) inside the unit of work
whose change it records, and sealed at commit (`seal`): given its `position` and the previous
event's hash. `hash` = SHA-256 of the canonical JSON of every other field (so it covers
`prev_hash`: the chain), and the same canonical bytes are the event's Merkle leaf
(SHA-256(0x00 ‖ canonical)): the tree commits to the chain. Canonical JSON: keys sorted, no
whitespace, UTF-8 (`canonical`). The bytes are stored as they were hashed, and every check
(verify, the evidence pack, a proof) hashes those bytes: none re-serializes an event.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson

from ticketbridge.domain.audit_check import GENESIS
from ticketbridge.domain.audit_merkle import Frontier, leaf_hash

__all__ = [
    "GENESIS",
    "EventType",
    "NewEvent",
    "SealedEvent",
    "Subject",
    "canonical",
    "seal",
]

EVENT_ID_PREFIX = "evt_"


class EventType(StrEnum):
    ALERT_RECEIVED = "ALERT_RECEIVED"
    ROUTED = "ROUTED"
    SUPPRESSED = "SUPPRESSED"
    TICKET_CREATED = "TICKET_CREATED"
    TICKET_UPDATED = "TICKET_UPDATED"
    TICKET_REOPENED = "TICKET_REOPENED"
    STATUS_SYNCED = "STATUS_SYNCED"
    HUMAN_REVIEW = "HUMAN_REVIEW"
    CALLBACK_SENT = "CALLBACK_SENT"
    ESCALATED = "ESCALATED"
    SLA_BREACHED = "SLA_BREACHED"
    CONFIG_CHANGE = "CONFIG_CHANGE"
    LINK_ADDED = "LINK_ADDED"


def canonical(value: Any) -> bytes:
    """Keys sorted, no whitespace, UTF-8 (orjson: ~10x the json module). What cannot be UTF-8
    (a lone surrogate an alert carried) falls back to the json module's ASCII escapes. Proofs
    and verifiers hash the stored bytes, never a re-serialization, so either form verifies."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def new_event_id() -> str:
    return EVENT_ID_PREFIX + secrets.token_hex(12)


def timestamp_text(at: datetime) -> str:
    """UTC, millisecond precision, `Z` (the form the events carry)."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Subject:
    """What an event is about, kept beside it for the trail's filters (not hashed)."""

    alert: str | None = None  # "<source>/<alert id>"
    ticket_key: str | None = None  # the Jira issue key


@dataclass(frozen=True)
class NewEvent:
    """An event recorded, not yet sequenced."""

    type: EventType
    source: str
    timestamp: datetime
    payload: Mapping[str, Any]
    links: Sequence[Mapping[str, Any]] = ()
    id: str = field(default_factory=new_event_id)
    subject: Subject = Subject()


@dataclass(frozen=True)
class SealedEvent:
    """An event as the log holds it: `body` is the canonical JSON of all but `hash`."""

    position: int
    id: str
    type: EventType
    timestamp: datetime
    subject: Subject
    body: bytes
    hash: str

    @property
    def leaf(self) -> bytes:
        return leaf_hash(self.body)

    def document(self) -> dict[str, Any]:
        """The event in SPEC §8's shape, `hash` included (what exports and the API show)."""
        doc: dict[str, Any] = json.loads(self.body)
        doc["hash"] = self.hash
        return doc


def seal(event: NewEvent, position: int, prev_hash: str) -> SealedEvent:
    rest = {
        "position": position,
        "id": event.id,
        "type": event.type.value,
        "source": event.source,
        "timestamp": timestamp_text(event.timestamp),
        "payload": dict(event.payload),
        "links": [dict(link) for link in event.links],
        "prev_hash": prev_hash,
    }
    body = canonical(rest)
    return SealedEvent(
        position=position,
        id=event.id,
        type=event.type,
        timestamp=event.timestamp,
        subject=event.subject,
        body=body,
        hash=hashlib.sha256(body).hexdigest(),
    )


def alert_ref(source: str, alert_id: str) -> str:
    return f"{source}/{alert_id}"


@dataclass(frozen=True)
class Head:
    """The log as its last batch left it: what the next batch continues."""

    size: int
    last_hash: str
    frontier: Frontier


@dataclass(frozen=True)
class StoredCheckpoint:
    id: int
    size: int
    note: str
    created_at: datetime
    sunk_at: datetime | None
