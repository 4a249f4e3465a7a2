"""The decider's events as the pending log holds them: per decided alert one compact record
(the scalars its ALERT_RECEIVED and ROUTED/SUPPRESSED are made of, taken at decision time),
expanded into the two events when the sequencer seals them. The decider builds a short list
per alert instead of two events with their ids and payloads: what made the trail cost the
decider most (bench/RESULTS.md). Pure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

from ticketbridge.domain.alert import Alert
from ticketbridge.domain.audit import EventType, NewEvent, Subject, alert_ref, timestamp_text
from ticketbridge.domain.decision import Decision, DecisionKind
from ticketbridge.domain.ticket import Ticket

SELF = "TICKETBRIDGE"  # the `source` of what ticketbridge itself decided or did
_DECISION = "D"  # a record's tag (an event's row starts with its id, `evt_…`)


def event_link(event_id: str) -> dict[str, str]:
    """A link to another event of the trail (what an event follows from)."""
    return {"type": "AUDIT_EVENT", "externalId": event_id}


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "fingerprint": ticket.fingerprint,
        "generation": ticket.generation,
        "project": ticket.project,
        "status": ticket.status.value,
    }
    if ticket.issue_key is not None:
        summary["issue_key"] = ticket.issue_key
    return summary


def decision_record(
    alert: Alert, decision: Decision, route: str | None, ticket: Ticket | None, now: datetime
) -> list[Any]:
    """What the alert's two events will say, as of now (the ticket as decided)."""
    return [
        _DECISION,
        alert.source,
        alert.id,
        alert.kind,
        alert.title,
        alert.severity.value,
        alert.status.value,
        alert.fingerprint,
        alert.occurred_at,
        alert.received_at,
        route,
        decision.kind.value,
        list(decision.reasons),
        ticket_summary(ticket) if ticket is not None else None,
        ticket.issue_key if ticket is not None else None,
        now,
    ]


def decision_events_of(record: Sequence[Any]) -> list[NewEvent]:
    """The alert's receipt and what was decided for it (a record, or one read back)."""
    (_, source, alert_id, kind, title, severity, status, fingerprint, occurred, received) = record[
        :10
    ]
    route, decided, reasons, ticket, key, now = record[10:]
    subject = Subject(alert=alert_ref(source, alert_id), ticket_key=key)
    summary = {
        "source": source,
        "id": alert_id,
        "kind": kind,
        "title": title,
        "severity": severity,
        "status": status,
        "fingerprint": fingerprint,
        "occurred_at": timestamp_text(_moment(occurred)),
    }
    received_event = NewEvent(
        EventType.ALERT_RECEIVED, source, _moment(received), {"alert": summary}, subject=subject
    )
    suppressed = decided == DecisionKind.SUPPRESS.value
    payload: dict[str, Any] = {
        "alert": {"source": source, "id": alert_id},
        "route": route,
        "decision": decided,
        "reasons": list(reasons),
    }
    if ticket is not None:
        payload["ticket"] = ticket
    decided_event = NewEvent(
        EventType.SUPPRESSED if suppressed else EventType.ROUTED,
        SELF,
        _moment(now),
        payload,
        [event_link(received_event.id)],
        subject=subject,
    )
    return [received_event, decided_event]


def _moment(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def pending_json(events: Sequence[NewEvent], records: Sequence[Sequence[Any]] = ()) -> str:
    """Events and decision records not sealed yet, as one JSON array (`unpacked` reads it
    back); times as orjson writes an aware datetime, made canonical when sealed."""
    rows: list[Any] = [
        [
            e.id,
            e.type.value,
            e.source,
            e.timestamp,
            e.payload,
            e.links,
            e.subject.alert,
            e.subject.ticket_key,
        ]
        for e in events
    ]
    rows += records
    try:
        return orjson.dumps(rows).decode()
    except TypeError:  # a lone surrogate: the json module's escapes (as `canonical`)
        return json.dumps(rows, default=_iso, allow_nan=False)


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(type(value).__name__)


def unpacked(text: str) -> list[NewEvent]:
    """The events `pending_json` wrote, in their order (a record: its two events)."""
    events: list[NewEvent] = []
    for row in json.loads(text):
        if row[0] == _DECISION:
            events += decision_events_of(row)
            continue
        event_id, kind, source, moment, payload, links, alert, ticket_key = row
        subject = Subject(alert, ticket_key)
        events.append(
            NewEvent(EventType(kind), source, _moment(moment), payload, links, event_id, subject)
        )
    return events
