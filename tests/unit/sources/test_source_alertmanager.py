"""Alertmanager webhook v4: firing and resolved meet on the fingerprint Alertmanager sends."""

from __future__ import annotations

import json
from typing import Any

import pytest
from source_fixtures import RECEIVED, fixture_bytes, fixture_json

from ticketbridge.domain import AlertStatus, Severity
from ticketbridge.errors import InputError
from ticketbridge.sources.alertmanager import label_fingerprint, parse


def test_firing_then_resolved_share_the_fingerprint_not_the_event_id() -> None:
    (firing,) = parse(fixture_bytes("alertmanager", "real-0.25.0-firing"), received_at=RECEIVED)
    (resolved,) = parse(fixture_bytes("alertmanager", "real-0.25.0-resolved"), received_at=RECEIVED)
    assert (firing.status, resolved.status) == (AlertStatus.FIRING, AlertStatus.RESOLVED)
    assert firing.fingerprint == resolved.fingerprint == "alertmanager:178e895cfd3d2ccc"
    # Ingest is idempotent on (source, id): the resolve is its own event, not a duplicate.
    assert resolved.id == f"{firing.id}:resolved"
    assert firing.id == "178e895cfd3d2ccc@2026-11-22T05:28:30+00:00"
    assert resolved.attributes["endsAt"] == "2026-11-22T05:28:34Z"


def test_label_fingerprint_matches_what_alertmanager_computed() -> None:
    delivery = fixture_json("alertmanager", "real-0.25.0-firing")
    alert = delivery["alerts"][0]
    assert label_fingerprint(alert["labels"]) == alert["fingerprint"]


def _webhook(**alert: Any) -> dict[str, Any]:
    entry = {"labels": {"alertname": "DiskFull", "instance": "db-1"}, **alert}
    return {"version": "4", "status": "firing", "receiver": "tb", "alerts": [entry]}


def test_entry_without_fingerprint_gets_alertmanagers_own() -> None:
    (alert,) = parse(_webhook(status="firing"), received_at=RECEIVED)
    assert alert.fingerprint == "alertmanager:" + label_fingerprint(
        {"alertname": "DiskFull", "instance": "db-1"}
    )
    assert alert.title == "DiskFull"


def test_entry_without_status_takes_the_groups() -> None:
    payload = _webhook()
    payload["status"] = "resolved"
    (alert,) = parse(payload, received_at=RECEIVED)
    assert alert.status == AlertStatus.RESOLVED


@pytest.mark.parametrize(
    ("label", "severity"),
    [
        ("critical", Severity.CRITICAL),
        ("warning", Severity.MEDIUM),
        ("info", Severity.INFO),
        ("none", Severity.INFO),
        ("page", Severity.CRITICAL),
        ("sev-whatever", Severity.MEDIUM),
        (None, Severity.MEDIUM),
    ],
)
def test_severity_from_labels_never_refuses(label: str | None, severity: Severity) -> None:
    labels = {"alertname": "X"} | ({"severity": label} if label is not None else {})
    (alert,) = parse(_webhook(labels=labels), received_at=RECEIVED)
    assert alert.severity == severity


def test_unknown_keys_at_every_level_are_kept() -> None:
    payload = _webhook(status="firing", futureField={"a": 1})
    payload["routeLabels"] = {"team": "db"}
    payload["notification_reason"] = "resolved_alerts"
    (alert,) = parse(json.dumps(payload).encode(), received_at=RECEIVED)
    assert alert.attributes["futureField"] == {"a": 1}
    assert alert.attributes["routeLabels"] == {"team": "db"}
    assert alert.attributes["notification_reason"] == "resolved_alerts"


def test_configured_fingerprint_fields_win_over_alertmanagers() -> None:
    one = _webhook(status="firing", fingerprint="aaaa", labels={"alertname": "X", "pod": "1"})
    two = _webhook(status="firing", fingerprint="bbbb", labels={"alertname": "X", "pod": "2"})
    fields = ["source", "attributes.labels.alertname"]
    (first,) = parse(one, received_at=RECEIVED, fingerprint_fields=fields)
    (second,) = parse(two, received_at=RECEIVED, fingerprint_fields=fields)
    assert first.fingerprint == second.fingerprint
    assert first.fingerprint not in {"aaaa", "bbbb"}


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"version": "4", "status": "firing"}, "alerts"),
        ({"alerts": {"status": "firing"}}, "alerts"),
        ({"alerts": [{"status": "exploded"}]}, "alerts[0].status"),
        ({"alerts": [{"status": "firing", "labels": {"a": [1]}}]}, "alerts[0].labels.a"),
        ({"alerts": [{"status": "firing", "startsAt": "soon"}]}, "alerts[0].startsAt"),
        ({"alerts": [{"labels": {}}]}, "alerts[0].status"),
        ({"status": "firing", "alerts": [{}, {"annotations": []}]}, "alerts[1].annotations"),
    ],
)
def test_bad_webhooks_name_the_field(payload: dict[str, Any], path: str) -> None:
    with pytest.raises(InputError) as caught:
        parse(payload, received_at=RECEIVED)
    assert path in [problem.path for problem in caught.value.problems]
