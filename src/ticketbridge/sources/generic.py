"""`generic`: our own Alert JSON (SPEC §2), one alert, a list, or `{"alerts": [...]}`.

Keys the Alert does not define are kept in `attributes` (explicit `attributes` win on a clash).
Missing fields get defaults: id derived from the entry (a retried delivery keeps its id), kind
`alert`, status `firing`, occurred_at = received_at; `severity` and `title` are required, as on
`POST /v1/alerts`. The fingerprint is the one given, else derived (`domain.fingerprint`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import Field

from ticketbridge.domain import Alert, AlertLink, AlertStatus
from ticketbridge.sources._parsing import (
    Built,
    Confidence,
    LinkModel,
    NativeModel,
    NonEmptyStr,
    RawPayload,
    SeverityWord,
    StatusWord,
    derive_id,
    parse_batch,
    to_utc,
    validate,
)

__all__ = ["SOURCE", "GenericAlert", "parse"]

SOURCE = "generic"


class GenericAlert(NativeModel):
    id: NonEmptyStr | None = None
    source: NonEmptyStr | None = None
    kind: NonEmptyStr = "alert"
    title: NonEmptyStr
    description: str = ""
    severity: SeverityWord
    confidence: Confidence | None = None
    status: StatusWord = AlertStatus.FIRING
    fingerprint: NonEmptyStr | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    occurred_at: datetime | None = None
    received_at: datetime | None = None  # ours is the arrival time; a sender's is ignored
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
    model = validate(GenericAlert, entry, path=path)
    source = model.source or SOURCE
    received = to_utc(received_at)
    alert = Alert(
        id=model.id or derive_id(source, entry),
        source=source,
        kind=model.kind,
        title=model.title,
        description=model.description,
        severity=model.severity,
        confidence=model.confidence,
        status=model.status,
        fingerprint="",
        attributes={**model.extras(), **model.attributes},
        occurred_at=to_utc(model.occurred_at) if model.occurred_at else received,
        received_at=received,
        links=tuple(AlertLink(title=link.title, url=link.url) for link in model.links),
    )
    return Built(alert, model.fingerprint)
