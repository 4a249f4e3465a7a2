"""`keeptrusts`: Keeptrusts-style gateway escalations, event `escalation.created` (seed 001).

The body is the escalation itself (`policy_name`, `action`, `model`, `gateway_id`, `user_id`,
`timestamp`, `escalation_id`, as the seed's Lambda reads it), optionally with its event type in
`event`/`event_type`/`type`; or an envelope `{"event_type": ..., "data": {...}}`.
`escalation.resolved`/`.closed` resolve; other `escalation.*` events update; events of other
families are acknowledged and ignored (no alert).

Severity, when the payload has none, follows the seed's priority table: block → critical
(Highest), escalate → high, redact → medium, log → low. The kind is `escalation` for an
`escalate` action (review required) and `policy_violation` when the gateway acted itself.
`escalation.created` has the escalation id as alert id (what callbacks put in the resolve URL);
later events are their own deliveries, `<escalation id>:<event>@<timestamp>`. The fingerprint
is derived with the escalation id as `id`, so the default (source, id) follows the seed's dedup
advice: one ticket per escalation, however often the webhook is retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pydantic import AliasChoices, Field

from ticketbridge.domain import Alert, AlertLink, AlertStatus
from ticketbridge.domain.severity import Severity
from ticketbridge.sources._bounds import Timestamp, storable, to_utc
from ticketbridge.sources._parsing import (
    NativeModel,
    NonEmptyStr,
    RawPayload,
    SeverityWord,
    load_json,
    validate,
    with_fingerprint,
)

SOURCE = "keeptrusts"
CONSOLE_URL = "https://console.keeptrusts.com/escalations/{id}"
_EVENT_KEYS = ("event_type", "event", "type")
_ENVELOPE_KEYS = ("data", "escalation", "payload")
_SEVERITY_BY_ACTION = {
    "block": Severity.CRITICAL,
    "escalate": Severity.HIGH,
    "redact": Severity.MEDIUM,
    "log": Severity.LOW,
}
_RESOLVING_EVENTS = {"escalation.resolved", "escalation.closed"}


def _aliases(*names: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(*names))


class KeeptrustsEscalation(NativeModel):
    escalation_id: NonEmptyStr = Field(
        validation_alias=AliasChoices("escalation_id", "escalationId", "id")
    )
    policy_name: NonEmptyStr | None = _aliases("policy_name", "policyName")
    action: NonEmptyStr | None = None
    llm_model: NonEmptyStr | None = _aliases("model", "model_name", "modelName")
    gateway_id: NonEmptyStr | None = _aliases("gateway_id", "gatewayId")
    user_id: NonEmptyStr | None = _aliases("user_id", "userId")
    timestamp: Timestamp | None = _aliases("timestamp", "created_at", "createdAt")
    severity: SeverityWord | None = None
    kind: NonEmptyStr | None = None
    reason: str | None = _aliases("reason", "description", "message")
    console_url: NonEmptyStr | None = _aliases("console_url", "consoleUrl")


def parse(
    payload: RawPayload,
    *,
    received_at: datetime,
    fingerprint_fields: Sequence[str] | None = None,
) -> list[Alert]:
    data = load_json(payload)
    body, path, envelope = _unwrap(data)
    event = _event(envelope.pop("event", None) or body)
    if not event.startswith("escalation."):
        return []
    model = validate(KeeptrustsEscalation, body, path=path)
    alert = _alert(model, event, envelope, received_at)
    keyed = with_fingerprint(alert, None, fingerprint_fields, identity=model.escalation_id)
    return [storable(keyed, path)]


def _event(found: Any) -> str:
    """The event type: the envelope's, or an `x.y` value of an event key of the flat body."""
    if isinstance(found, dict):
        values = (found.get(key) for key in _EVENT_KEYS)
        found = next((v for v in values if isinstance(v, str) and "." in v), None)
    return found.strip().lower() if isinstance(found, str) else "escalation.created"


def _unwrap(data: Any) -> tuple[Any, str, dict[str, Any]]:
    """The escalation, the path it is at, and the envelope's other keys (with `event`)."""
    if not isinstance(data, dict):
        return data, "", {}
    inner_key = next((k for k in _ENVELOPE_KEYS if isinstance(data.get(k), dict)), None)
    event_key = next((k for k in _EVENT_KEYS if isinstance(data.get(k), str)), None)
    if inner_key is None or event_key is None:
        return data, "", {}
    envelope = {k: v for k, v in data.items() if k not in {inner_key, event_key}}
    envelope["event"] = data[event_key]
    return data[inner_key], inner_key, envelope


def _alert(
    model: KeeptrustsEscalation, event: str, envelope: dict[str, Any], received_at: datetime
) -> Alert:
    action = model.action.strip().lower() if model.action else None
    received = to_utc(received_at)
    return Alert(
        id=_event_id(model, event),
        source=SOURCE,
        kind=model.kind or ("escalation" if action in {None, "escalate"} else "policy_violation"),
        title=_title(model),
        description=model.reason or "",
        severity=model.severity or _SEVERITY_BY_ACTION.get(action or "", Severity.MEDIUM),
        confidence=None,
        status=_status(event),
        fingerprint="",
        attributes=_attributes(model, event, envelope),
        occurred_at=to_utc(model.timestamp) if model.timestamp else received,
        received_at=received,
        links=(AlertLink(title="View in Keeptrusts Console", url=_console_url(model)),),
    )


def _event_id(model: KeeptrustsEscalation, event: str) -> str:
    """`escalation.created` carries the escalation id itself (what callbacks put in the resolve
    URL); a later event about it is its own delivery: `<id>:<event>[@<timestamp>]`."""
    if event == "escalation.created":
        return model.escalation_id
    suffix = event.removeprefix("escalation.")
    at = f"@{model.timestamp.isoformat()}" if model.timestamp else ""
    return f"{model.escalation_id}:{suffix}{at}"


def _status(event: str) -> AlertStatus:
    return AlertStatus.RESOLVED if event in _RESOLVING_EVENTS else AlertStatus.FIRING


def _title(model: KeeptrustsEscalation) -> str:
    title = f"AI Escalation: {model.policy_name or model.escalation_id}"
    if model.action:
        title += f" — {model.action}"
    if model.llm_model:
        title += f" ({model.llm_model})"
    return title


def _console_url(model: KeeptrustsEscalation) -> str:
    return model.console_url or CONSOLE_URL.format(id=quote(model.escalation_id, safe=""))


def _attributes(
    model: KeeptrustsEscalation, event: str, envelope: dict[str, Any]
) -> dict[str, Any]:
    known = {
        "escalation_id": model.escalation_id,
        "policy_name": model.policy_name,
        "action": model.action,
        "model": model.llm_model,
        "gateway_id": model.gateway_id,
        "user_id": model.user_id,
        "timestamp": model.timestamp.isoformat() if model.timestamp else None,
        "console_url": model.console_url,
        "event": event,
    }
    return model.attributes_with(known, under=envelope)
