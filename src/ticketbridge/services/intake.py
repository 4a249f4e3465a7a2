"""Alert payloads (a mapping, or a list of them) → validated domain `Alert`s, for
`POST /v1/alerts`, the CLI and the library; and `AlertIntake`, the use case behind
`POST /v1/alerts`: parse, check that the caller speaks for each alert's source, accept.

The rules of our Alert JSON live once, in `ticketbridge.sources.generic` (the `generic` native
source parses the same format); this module only says what differs at this entry point: the
configured fingerprint fields are those of each alert's source, the batch limit is the caller's,
there is no `{"alerts": [...]}` envelope, and an alert without `id` gets a new one
(`occurrence_id`). Bad input raises `InputError` whose problems name
each field by path (`[3].severity`), so the API can answer 422 with them.

An alert's source is its caller's (SPEC §2): an API key speaks for the sources it was granted,
a native source's credential for that source alone. Ingest is idempotent on (source, id), so
without this check whoever can post anything could take a source's ids before it does (its
genuine delivery would be answered `duplicate`); with it, each source's ids are its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from ticketbridge.clock import Clock
from ticketbridge.domain import Alert
from ticketbridge.errors import Problem, SourceNotGranted
from ticketbridge.services.ticket_wait import Answer, Wait, WaitingIngest
from ticketbridge.sources._parsing import MAX_BATCH as MAX_BATCH  # the API's batch limit too
from ticketbridge.sources._parsing import load_json
from ticketbridge.sources.generic import alert_from_entry, parse_alert_json

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


def check_granted(alerts: Sequence[Alert], granted: Collection[str], *, listed: bool) -> None:
    """`SourceNotGranted` naming each alert whose source is not one of `granted` (`[i].source`
    in a `listed` payload, else `source`); nothing is accepted then."""
    refused = [(i, a.source) for i, a in enumerate(alerts) if a.source not in granted]
    if not refused:
        return
    speaks_for = ", ".join(sorted(granted)) or "no source"
    problems = [
        Problem(
            f"[{i}].source" if listed else "source",
            f"{source[:64]!r} is not a source this caller speaks for (it speaks for: {speaks_for})",
        )
        for i, source in refused[:100]
    ]
    raise SourceNotGranted("the caller may not post alerts for these sources", problems)


class AlertIntake:
    """`POST /v1/alerts`: our Alert JSON from a caller granted `granted` sources."""

    def __init__(
        self,
        accepting: WaitingIngest,
        clock: Clock,
        *,
        fingerprint_fields: Mapping[str, Sequence[str]],
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._accepting = accepting
        self._clock = clock
        self._fields = fingerprint_fields
        self._max_batch = max_batch

    async def post(
        self, body: bytes, *, granted: Collection[str], wait: Wait = Wait.COMMIT
    ) -> Answer:
        """Parse (`InputError` naming every bad field), check the sources
        (`SourceNotGranted`), accept; answer once what `wait` waits for is there."""
        data = load_json(body)
        alerts = parse_alerts(
            data, now=self._clock(), fingerprint_fields=self._fields, max_batch=self._max_batch
        )
        check_granted(alerts, granted, listed=isinstance(data, list))
        return await self._accepting.ingest(alerts, wait)
