"""The normalized alert of SPEC §2: what every source adapter produces and the pipeline consumes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ticketbridge.domain.severity import Severity


class AlertStatus(StrEnum):
    """The source's view of its alert: still happening, or over (a control passing again)."""

    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class AlertLink:
    title: str
    url: str


@dataclass(frozen=True)
class Alert:
    """One alert. `attributes` keeps everything the source sent beyond the named fields, whole.

    `fingerprint` is always set: given by the source or derived (see `domain.fingerprint`).
    Datetimes are timezone-aware (UTC).
    """

    id: str
    source: str
    kind: str
    title: str
    severity: Severity
    fingerprint: str
    occurred_at: datetime
    received_at: datetime
    description: str = ""
    confidence: float | None = None
    status: AlertStatus = AlertStatus.FIRING
    attributes: Mapping[str, Any] = field(default_factory=dict)
    links: tuple[AlertLink, ...] = ()

    def as_mapping(self) -> dict[str, Any]:
        """The alert as plain data: what rules (CEL) and templates (Jinja2) see."""
        return {
            "id": self.id,
            "source": self.source,
            "kind": self.kind,
            "title": self.title,
            "description": self.description,
            "severity": self.severity.value,
            "confidence": self.confidence,
            "status": self.status.value,
            "fingerprint": self.fingerprint,
            "attributes": dict(self.attributes),
            "occurred_at": self.occurred_at.isoformat(),
            "received_at": self.received_at.isoformat(),
            "links": [{"title": link.title, "url": link.url} for link in self.links],
        }
