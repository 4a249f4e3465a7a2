"""The registry of native sources: `POST /v1/sources/{source}` looks the adapter up here.

An alert source has `parse_alerts`; `github` has `parse_push` (a `PushEvent` for the audit
trail, or None for GitHub's ping). Both are pure: bytes (or parsed JSON) in, values out, and
every bad payload is an `InputError` naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Protocol

from ticketbridge.domain import Alert
from ticketbridge.sources import (
    alertmanager,
    compliance,
    generic,
    github,
    keeptrusts,
    security,
    truthvouch,
)
from ticketbridge.sources._parsing import RawPayload
from ticketbridge.sources.model import PushEvent


class AlertParser(Protocol):
    def __call__(
        self,
        payload: RawPayload,
        *,
        received_at: datetime,
        fingerprint_fields: Sequence[str] | None = None,
    ) -> list[Alert]: ...


class PushParser(Protocol):
    def __call__(
        self,
        payload: RawPayload,
        *,
        received_at: datetime,
        key_pattern: str | re.Pattern[str] = ...,
    ) -> PushEvent | None: ...


@dataclass(frozen=True)
class SourceAdapter:
    """One native source: its name, what it is, and its pure parser (exactly one of the two)."""

    name: str
    summary: str
    parse_alerts: AlertParser | None = None
    parse_push: PushParser | None = None


SOURCES: Mapping[str, SourceAdapter] = MappingProxyType(
    {
        adapter.name: adapter
        for adapter in (
            SourceAdapter("generic", "ticketbridge Alert JSON", parse_alerts=generic.parse),
            SourceAdapter("truthvouch", "TruthVouch AI alerts", parse_alerts=truthvouch.parse),
            SourceAdapter("keeptrusts", "Keeptrusts escalations", parse_alerts=keeptrusts.parse),
            SourceAdapter("compliance", "compliance check results", parse_alerts=compliance.parse),
            SourceAdapter(
                "security", "SOC alerts with MITRE and custody", parse_alerts=security.parse
            ),
            SourceAdapter(
                "alertmanager", "Alertmanager webhook v4", parse_alerts=alertmanager.parse
            ),
            SourceAdapter("github", "GitHub push events", parse_push=github.parse),
        )
    }
)
