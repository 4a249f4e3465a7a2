"""Alert payloads (a mapping, or a list of them) → validated domain `Alert`s, for
`POST /v1/alerts`, the CLI and the library.

The rules of our Alert JSON live once, in `ticketbridge.sources.generic` (the `generic` native
source parses the same format); this module only says what differs at this entry point: the
configured fingerprint fields are those of each alert's source, the batch limit is the caller's,
there is no `{"alerts": [...]}` envelope, and an alert without `id` gets a new one
(`occurrence_id`). Bad input raises `InputError` whose problems name
each field by path (`[3].severity`), so the API can answer 422 with them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ticketbridge.domain import Alert
from ticketbridge.sources.generic import MAX_BATCH, alert_from_entry, load_json, parse_alert_json

__all__ = ["parse_alert", "parse_alerts"]

_NO_FIELDS: Mapping[str, Sequence[str]] = {}


def parse_alert(
    data: Any,
    *,
    now: datetime,
    fingerprint_fields: Mapping[str, Sequence[str]] | None = None,
    path: str = "",
) -> Alert:
    """One alert payload → `Alert`, or `InputError` naming every bad field (under `path`)."""
    fields = fingerprint_fields or _NO_FIELDS
    return alert_from_entry(
        data, path=path, received_at=now, fields_for=fields.get, id_for_missing=occurrence_id
    )


def parse_alerts(
    data: Any,
    *,
    now: datetime,
    fingerprint_fields: Mapping[str, Sequence[str]] | None = None,
    max_batch: int = MAX_BATCH,
) -> list[Alert]:
    """One alert or a list of up to `max_batch` (JSON bytes or text, or parsed); every problem
    of every element is reported. `fingerprint_fields` maps a source to its configured fields
    (`sources.<name>.fingerprint`)."""
    fields = fingerprint_fields or _NO_FIELDS
    return parse_alert_json(
        load_json(data),
        received_at=now,
        fields_for=fields.get,
        max_batch=max_batch,
        id_for_missing=occurrence_id,
    )


def occurrence_id(_source: str, _entry: Any) -> str:
    """A posted alert without `id` is one occurrence: the same alert posted twice is a repeat
    (counted, or a reopen once done), never a retry to swallow. Native deliveries (the
    `generic` source) derive the id from the entry instead, because webhooks are redelivered.
    A retried POST without id costs one occurrence more in the digest, never a second ticket:
    the fingerprint holds that."""
    return uuid.uuid4().hex
