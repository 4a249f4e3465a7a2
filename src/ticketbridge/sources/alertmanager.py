"""`alertmanager`: Prometheus Alertmanager webhook v4, one alert per entry of `alerts`.

Firing and resolved entries carry Alertmanager's `fingerprint` (a hash of the label set), so a
resolve finds the ticket its firing created. The id is the episode,
`<fingerprint>@<startsAt>`, and `<fingerprint>@<startsAt>:resolved` for its resolve (ingest is
idempotent on ids: a repeated notification is a duplicate, the resolve is not). An entry
without a fingerprint (very old Alertmanagers) gets the one Alertmanager computes (FNV-1a 64
over the sorted labels).
Title: `annotations.summary` (or `title`, or `labels.alertname`); description:
`annotations.description` (or `message`); severity: `labels.severity` with the usual words
(critical, warning → medium, info, none → info, page → critical), `medium` when absent or not a
severity word (labels are free-form, so an odd value never refuses an alert).
Attributes keep every key as Alertmanager names it: `labels`, `annotations`, `startsAt`,
`endsAt`, `generatorURL` and the group's `receiver`, `groupKey`, `groupLabels`, `commonLabels`,
`commonAnnotations`, `externalURL`, `notification_reason`, `truncatedAlerts`, and any key a
later version adds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import Field

from ticketbridge.domain import Alert, AlertLink
from ticketbridge.domain.severity import Severity
from ticketbridge.sources._bounds import Timestamp, to_utc
from ticketbridge.sources._parsing import (
    NativeModel,
    NonEmptyStr,
    RawPayload,
    StatusWord,
    event_id,
    invalid,
    load_json,
    parse_each,
    severity_from_word,
    validate,
    with_fingerprint,
)

SOURCE = "alertmanager"
_FNV64_OFFSET = 14695981039346656037
_FNV64_PRIME = 1099511628211
_SEPARATOR = 0xFF  # prometheus/common model.SeparatorByte
_LINK_ANNOTATIONS = (("runbook_url", "Runbook"), ("dashboard_url", "Dashboard"))


class AlertmanagerAlert(NativeModel):
    status: StatusWord | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: Timestamp | None = None
    endsAt: datetime | None = None
    generatorURL: str | None = None
    fingerprint: NonEmptyStr | None = None


class AlertmanagerWebhook(NativeModel):
    version: str | None = None
    status: StatusWord | None = None
    alerts: list[AlertmanagerAlert]


def label_fingerprint(labels: dict[str, str]) -> str:
    """Alertmanager's fingerprint of a label set (prometheus/common `LabelSet.Fingerprint`)."""
    value = _FNV64_OFFSET
    for name in sorted(labels):
        for chunk in (name.encode(), bytes([_SEPARATOR]), labels[name].encode()):
            for byte in chunk:
                value = ((value ^ byte) * _FNV64_PRIME) % 2**64
        value = ((value ^ _SEPARATOR) * _FNV64_PRIME) % 2**64
    return f"{value:016x}"


def parse(
    payload: RawPayload,
    *,
    received_at: datetime,
    fingerprint_fields: Sequence[str] | None = None,
) -> list[Alert]:
    data = load_json(payload)
    webhook = validate(AlertmanagerWebhook, data)
    group = _group_attributes(data)
    items = [(f"alerts[{i}]", (alert, data["alerts"][i])) for i, alert in enumerate(webhook.alerts)]
    return parse_each(
        items,
        lambda path, pair: _alert(path, pair, webhook, group, received_at, fingerprint_fields),
    )


def _group_attributes(data: dict[str, Any]) -> dict[str, Any]:
    """Everything of the notification but its alerts and version: receiver, groupKey, ..."""
    return {k: v for k, v in data.items() if k not in {"alerts", "version", "status"}}


def _alert(
    path: str,
    pair: tuple[AlertmanagerAlert, Any],
    webhook: AlertmanagerWebhook,
    group: dict[str, Any],
    received_at: datetime,
    fingerprint_fields: Sequence[str] | None,
) -> Alert:
    alert, raw = pair
    status = alert.status or webhook.status
    if status is None:
        raise invalid(f"{path}.status", "Field required (neither the alert nor the group has one)")
    fingerprint = alert.fingerprint or label_fingerprint(alert.labels)
    received = to_utc(received_at)
    starts_at = to_utc(alert.startsAt) if alert.startsAt else received
    labels, annotations = alert.labels, alert.annotations
    episode = f"{fingerprint}@{starts_at.isoformat()}"  # one firing, from start to resolve
    parsed = Alert(
        id=event_id(episode, status),
        source=SOURCE,
        kind=labels.get("kind", "alert"),
        title=_title(labels, annotations, fingerprint),
        description=annotations.get("description") or annotations.get("message") or "",
        severity=_severity(labels.get("severity")),
        confidence=None,
        status=status,
        fingerprint=fingerprint,
        attributes={**group, **raw, "fingerprint": fingerprint, "status": status.value},
        occurred_at=starts_at,
        received_at=received,
        links=_links(alert, group),
    )
    return with_fingerprint(parsed, fingerprint, fingerprint_fields, identity=episode)


def _title(labels: dict[str, str], annotations: dict[str, str], fingerprint: str) -> str:
    for text in (annotations.get("summary"), annotations.get("title"), labels.get("alertname")):
        if text and text.strip():
            return text.strip()
    return f"Alert {fingerprint}"


def _severity(label: str | None) -> Severity:
    if label is None:
        return Severity.MEDIUM
    try:
        return severity_from_word(label)
    except ValueError:
        return Severity.MEDIUM


def _links(alert: AlertmanagerAlert, group: dict[str, Any]) -> tuple[AlertLink, ...]:
    links = []
    if alert.generatorURL:
        links.append(AlertLink(title="Generator", url=alert.generatorURL))
    for key, title in _LINK_ANNOTATIONS:
        if alert.annotations.get(key):
            links.append(AlertLink(title=title, url=alert.annotations[key]))
    external = group.get("externalURL")
    if isinstance(external, str) and external:
        links.append(AlertLink(title="Alertmanager", url=external))
    return tuple(links)
