"""`security`: SOC alerts with MITRE ATT&CK and chain-of-custody data (seed 003, SentinelIQ).

Shape: `title`, `message`, `priority` (low, medium, high, critical, urgent), optional `id`,
`type`, `status`, `url`, `timestamp`; `mitre: {tactics: [...], techniques: [...]}` where an entry
is an id string (`TA0002`, `T1059.001`), a name string (`PowerShell`) or `{id, name}`;
`evidence: [{id, name, hashes: {md5, sha1, sha256}, custodyLog: [{action, actor, timestamp}]}]`
and an alert-level `custodyLog`. Hashes are checked (hex of the right length, lower-cased): the
chain of custody is only worth something if its hashes are well formed.

Normalized into `attributes.mitre = {tactics: [{id, name}], techniques: [{id, name}]}` and
`attributes.custody = {evidence: [...], log: [...]}`; everything else kept as sent. A status of
resolved/closed/dismissed resolves; that delivery's id is `<id>:resolved`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import AliasChoices, BeforeValidator, Field, model_validator

from ticketbridge.domain import Alert, AlertLink, AlertStatus
from ticketbridge.domain.severity import Severity
from ticketbridge.sources._bounds import Timestamp, to_utc
from ticketbridge.sources._parsing import (
    Built,
    NativeModel,
    NonEmptyStr,
    RawPayload,
    SeverityWord,
    derive_id,
    event_id,
    parse_batch,
    validate,
)

SOURCE = "security"
_TACTIC_ID = re.compile(r"^TA\d{4}$")
_TECHNIQUE_ID = re.compile(r"^T\d{4}(\.\d{3})?$")
_RESOLVED_STATUSES = {"resolved", "closed", "dismissed"}


def _aliases(*names: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(*names))


def _hex(length: int, algorithm: str) -> Any:
    def check(value: object) -> object:
        if isinstance(value, str) and not re.fullmatch(rf"[0-9a-fA-F]{{{length}}}", value):
            raise ValueError(f"expected {length} hex digits for {algorithm}")
        return value.lower() if isinstance(value, str) else value

    return BeforeValidator(check)


def _mitre_entry(pattern: re.Pattern[str]) -> Any:
    def entry(value: object) -> object:
        if isinstance(value, str):
            return {"id": value} if pattern.match(value.strip()) else {"name": value}
        return value

    return BeforeValidator(entry)


class _MitreRef(NativeModel):
    id: NonEmptyStr | None = None
    name: NonEmptyStr | None = None

    @model_validator(mode="after")
    def _named(self) -> _MitreRef:
        if self.id is None and self.name is None:
            raise ValueError("a MITRE entry needs an id or a name")
        return self


class _Tactic(_MitreRef):
    id: Annotated[NonEmptyStr, Field(pattern=_TACTIC_ID.pattern)] | None = None


class _Technique(_MitreRef):
    id: Annotated[NonEmptyStr, Field(pattern=_TECHNIQUE_ID.pattern)] | None = None


class Mitre(NativeModel):
    tactics: list[Annotated[_Tactic, _mitre_entry(_TACTIC_ID)]] = Field(default_factory=list)
    techniques: list[Annotated[_Technique, _mitre_entry(_TECHNIQUE_ID)]] = Field(
        default_factory=list
    )


class Hashes(NativeModel):
    md5: Annotated[str, _hex(32, "MD5")] | None = None
    sha1: Annotated[str, _hex(40, "SHA1")] | None = None
    sha256: Annotated[str, _hex(64, "SHA256")] | None = None


class CustodyEntry(NativeModel):
    action: NonEmptyStr
    actor: NonEmptyStr | None = _aliases("actor", "by", "user", "handler")
    timestamp: datetime | None = _aliases("timestamp", "at", "time")
    notes: str | None = None


class Evidence(NativeModel):
    id: NonEmptyStr | None = _aliases("id", "evidenceId", "evidence_id")
    name: NonEmptyStr | None = None
    hashes: Hashes = Field(default_factory=Hashes)
    custody_log: list[CustodyEntry] = Field(
        default_factory=list, validation_alias=AliasChoices("custodyLog", "custody_log")
    )


class SecurityAlert(NativeModel):
    id: NonEmptyStr | None = _aliases("id", "alertId", "alert_id")
    title: NonEmptyStr
    message: str = Field(default="", validation_alias=AliasChoices("message", "description"))
    priority: SeverityWord = Field(
        default=Severity.MEDIUM, validation_alias=AliasChoices("priority", "severity")
    )
    kind: NonEmptyStr = Field(
        default="security_alert", validation_alias=AliasChoices("kind", "type")
    )
    status: NonEmptyStr | None = None
    url: NonEmptyStr | None = _aliases("url", "link", "alertUrl", "alert_url")
    timestamp: Timestamp | None = _aliases("timestamp", "createdAt", "created_at", "detectedAt")
    fingerprint: NonEmptyStr | None = None
    mitre: Mitre = Field(default_factory=Mitre)
    evidence: list[Evidence] = Field(default_factory=list)
    custody_log: list[CustodyEntry] = Field(
        default_factory=list,
        validation_alias=AliasChoices("custodyLog", "custody_log", "chainOfCustody"),
    )


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
    model = validate(SecurityAlert, entry, path=path)
    received = to_utc(received_at)
    resolved = bool(model.status and model.status.lower() in _RESOLVED_STATUSES)
    status = AlertStatus.RESOLVED if resolved else AlertStatus.FIRING
    alert = Alert(
        id=event_id(model.id, status) if model.id else derive_id(SOURCE, entry),
        source=SOURCE,
        kind=model.kind,
        title=model.title,
        description=model.message,
        severity=model.priority,
        confidence=None,
        status=status,
        fingerprint="",
        attributes=_attributes(model),
        occurred_at=to_utc(model.timestamp) if model.timestamp else received,
        received_at=received,
        links=(AlertLink(title="View alert", url=model.url),) if model.url else (),
    )
    return Built(alert, model.fingerprint, model.id)


def _attributes(model: SecurityAlert) -> dict[str, Any]:
    attributes: dict[str, Any] = model.extras()
    if model.status:
        attributes["status"] = model.status
    attributes["mitre"] = {
        "tactics": [_plain(t) for t in model.mitre.tactics],
        "techniques": [_plain(t) for t in model.mitre.techniques],
        **model.mitre.extras(),
    }
    attributes["custody"] = {
        "evidence": [_plain(item) for item in model.evidence],
        "log": [_plain(entry) for entry in model.custody_log],
    }
    return attributes


def _plain(model: NativeModel) -> dict[str, Any]:
    """JSON-ready dict of a nested model: field names, no empty values, ISO timestamps."""
    dumped = model.model_dump(mode="json", exclude_none=True)
    return {k: v for k, v in dumped.items() if v not in ({}, [])}
