"""`compliance`: compliance check results, SOC 2 / ISO 27001 style (seed 004).

One result, a list, or a check run `{"results": [...], ...}` whose other keys (framework,
run id, timestamp) apply to every result that does not set them. A result names its control
(`controlId`/`control_id`, `controlTitle`), `framework`, `severity`, the outcome
(`result`/`status`: PASS or FAIL, also passed/failed/ok), `failureReason`, `evidenceId`.

FAIL → kind `control_failure`, firing; PASS → kind `control_pass`, status `resolved`, which
resolves the control's open ticket: both share the default fingerprint (source, framework,
control id), derived by `domain.fingerprint`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BeforeValidator, Field

from ticketbridge.domain import Alert, AlertLink, AlertStatus
from ticketbridge.domain.severity import Severity
from ticketbridge.sources._bounds import Timestamp, to_utc
from ticketbridge.sources._parsing import (
    NativeModel,
    NonEmptyStr,
    RawPayload,
    SeverityWord,
    derive_id,
    invalid,
    load_json,
    parse_each,
    validate,
    with_fingerprint,
)

SOURCE = "compliance"
_OUTCOMES = {
    "pass": "PASS",
    "passed": "PASS",
    "ok": "PASS",
    "success": "PASS",
    "compliant": "PASS",
    "fail": "FAIL",
    "failed": "FAIL",
    "failure": "FAIL",
    "non_compliant": "FAIL",
    "noncompliant": "FAIL",
}


def _outcome(value: object) -> object:
    if not isinstance(value, str):
        return value
    word = value.strip().lower().replace("-", "_").replace(" ", "_")
    if word not in _OUTCOMES:
        raise ValueError(f"unknown result {value!r}; use PASS or FAIL")
    return _OUTCOMES[word]


Outcome = Annotated[Literal["PASS", "FAIL"], BeforeValidator(_outcome)]


def _aliases(*names: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(*names))


class ComplianceResult(NativeModel):
    control_id: NonEmptyStr = Field(validation_alias=AliasChoices("controlId", "control_id"))
    control_title: NonEmptyStr | None = _aliases("controlTitle", "control_title", "title")
    framework: NonEmptyStr | None = None
    severity: SeverityWord = Severity.MEDIUM
    result: Outcome = Field(validation_alias=AliasChoices("result", "status", "outcome"))
    failure_reason: str | None = _aliases("failureReason", "failure_reason", "reason")
    evidence_id: NonEmptyStr | None = _aliases("evidenceId", "evidence_id")
    evidence_url: NonEmptyStr | None = _aliases("evidenceUrl", "evidence_url")
    control_url: NonEmptyStr | None = _aliases("controlUrl", "control_url")
    check_id: NonEmptyStr | None = _aliases(
        "checkRunId", "check_run_id", "checkId", "check_id", "runId", "run_id", "id"
    )
    checked_at: Timestamp | None = _aliases(
        "timestamp", "checkedAt", "checked_at", "detectedAt", "detected_at"
    )


def parse(
    payload: RawPayload,
    *,
    received_at: datetime,
    fingerprint_fields: Sequence[str] | None = None,
) -> list[Alert]:
    data = load_json(payload)
    return parse_each(
        _results(data),
        lambda path, entry: with_fingerprint(
            _alert(path, entry, received_at), None, fingerprint_fields
        ),
    )


def _results(data: Any) -> list[tuple[str, Any]]:
    if isinstance(data, list):
        return [(f"[{i}]", entry) for i, entry in enumerate(data)]
    if not (isinstance(data, dict) and "results" in data):
        return [("", data)]
    results = data["results"]
    if not isinstance(results, list):
        raise invalid("results", "expected a list")
    run = {k: v for k, v in data.items() if k != "results"}
    return [
        (f"results[{i}]", {**run, **entry} if isinstance(entry, dict) else entry)
        for i, entry in enumerate(results)
    ]


def _alert(path: str, entry: Any, received_at: datetime) -> Alert:
    model = validate(ComplianceResult, entry, path=path)
    failed = model.result == "FAIL"
    received = to_utc(received_at)
    name = f"[{model.control_id}] {model.control_title or model.control_id}"
    return Alert(
        id=f"{model.check_id}:{model.control_id}" if model.check_id else derive_id(SOURCE, entry),
        source=SOURCE,
        kind="control_failure" if failed else "control_pass",
        title=f"{name} - Compliance {'Failure' if failed else 'Pass'}",
        description=(model.failure_reason or "") if failed else "The control passes again.",
        severity=model.severity,
        confidence=None,
        status=AlertStatus.FIRING if failed else AlertStatus.RESOLVED,
        fingerprint="",
        attributes=_attributes(model),
        occurred_at=to_utc(model.checked_at) if model.checked_at else received,
        received_at=received,
        links=_links(model),
    )


def _attributes(model: ComplianceResult) -> dict[str, Any]:
    known = {
        "control_id": model.control_id,
        "control_title": model.control_title,
        "framework": model.framework,
        "result": model.result,
        "failure_reason": model.failure_reason,
        "evidence_id": model.evidence_id,
        "evidence_url": model.evidence_url,
        "control_url": model.control_url,
        "check_id": model.check_id,
    }
    return model.attributes_with(known)


def _links(model: ComplianceResult) -> tuple[AlertLink, ...]:
    links = []
    if model.evidence_url:
        links.append(AlertLink(title="View Evidence", url=model.evidence_url))
    if model.control_url:
        links.append(AlertLink(title="Control Details", url=model.control_url))
    return tuple(links)
