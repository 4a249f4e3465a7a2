"""Alert payloads (a mapping, or a list of them) → validated domain `Alert`s.

Bad input raises `InputError` whose problems name each field by path (`[3].severity`), so the
API can answer 422 with them. Unknown keys are kept in `attributes`, never rejected.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ticketbridge.domain import (
    Alert,
    AlertLink,
    AlertStatus,
    Severity,
    derive_fingerprint,
    fingerprint_fields_for,
)
from ticketbridge.errors import InputError, Problem

__all__ = ["parse_alert", "parse_alerts"]


class _LinkIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    title: str = ""
    url: str = Field(min_length=1)


class _AlertIn(BaseModel):
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    id: str | None = Field(default=None, min_length=1, max_length=255)
    source: str = Field(default="generic", min_length=1, max_length=64)
    kind: str = Field(default="alert", min_length=1, max_length=64)
    title: str = Field(min_length=1)
    description: str = ""
    severity: Severity
    confidence: float | None = Field(default=None, ge=0, le=1)
    status: AlertStatus = AlertStatus.FIRING
    fingerprint: str | None = Field(default=None, min_length=1, max_length=255)
    attributes: dict[str, Any] = Field(default_factory=dict)
    occurred_at: datetime | None = None
    received_at: datetime | None = None
    links: list[_LinkIn] = Field(default_factory=list)

    @field_validator("severity", mode="before")
    @classmethod
    def _severity(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return Severity.parse(value)
            except ValueError:
                raise ValueError(
                    f"unknown severity {value!r}; use one of {', '.join(s.value for s in Severity)}"
                ) from None
        return value

    @field_validator("id", "source", "kind", "title", "description", "fingerprint")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        # PostgreSQL text cannot hold U+0000: a 422 naming the field, not a database error.
        if value is not None and "\x00" in value:
            raise ValueError("must not contain NUL characters (U+0000)")
        return value

    @field_validator("occurred_at", "received_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None


def _problems(error: ValidationError, prefix: str) -> list[Problem]:
    problems = []
    for item in error.errors():
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in item["loc"])
        problems.append(Problem(f"{prefix}{path}".lstrip("."), item["msg"]))
    return problems


def _to_alert(
    model: _AlertIn, now: datetime, fingerprint_fields: Mapping[str, Sequence[str]]
) -> Alert:
    attributes = dict(model.attributes)
    attributes.update(model.model_extra or {})  # unknown keys are kept, never rejected
    alert = Alert(
        id=model.id or uuid.uuid4().hex,
        source=model.source,
        kind=model.kind,
        title=model.title,
        description=model.description,
        severity=model.severity,
        confidence=model.confidence,
        status=model.status,
        fingerprint=model.fingerprint or "",
        attributes=attributes,
        occurred_at=model.occurred_at or now,
        received_at=now,
        links=tuple(AlertLink(link.title, link.url) for link in model.links),
    )
    if alert.fingerprint:
        return alert
    fields = fingerprint_fields_for(alert.source, fingerprint_fields)
    derived = derive_fingerprint(alert.as_mapping(), fields)
    return Alert(**{**alert.__dict__, "fingerprint": derived})


def parse_alert(
    data: Any,
    *,
    now: datetime,
    fingerprint_fields: Mapping[str, Sequence[str]] | None = None,
    path: str = "",
) -> Alert:
    """One alert payload → `Alert`, or `InputError` naming every bad field."""
    if not isinstance(data, Mapping):
        raise InputError("invalid alert", [Problem(path or "$", "expected an object")])
    try:
        model = _AlertIn.model_validate(data)
    except ValidationError as error:
        raise InputError("invalid alert", _problems(error, path)) from None
    return _to_alert(model, now, fingerprint_fields or {})


def parse_alerts(
    data: Any,
    *,
    now: datetime,
    fingerprint_fields: Mapping[str, Sequence[str]] | None = None,
    max_batch: int = 1000,
) -> list[Alert]:
    """One alert or a list of up to `max_batch`; every problem of every element is reported."""
    if isinstance(data, Mapping):
        return [parse_alert(data, now=now, fingerprint_fields=fingerprint_fields)]
    if not isinstance(data, list):
        raise InputError("invalid alerts", [Problem("$", "expected an object or a list")])
    if not data or len(data) > max_batch:
        raise InputError(
            "invalid alerts", [Problem("$", f"expected 1 to {max_batch} alerts, got {len(data)}")]
        )
    alerts: list[Alert] = []
    problems: list[Problem] = []
    for index, item in enumerate(data):
        try:
            alerts.append(
                parse_alert(item, now=now, fingerprint_fields=fingerprint_fields, path=f"[{index}]")
            )
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise InputError("invalid alerts", problems)
    return alerts
