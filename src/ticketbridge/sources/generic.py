"""Our own Alert JSON (SPEC §2): THE parser of it, for `POST /v1/alerts` (through
`services.intake`), the CLI, the library and the `generic` native source.

Every rule is here once:
- `title` and `severity` are required; `severity` is one of the five names or a synonym
  `Severity.parse` knows (any case); `status` is `firing`/`resolved` (any case).
- Defaults: `source` `generic`, `kind` `alert`, `status` `firing`, `occurred_at` = arrival.
- An entry without `id` gets one derived from the entry (`derive_id`): a retried delivery keeps
  its id, so ingest, idempotent on (source, id), stores it once.
- Timestamps end up aware UTC (no offset = UTC), between 1970 and 9000 (`Timestamp`); a
  sender's `received_at` is ignored (ours is the arrival time). Numbers are accepted where text
  is expected (`"id": 123`); numbers beyond a double's range (`1e400`) are refused anywhere.
- Unknown keys are kept in `attributes`; an explicit `attributes` key wins on a clash.
- Text the store cannot keep (NUL, over-long id/source/kind/fingerprint) is refused naming the
  field, with every other problem of every entry.
- The fingerprint: derived from the configured fields when the operator set some, else the one
  given, else derived from the source's default fields (`with_fingerprint`).
Which configured fields apply is the entry point's: the native source's own
(`sources.generic.fingerprint`) for all its alerts, `POST /v1/alerts` those of each alert's source.
Only the native source accepts the `{"alerts": [...]}` envelope (`envelope=`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints, TypeAdapter, ValidationError

from ticketbridge.domain import Alert, AlertLink, AlertStatus
from ticketbridge.sources._bounds import MAX_LENGTHS, NUL_FREE, Timestamp, in_range_numbers, to_utc
from ticketbridge.sources._parsing import (
    MAX_BATCH,
    Confidence,
    LinkModel,
    NativeModel,
    RawPayload,
    SeverityName,
    StatusWord,
    batch_entries,
    derive_id,
    load_json,
    parse_each,
    validate,
    with_fingerprint,
)

SOURCE = "generic"
FieldsFor = Callable[[str], Sequence[str] | None]
"""The configured fingerprint fields for an alert's source, or None (keep or derive the default)."""

# Text the store keeps, checked by pydantic-core itself (no Python call per field: this is the
# hot path of ingest). Names and ids are stripped and must not be blank; `source` and `kind`
# share one limit.
StoredId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=MAX_LENGTHS["id"], pattern=NUL_FREE
    ),
]
StoredName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=MAX_LENGTHS["kind"], pattern=NUL_FREE
    ),
]
StoredTitle = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, pattern=NUL_FREE)
]
StoredText = Annotated[str, StringConstraints(pattern=NUL_FREE)]  # free text, kept as sent


class GenericAlert(NativeModel):
    id: StoredId | None = None
    source: StoredName | None = None
    kind: StoredName = "alert"
    title: StoredTitle
    description: StoredText = ""
    severity: SeverityName
    confidence: Confidence | None = None
    status: StatusWord = AlertStatus.FIRING
    fingerprint: StoredId | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    occurred_at: Timestamp | None = None
    received_at: datetime | None = None  # ours is the arrival time; a sender's is ignored
    links: list[LinkModel] = Field(default_factory=list)


IdFor = Callable[[str, Any], str]  # (source, entry) → the id of an entry that has none


def _no_fields(_source: str) -> None:
    return None


def parse(
    payload: RawPayload,
    *,
    received_at: datetime,
    fingerprint_fields: Sequence[str] | None = None,
) -> list[Alert]:
    """The `generic` native source: one alert, a list, or `{"alerts": [...]}` (bytes, text or
    parsed JSON); `fingerprint_fields` (this source's configured ones) apply to every alert."""
    configured = tuple(fingerprint_fields) if fingerprint_fields else None
    return parse_alert_json(
        load_json(payload),
        received_at=received_at,
        fields_for=lambda _source: configured,
        envelope="alerts",
    )


def parse_alert_json(
    data: Any,
    *,
    received_at: datetime,
    fields_for: FieldsFor = _no_fields,
    max_batch: int = MAX_BATCH,
    envelope: str | None = None,
    id_for_missing: IdFor = derive_id,
) -> list[Alert]:
    """Parsed JSON (one alert, a list of 1 to `max_batch`, or `{envelope: [...]}` when one is
    named) → alerts; `InputError` naming every bad field of every entry (`[3].severity`).
    An entry without `id` gets `id_for_missing(source, entry)`."""
    received = to_utc(received_at)
    entries = batch_entries(data, envelope, "title", max_batch)
    models = _all_valid([entry for _, entry in entries])
    if models is not None:  # the common case: one pydantic-core call for the whole batch
        return [
            _alert(model, entry, received, fields_for, id_for_missing)
            for model, (_, entry) in zip(models, entries, strict=True)
        ]
    return parse_each(  # some entry is bad: find every problem, entry by entry, with its path
        entries,
        lambda path, entry: alert_from_entry(
            entry,
            path=path,
            received_at=received,
            fields_for=fields_for,
            id_for_missing=id_for_missing,
        ),
        check_storable=False,  # GenericAlert's own types refuse what the store cannot keep
    )


_ENTRIES = TypeAdapter(list[GenericAlert])


def _all_valid(entries: list[Any]) -> list[GenericAlert] | None:
    try:
        return _ENTRIES.validate_python(entries)
    except (ValidationError, RecursionError):
        return None


def alert_from_entry(
    entry: Any,
    *,
    path: str,
    received_at: datetime,
    fields_for: FieldsFor = _no_fields,
    id_for_missing: IdFor = derive_id,
) -> Alert:
    """One entry → `Alert`, or `InputError` naming its bad fields under `path`."""
    in_range_numbers(entry, path)  # a parsed entry (the library's) may hold any float
    model = validate(GenericAlert, entry, path=path)
    return _alert(model, entry, to_utc(received_at), fields_for, id_for_missing)


def _alert(
    model: GenericAlert,
    entry: Any,
    received: datetime,
    fields_for: FieldsFor,
    id_for_missing: IdFor,
) -> Alert:
    source = model.source or SOURCE
    given = model.fingerprint
    extras = model.model_extra
    alert = Alert(
        id=model.id or id_for_missing(source, entry),
        source=source,
        kind=model.kind,
        title=model.title,
        description=model.description,
        severity=model.severity,
        confidence=model.confidence,
        status=model.status,
        fingerprint=given or "",
        attributes={**extras, **model.attributes} if extras else model.attributes,
        occurred_at=model.occurred_at or received,
        received_at=received,
        links=tuple(AlertLink(link.title, link.url) for link in model.links) if model.links else (),
    )
    return with_fingerprint(alert, given, fields_for(source))
