"""The pipeline writes its trail: each decision and each Jira write has its event, committed
with it, and the whole verifies. Through the real decider and outbox against FakeProvider."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from audit_harness import trail_for
from pipeline_harness import Pipeline, alert

from ticketbridge.domain.audit import EventType
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.services.audit_service import EventFilter
from ticketbridge.storage import Database


async def _types(pipe: Pipeline, tmp_path: Path) -> Counter[str]:
    trail = trail_for(pipe.db, tmp_path)
    events = await trail.events(EventFilter(), limit=1000)
    report = await trail.verifier.verify()
    assert report.ok, report.findings
    return Counter(e.type.value for e in events)


async def test_decisions_and_writes_are_in_the_trail(database: Database, tmp_path: Path) -> None:
    jira = FakeProvider()
    pipe = Pipeline(database, jira)
    await pipe.send(alert(id="a1"), alert(id="a2", title="other", kind="other"))
    await pipe.drain()
    await pipe.send(alert(id="a3"))  # a repeat of a1's fingerprint: the digest comment
    await pipe.drain()
    types = await _types(pipe, tmp_path)
    assert types[EventType.ALERT_RECEIVED] == 3
    assert types[EventType.ROUTED] == 3
    assert types[EventType.TICKET_CREATED] == 2
    assert types[EventType.TICKET_UPDATED] >= 1
    trail = trail_for(pipe.db, tmp_path)
    a1 = [e.document() for e in await trail.explain("generic/a1")]
    assert [d["type"] for d in a1] == ["ALERT_RECEIVED", "ROUTED", "TICKET_CREATED"]
    assert a1[1]["links"] == [{"type": "AUDIT_EVENT", "externalId": a1[0]["id"]}]
    assert a1[2]["links"][0]["type"] == "JIRA_TICKET"
    key = a1[2]["links"][0]["externalId"]
    assert key in {i.key for i in jira.issues.values()}
    by_key = await trail.events(EventFilter(ticket_key=key), limit=100)
    assert {e.type for e in by_key} >= {EventType.TICKET_CREATED, EventType.TICKET_UPDATED}


async def test_an_ignored_alert_has_its_receipt_and_decision(
    database: Database, tmp_path: Path
) -> None:
    yaml = "defaults:\n  min_severity: high\n"
    pipe = Pipeline(database, FakeProvider(), yaml=yaml)
    await pipe.send(alert(id="low", severity="low"))
    types = await _types(pipe, tmp_path)
    assert types == Counter({"ALERT_RECEIVED": 1, "ROUTED": 1})
