"""Helpers shared by the source tests: fixture payloads and field-by-field comparison."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ticketbridge.domain import Alert, AlertLink

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sources"
RECEIVED = datetime(2026, 3, 2, 16, 0, 0, tzinfo=UTC)


def fixture_bytes(source: str, name: str) -> bytes:
    return (FIXTURES / source / f"{name}.json").read_bytes()


def fixture_json(source: str, name: str) -> Any:
    return json.loads(fixture_bytes(source, name))


def links(*pairs: tuple[str, str]) -> tuple[AlertLink, ...]:
    return tuple(AlertLink(title=title, url=url) for title, url in pairs)


def assert_fields(alert: Alert, expected: dict[str, Any]) -> None:
    """Each expected field equals the alert's; `attributes` is compared key by key (the alert
    may keep more), `attributes_exact` as a whole."""
    for name, value in expected.items():
        if name == "attributes":
            for key, item in value.items():
                assert alert.attributes.get(key) == item, f"attributes.{key}"
        elif name == "attributes_exact":
            assert dict(alert.attributes) == value
        else:
            assert getattr(alert, name) == value, name


def parse_any(source: str, payload: Any) -> object:
    """Whatever the source's parser makes of `payload` (alerts, a push event, or None)."""
    from ticketbridge.sources import SOURCES

    adapter = SOURCES[source]
    if adapter.parse_alerts is not None:
        return adapter.parse_alerts(payload, received_at=RECEIVED)
    assert adapter.parse_push is not None
    return adapter.parse_push(payload, received_at=RECEIVED)


def alerts_of(source: str, payload: Any) -> list[Alert]:
    """The alerts an alert source makes of `payload`."""
    from ticketbridge.sources import SOURCES

    parse = SOURCES[source].parse_alerts
    assert parse is not None
    return parse(payload, received_at=RECEIVED)
