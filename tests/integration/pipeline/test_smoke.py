from __future__ import annotations

from pipeline_harness import Pipeline, alert

from ticketbridge.domain import DecisionKind
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.storage import Database


async def test_one_alert_one_issue(database: Database) -> None:
    jira = FakeProvider()
    pipe = Pipeline(database, jira)
    [result] = await pipe.send(alert(id="a1"))
    assert result.decision is DecisionKind.CREATE
    await pipe.drain()
    assert [i.summary for i in jira.issues.values()] == ["[high] Model invented a citation"]
