"""`truthvouch`: TruthVouch-style AI-governance alerts (seed 000).

Two shapes, both as the seed shows them: a detection (`title`, `description`, `severity`,
`confidence`, `query`, `response`, `category`, `dashboard_url`) and the sync-alert shape (`id`,
`title`, `severity`, `count`, `in_last_hour`). One alert, a list, or `{"alerts": [...]}`.

The kind is the payload's `kind`/`type` when given; else `policy_violation` when
`policy_violation` is true; else guessed from category and title (hallucination, verification,
policy); else `hallucination`, what TruthVouch detects most. The fingerprint is the payload's
`fingerprint` when given, else derived from the configured or default fields (`domain.fingerprint`).
A `status` of resolved/closed/dismissed resolves; that delivery's id is `<id>:resolved`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import AliasChoices, Field

from ticketbridge.domain import Alert, AlertLink, AlertStatus
from ticketbridge.domain.severity import Severity
from ticketbridge.sources._bounds import Timestamp, to_utc
from ticketbridge.sources._parsing import (
    Built,
    Confidence,
    LinkModel,
    NativeModel,
    NonEmptyStr,
    RawPayload,
    SeverityWord,
    derive_id,
    event_id,
    parse_batch,
    validate,
)

SOURCE = "truthvouch"
DASHBOARD_LINK_TITLE = "View in TruthVouch"
_RESOLVED_STATUSES = {"resolved", "closed", "dismissed", "acknowledged_resolved"}
_KIND_WORDS = (
    ("hallucinat", "hallucination"),
    ("verif", "verification_failure"),
    ("policy", "policy_violation"),
)


def _aliases(*names: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(*names))


class TruthVouchAlert(NativeModel):
    id: NonEmptyStr | None = _aliases("id", "alert_id", "alertId")
    title: NonEmptyStr
    description: str = ""
    severity: SeverityWord = Severity.MEDIUM
    confidence: Confidence | None = None
    kind: NonEmptyStr | None = _aliases("kind", "type", "alert_type", "alertType")
    category: NonEmptyStr | None = None
    query: str | None = None
    response: str | None = None
    dashboard_url: NonEmptyStr | None = _aliases("dashboard_url", "dashboardUrl")
    count: int | None = Field(default=None, ge=0)
    in_last_hour: bool | None = _aliases("in_last_hour", "inLastHour")
    policy_violation: bool | None = _aliases("policy_violation", "policyViolation")
    status: NonEmptyStr | None = None
    fingerprint: NonEmptyStr | None = None
    detected_at: Timestamp | None = _aliases(
        "detected_at", "detectedAt", "created", "created_at", "createdAt", "timestamp"
    )
    links: list[LinkModel] = Field(default_factory=list)


def parse(
    payload: RawPayload,
    *,
    received_at: datetime,
    fingerprint_fields: Sequence[str] | None = None,
) -> list[Alert]:
    return parse_batch(
        payload, _alert, received_at=received_at, fingerprint_fields=fingerprint_fields
    )


def _alert(path: str, entry: Any, received_at: datetime) -> Built:
    model = validate(TruthVouchAlert, entry, path=path)
    received = to_utc(received_at)
    status = _status(model.status)
    alert = Alert(
        id=event_id(model.id, status) if model.id else derive_id(SOURCE, entry),
        source=SOURCE,
        kind=_kind(model),
        title=model.title,
        description=model.description or _count_text(model),
        severity=model.severity,
        confidence=model.confidence,
        status=status,
        fingerprint="",
        attributes=_attributes(model),
        occurred_at=to_utc(model.detected_at) if model.detected_at else received,
        received_at=received,
        links=_links(model),
    )
    return Built(alert, model.fingerprint, model.id)


def _kind(model: TruthVouchAlert) -> str:
    if model.kind:
        return model.kind.strip().lower().replace(" ", "_").replace("-", "_")
    if model.policy_violation:
        return "policy_violation"
    text = f"{model.category or ''} {model.title}".lower()
    return next((kind for word, kind in _KIND_WORDS if word in text), "hallucination")


def _status(status: str | None) -> AlertStatus:
    resolved = bool(status and status.lower() in _RESOLVED_STATUSES)
    return AlertStatus.RESOLVED if resolved else AlertStatus.FIRING


def _count_text(model: TruthVouchAlert) -> str:
    if model.count is None:
        return ""
    noun = "occurrence" if model.count == 1 else "occurrences"
    return f"{model.count} {noun}" + (" in the last hour" if model.in_last_hour else "")


def _attributes(model: TruthVouchAlert) -> dict[str, Any]:
    known = {
        "category": model.category,
        "query": model.query,
        "response": model.response,
        "dashboard_url": model.dashboard_url,
        "count": model.count,
        "in_last_hour": model.in_last_hour,
        "policy_violation": model.policy_violation,
        "status": model.status,
    }
    return model.attributes_with(known)


def _links(model: TruthVouchAlert) -> tuple[AlertLink, ...]:
    links = [AlertLink(title=link.title, url=link.url) for link in model.links]
    if model.dashboard_url:
        links.insert(0, AlertLink(title=DASHBOARD_LINK_TITLE, url=model.dashboard_url))
    return tuple(links)
