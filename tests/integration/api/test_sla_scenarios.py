"""Scenario tables of the SLA clocks, on SQLite and a real PostgreSQL: an alert detected at
`BASE` (high: first response 1 h, resolution 4 h, paused in "Waiting for customer", at risk at
75%), its issue's life in Jira as signed deliveries through POST /v1/jira/webhook applied by the
real sink (which stores the events), then the scheduler's SLA scan at a given moment — and what
GET /v1/tickets (`?sla=`) and GET /v1/alerts/{id} say. A changed SLA recomputes history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from api_harness import Api, open_api
from sync_harness import BASE, issue_event, issue_id, jira_time, later, linked_ticket
from sync_harness import post_delivery as post
from test_jira_sync_scenarios import JIRA, OURS, applier

from support.postgres import database_url, postgres_server
from ticketbridge import bootstrap
from ticketbridge.config.schema import Config
from ticketbridge.domain import JobKind

__all__ = ["database_url", "postgres_server"]

HOUR = 3600.0
SLA = {
    "first_response": {"high": "1h"},
    "resolution": {"high": "4h"},
    "pause": ["Waiting for customer"],
    "at_risk": 0.75,
}
WAITING = {"category": "indeterminate", "status_id": "10200", "status_name": "Waiting for customer"}


def ev(seconds: float, **values: Any) -> dict[str, Any]:
    return issue_event("OPS-1", at=later(seconds), **values)


def comment(seconds: float, author: str, n: int = 1) -> dict[str, Any]:
    """A Cloud `comment_created` delivery on OPS-1."""
    return {
        "timestamp": int(later(seconds).timestamp() * 1000),
        "webhookEvent": "comment_created",
        "comment": {
            "id": str(500 + n),
            "created": jira_time(later(seconds)),
            "author": {"accountId": author},
            "body": "looking",
        },
        "issue": {"id": issue_id("OPS-1"), "key": "OPS-1"},
    }


@dataclass(frozen=True)
class Row:
    """The deliveries, when the scan runs (seconds after detection), and what it finds: the
    state and when the ticket got at risk / breached (seconds after detection, None: not)."""

    incoming: list[dict[str, Any]]
    scan_at: float
    state: str
    at_risk: float | None
    breached: float | None


SCENARIOS: dict[str, Row] = {
    # first response: whichever comes first of these three
    "an assignment is a first response": Row(
        [ev(600, assignee="human-2")], 2 * HOUR, "running", None, None
    ),
    "a transition out of new is a first response": Row(
        [ev(600, category="indeterminate")], 2 * HOUR, "running", None, None
    ),
    "another account's comment is a first response": Row(
        [comment(600, "human-2")], 2 * HOUR, "running", None, None
    ),
    "our own comment is none": Row([comment(600, OURS)], 2 * HOUR, "breached", 2700, HOUR),
    "our own transition is none": Row(
        [ev(600, category="indeterminate", user=OURS)], 2 * HOUR, "breached", 2700, HOUR
    ),
    "no response within the hour breaches": Row([], 2 * HOUR, "breached", 2700, HOUR),
    "45 minutes without a response is at risk": Row([], 50 * 60, "at_risk", 2700, None),
    # resolution: at risk at 3 h, breached at 4 h
    "at risk after 3 hours open": Row(
        [ev(600, assignee="human-2")], 3.5 * HOUR, "at_risk", 3 * HOUR, None
    ),
    "open for 5 hours breaches": Row(
        [ev(600, assignee="human-2")], 5 * HOUR, "breached", 3 * HOUR, 4 * HOUR
    ),
    "done in time is met": Row(
        [ev(600, category="indeterminate"), ev(HOUR, category="done")], 10 * HOUR, "met", None, None
    ),
    # pause: two hours waiting for the customer do not count
    "a pause stops the clocks": Row(
        [
            ev(600, category="indeterminate"),
            ev(1200, **WAITING),
            ev(1200 + 2 * HOUR, category="indeterminate"),
        ],
        4.5 * HOUR,
        "running",
        None,
        None,
    ),
    "a pause pushes the breach later": Row(
        [
            ev(600, category="indeterminate"),
            ev(1200, **WAITING),
            ev(1200 + 2 * HOUR, category="indeterminate"),
        ],
        7 * HOUR,
        "breached",
        5 * HOUR,
        6 * HOUR,
    ),
}


class Moment:
    """The container's clock: detection at BASE, moved on to scan."""

    def __init__(self) -> None:
        self.now = BASE

    def __call__(self) -> datetime:
        return self.now


def seconds(value: str | None) -> float | None:
    if value is None:
        return None
    return (datetime.fromisoformat(value) - BASE).total_seconds()


async def sla_of(api: Api, alert_id: str) -> dict[str, Any] | None:
    response = await api.client.get(f"/v1/alerts/{alert_id}", headers=api.auth("read"))
    assert response.status_code == 200, response.text
    found: dict[str, Any] | None = response.json()["sla"]
    return found


async def listed(api: Api, sla: str) -> list[str]:
    response = await api.client.get(f"/v1/tickets?sla={sla}", headers=api.auth("read"))
    assert response.status_code == 200, response.text
    return [t["ticket"]["key"] for t in response.json()["items"]]


async def scan(api: Api, config: Config, clock: Moment, at: float, *, every: bool = False) -> None:
    clock.now = later(at)
    database = bootstrap.uow_factory(api.container.database)
    clocks = bootstrap.sla_clocks(config, database, clock)
    assert clocks is not None
    await (clocks.recompute() if every else clocks.scan())


async def deliver(api: Api, bodies: list[dict[str, Any]]) -> None:
    apply = applier(api)
    for n, body in enumerate(bodies):
        await post(api, body, f"d-{n}")
    await apply.apply_all()


def configured(sla: dict[str, Any]) -> Config:
    return Config.model_validate({"jira": JIRA, "defaults": {"sla": sla}})


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_scenario(tmp_path: Path, database_url: str, name: str) -> None:
    row, clock, config = SCENARIOS[name], Moment(), configured(SLA)
    async with open_api(tmp_path, config, database_url=database_url, clock=clock) as api:
        alert_id = await linked_ticket(api, 1, "OPS-1")
        await deliver(api, row.incoming)
        await scan(api, config, clock, row.scan_at)
        sla = await sla_of(api, alert_id)
        assert sla is not None
        found = (sla["state"], seconds(sla["at_risk_at"]), seconds(sla["breached_at"]))
        assert found == (row.state, row.at_risk, row.breached)
        for state in ("at_risk", "breached"):
            assert await listed(api, state) == (["OPS-1"] if row.state == state else [])


async def test_a_changed_sla_recomputes_history(tmp_path: Path, database_url: str) -> None:
    """Resolved after 5 hours: breached under a 4 h budget. With 8 h configured afterwards,
    the scan leaves a breach as it is, `sla recompute` finds it met."""
    clock, before = Moment(), configured(SLA)
    after = configured({**SLA, "resolution": {"high": "8h"}})
    async with open_api(tmp_path, before, database_url=database_url, clock=clock) as api:
        alert_id = await linked_ticket(api, 1, "OPS-1")
        await deliver(api, [ev(600, category="indeterminate"), ev(5 * HOUR, category="done")])
        await scan(api, before, clock, 6 * HOUR)
        assert await listed(api, "breached") == ["OPS-1"]
        await scan(api, after, clock, 7 * HOUR)
        assert (await sla_of(api, alert_id) or {})["state"] == "breached"
        await scan(api, after, clock, 7 * HOUR, every=True)
        assert await sla_of(api, alert_id) == {
            "state": "met",
            "at_risk_at": None,
            "breached_at": None,
        }
        assert await listed(api, "breached") == []


async def test_the_events_are_recorded_once_however_often_delivered(
    tmp_path: Path, database_url: str
) -> None:
    """A delivery repeated (Jira retries) and a snapshot applied twice store each event once:
    the clocks see one comment, one assignment."""
    clock, config = Moment(), configured(SLA)
    async with open_api(tmp_path, config, database_url=database_url, clock=clock) as api:
        await linked_ticket(api, 1, "OPS-1")
        bodies = [ev(600, assignee="human-2"), comment(700, "human-2")]
        await deliver(api, bodies + bodies)
        await deliver(api, bodies)
        async with bootstrap.uow_factory(api.container.database)() as uow:
            stored = await uow.alerts.get("generic", "a-1")
            assert stored is not None
            assert stored.ticket_id is not None
            events = (await uow.ticket_events.of_tickets([stored.ticket_id]))[stored.ticket_id]
        assert sorted(e.kind for e in events) == ["assigned", "comment"]


async def test_a_bad_sla_filter_is_refused_naming_the_field(tmp_path: Path) -> None:
    async with open_api(tmp_path, configured(SLA)) as api:
        response = await api.client.get("/v1/tickets?sla=late", headers=api.auth("read"))
        assert response.status_code == 422
        assert "sla" in response.text


def on_breach_config() -> Config:
    """The SLA above, escalating and notifying on breach (`sync.escalate` says how)."""
    sla = {**SLA, "on_breach": {"escalate": True, "notify": True}}
    sync = {
        "escalate": {"stale_after": "24h"},
        "notify": {"slack_webhook": "https://hooks.slack.test/services/T0/B0/x"},
    }
    return Config.model_validate({"jira": JIRA, "defaults": {"sla": sla}, "sync": sync})


async def breach_jobs(api: Api) -> list[tuple[str, Any, Any]]:
    async with bootstrap.uow_factory(api.container.database)() as uow:
        jobs = await uow.outbox.list(state=None, limit=100)
    wanted = (JobKind.ESCALATE, JobKind.NOTIFY)
    found = [j for j in jobs if j.kind in wanted]
    return sorted(
        (j.kind.value, j.payload.get("reason"), j.payload.get("breached_at")) for j in found
    )


async def test_a_breach_escalates_and_notifies_once(tmp_path: Path) -> None:
    """`sla.on_breach`: at risk asks for nothing; the scan that finds the first response
    breached (no response within the hour) queues one `escalate` and one `notify` job naming
    the breach and counts an escalation on the ticket; later scans of that breach queue
    nothing more."""
    clock, config = Moment(), on_breach_config()
    async with open_api(tmp_path, config, clock=clock) as api:
        alert_id = await linked_ticket(api, 1, "OPS-1")
        await scan(api, config, clock, 50 * 60)
        assert await breach_jobs(api) == []
        for at in (2 * HOUR, 3 * HOUR, 5 * HOUR):
            await scan(api, config, clock, at)
        breached = later(HOUR).isoformat()
        assert await breach_jobs(api) == [
            ("escalate", "sla_breached", breached),
            ("notify", "sla_breached", breached),
        ]
        response = await api.client.get(f"/v1/alerts/{alert_id}", headers=api.auth("read"))
        shown = response.json()
        assert (shown["escalations"], seconds(shown["escalated_at"])) == (1, 2 * HOUR)


async def test_without_on_breach_a_breach_queues_nothing(tmp_path: Path) -> None:
    clock, config = Moment(), configured(SLA)
    async with open_api(tmp_path, config, clock=clock) as api:
        await linked_ticket(api, 1, "OPS-1")
        await scan(api, config, clock, 2 * HOUR)
        assert await breach_jobs(api) == []
