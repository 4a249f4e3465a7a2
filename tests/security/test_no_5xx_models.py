"""Every input model, property-tested (issue 11 item 5): our Alert JSON (as POST /v1/alerts,
the library and the `generic` source parse it) and each native source's parser, given a real
fixture with one value made hostile, either refuse it with an `InputError` whose problems name
a path, or produce what the store, the pipeline's arithmetic and CEL can all take — never
another exception, which the API would answer with a 500."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from no5xx_strategies import NO_5XX, assert_storable, fixture_of, hostile_body

from ticketbridge.errors import InputError
from ticketbridge.services import parse_alert, parse_alerts
from ticketbridge.sources import SOURCES

RECEIVED = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
ALERT = {
    "id": "a-1",
    "title": "PII sent to an external model",
    "severity": "high",
    "occurred_at": "2026-03-02T14:22:11+01:00",
    "confidence": 0.9,
    "attributes": {"model": "gpt-4o", "score": 0.75, "tags": ["pii"], "n": 3},
    "links": [{"title": "Dashboard", "url": "https://example.test/a-1"}],
}


def _outcome(parse: Any, body: Any) -> None:
    try:
        result = parse(body)
    except InputError as refused:
        problems = refused.problems
    else:
        assert_storable(result)
        return
    assert problems, "an InputError says what is wrong"
    assert all(isinstance(p.path, str) and p.path for p in problems)


@pytest.mark.parametrize("source", sorted(SOURCES))
@NO_5XX
@given(data=st.data())
def test_a_native_source_refuses_or_yields_what_can_be_stored(
    source: str, data: st.DataObject
) -> None:
    adapter = SOURCES[source]
    parse = adapter.parse_alerts or adapter.parse_push
    assert parse is not None
    body = data.draw(hostile_body(fixture_of(source)))
    _outcome(lambda payload: parse(payload, received_at=RECEIVED), body)


@NO_5XX
@given(body=hostile_body([ALERT, {**ALERT, "id": "a-2"}]))
def test_posted_alert_json_refuses_or_yields_what_can_be_stored(body: bytes) -> None:
    _outcome(lambda payload: parse_alerts(payload, now=RECEIVED), body)


@NO_5XX
@given(body=hostile_body(ALERT))
def test_an_alert_the_library_passes_parsed_refuses_or_yields_what_can_be_stored(
    body: bytes,
) -> None:
    try:
        entry = json.loads(body)  # the json module: 1e400 is an infinity, as a caller's may be
    except (ValueError, RecursionError):
        return  # not JSON at all: nothing a library caller could pass
    _outcome(lambda payload: [parse_alert(payload, now=RECEIVED)], entry)
