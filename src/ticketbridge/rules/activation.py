"""The variables a CEL condition sees, from an `Alert` or a plain mapping of one."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from ticketbridge.domain.alert import Alert
from ticketbridge.domain.severity import Severity

_PLAIN: frozenset[type] = frozenset({str, bool, float, bytes, type(None)})
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_TEXT_FIELDS = ("id", "source", "kind", "title", "description", "status", "fingerprint")
UNKNOWN_TIME = datetime(1970, 1, 1, tzinfo=UTC)
"""Stands for a missing or unreadable timestamp (no due date is counted from it)."""


def alert_values(alert: Alert | Mapping[str, Any], *, skip: Collection[str] = ()) -> dict[str, Any]:
    """Plain values with the declared CEL types: text never None, timestamps as datetimes,
    confidence a float or None. Keys the alert lacks get empty values, so a condition on them
    is false rather than an error about the variable itself. `skip` may name `links` and
    `received_at`, the costly ones no condition uses: they are left empty."""
    if isinstance(alert, Alert):
        return {
            "id": alert.id,
            "source": alert.source,
            "kind": alert.kind,
            "title": alert.title,
            "description": alert.description,
            "severity": alert.severity.value,
            "status": alert.status.value,
            "fingerprint": alert.fingerprint,
            "confidence": alert.confidence,
            "attributes": cel_safe_mapping(alert.attributes),
            "occurred_at": alert.occurred_at,
            "received_at": alert.received_at,
            "links": []
            if "links" in skip
            else [{"title": link.title, "url": link.url} for link in alert.links],
        }
    values: dict[str, Any] = {name: _text(alert.get(name)) for name in _TEXT_FIELDS}
    values["severity"] = _text(alert.get("severity")).lower()
    confidence = alert.get("confidence")
    values["confidence"] = float(confidence) if isinstance(confidence, int | float) else None
    attributes = alert.get("attributes")
    values["attributes"] = cel_safe_mapping(attributes) if isinstance(attributes, Mapping) else {}
    values["occurred_at"] = _timestamp(alert.get("occurred_at"))
    received_at = None if "received_at" in skip else alert.get("received_at")
    values["received_at"] = _timestamp(received_at)
    links = None if "links" in skip else alert.get("links")
    listed = links if isinstance(links, list | tuple) else ()
    values["links"] = [_link(link) for link in listed if isinstance(link, Mapping)]
    return values


# Sources keep attributes whole and accept deep nesting; routes never address that deep, and
# converting it recursively would exhaust Python's stack (a RecursionError per alert). Below this
# depth a value reaches CEL as null.
MAX_ATTRIBUTE_DEPTH = 32


def cel_safe_mapping(mapping: Mapping[Any, Any], depth: int = 0) -> dict[str, Any]:
    """`attributes` as values CEL takes. One value CEL cannot take would make every condition
    that touches `attributes` fail, so tuples and sets become lists, dates and datetimes ISO
    text, Decimals floats, integers beyond 64 bits floats, anything else its text, and values
    nested deeper than `MAX_ATTRIBUTE_DEPTH` null."""
    return {str(key): cel_safe(value, depth + 1) for key, value in mapping.items()}


def cel_safe(value: Any, depth: int = 0) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if depth > MAX_ATTRIBUTE_DEPTH:
        return None
    if kind is int:
        return value if _INT64_MIN <= value <= _INT64_MAX else float(value)
    if isinstance(value, Mapping):
        return cel_safe_mapping(value, depth)
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [cel_safe(item, depth + 1) for item in items]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return cel_safe(value.value, depth)
    if isinstance(value, int):  # bool is in _PLAIN; int subclasses such as IntEnum land here
        return cel_safe(int(value), depth)
    if isinstance(value, Decimal | float):
        return float(value)
    return str(value)


def parse_severity(value: str) -> Severity | None:
    exact = _SEVERITIES.get(value)  # the canonical words, as alert_values gives them
    if exact is not None:
        return exact
    try:
        return Severity.parse(value)
    except ValueError:
        return None


_SEVERITIES = {severity.value: severity for severity in Severity}


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.value if isinstance(value, Severity) else str(value)


def _timestamp(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return UNKNOWN_TIME
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return UNKNOWN_TIME


def _link(link: Mapping[str, Any]) -> dict[str, str]:
    return {"title": _text(link.get("title")), "url": _text(link.get("url"))}
