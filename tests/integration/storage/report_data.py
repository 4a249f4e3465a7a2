"""The fixed data set of the report tests: eight tickets around a 7-day period ending
2026-03-10 (now: 12:00 UTC), each standing for one edge (see EXPECTED in test_reports.py).

Current period: 2026-03-04 00:00 – 03-11 00:00; previous: 02-25 – 03-04."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from ticketbridge.storage import Database
from ticketbridge.storage.tables import alerts, outbox_jobs, tickets

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def day(month: int, dom: int, hour: int = 0) -> datetime:
    return datetime(2026, month, dom, hour, tzinfo=UTC)


@dataclass(frozen=True)
class T:
    """One ticket and its opening alert."""

    name: str
    route: str | None
    severity: str
    source: str
    kind: str
    first_seen: datetime
    status: str = "linked"
    category: str | None = "new"
    done_at: datetime | None = None
    outcome: str | None = None
    project: str = "OPS"
    # What Jira last told two-way sync (None: not told).
    priority: str | None = None
    assignee_id: str | None = None
    assignee_name: str | None = None
    synced_state: str | None = None
    status_name: str | None = None
    deleted_at: datetime | None = None


DATA = (
    T("T1", "r1", "high", "truthvouch", "hallucination", day(3, 5, 10), category="done",
      done_at=day(3, 6, 10), outcome="resolved"),
    T("T2", "r1", "critical", "truthvouch", "policy_violation", day(3, 8)),
    T("T3", "r2", "medium", "keeptrusts", "escalation", day(2, 20), category="done",
      done_at=day(3, 9), outcome="false_positive", project="AIGOV"),
    T("T4", "r2", "low", "keeptrusts", "escalation", day(2, 1), category="done",
      done_at=day(2, 10), outcome="resolved", project="AIGOV"),
    T("T5", None, "high", "generic", "k", day(2, 26), category="done", done_at=day(2, 27),
      outcome="resolved"),
    T("T6", "r1", "high", "truthvouch", "hallucination", day(1, 1)),  # reopened on 03-07
    T("T7", "r1", "high", "truthvouch", "hallucination", day(3, 9), status="dead",
      category=None),
    T("T8", "r2", "high", "keeptrusts", "escalation", day(3, 4, 6), category="indeterminate",
      project="AIGOV"),
)  # fmt: skip


def _ticket_row(t: T) -> dict[str, Any]:
    return {
        "fingerprint": t.name,
        "generation": 1,
        "project": t.project,
        "status": t.status,
        "first_seen": t.first_seen,
        "last_seen": t.first_seen,
        "occurrences": 1,
        "issue_key": None if t.status == "dead" else f"{t.project}-{t.name[1:]}",
        "status_category": t.category,
        "outcome": t.outcome,
        "done_at": t.done_at,
        "resolution": "Done" if t.done_at else None,
        "digest_pending": False,
        "digested_occurrences": 1,
        "links": [],
        "priority": t.priority,
        "assignee_id": t.assignee_id,
        "assignee_name": t.assignee_name,
        "synced_state": t.synced_state,
        "status_name": t.status_name,
        "deleted_at": t.deleted_at,
    }


def alert_row(
    alert_id: str,
    ticket_id: int | None,
    t: T,
    at: datetime,
    decision: str,
    route: str | None = None,
) -> dict[str, Any]:
    return {
        "source": t.source,
        "alert_id": alert_id,
        "kind": t.kind,
        "title": "t",
        "description": "",
        "severity": t.severity,
        "status": "firing",
        "fingerprint": t.name,
        "attributes": {},
        "links": [],
        "occurred_at": at,
        "received_at": at,
        "ticket_id": ticket_id,
        "decision": decision,
        "reasons": [],
        "route": route if route is not None else t.route,
    }


def _job_row(ticket_id: int, state: str, at: datetime, project: str) -> dict[str, Any]:
    return {
        "kind": "create_issue",
        "ordering_key": f"t{ticket_id}",
        "ticket_id": ticket_id,
        "payload": {},
        "project": project,
        "state": state,
        "attempts": 1,
        "next_attempt_at": at,
        "created_at": at,
        "updated_at": at,
        "last_error": "400 priority" if state == "dead" else None,
    }


async def add_tickets(db: Database, data: tuple[T, ...]) -> dict[str, int]:
    """Insert the tickets with their opening alerts; their ids by name."""
    ids: dict[str, int] = {}
    async with db.engine.begin() as conn:
        for t in data:
            result = await conn.execute(insert(tickets).values(_ticket_row(t)))
            ticket_id = int(result.inserted_primary_key[0])
            ids[t.name] = ticket_id
            row = alert_row(f"{t.name}-a0", ticket_id, t, t.first_seen, "create")
            await conn.execute(insert(alerts).values(row))
    return ids


async def load(db: Database) -> dict[str, int]:
    """The whole fixed data set."""
    ids = await add_tickets(db, DATA)
    by = {t.name: t for t in DATA}
    extra = [
        alert_row("T1-a1", ids["T1"], by["T1"], day(3, 5, 11), "repeat"),
        alert_row("T1-a2", ids["T1"], by["T1"], day(3, 6, 9), "repeat"),
        alert_row("T6-a1", ids["T6"], by["T6"], day(3, 7), "reopen"),
        alert_row("X-ignored", None, by["T2"], day(3, 7), "ignore"),
    ]
    jobs = [
        _job_row(ids["T7"], "dead", day(3, 9), "OPS"),
        _job_row(ids["T4"], "dead", day(2, 28), "AIGOV"),
        _job_row(ids["T1"], "done", day(3, 5, 10), "OPS"),
    ]
    async with db.engine.begin() as conn:
        await conn.execute(insert(alerts), extra)
        await conn.execute(insert(outbox_jobs), jobs)
    return ids


SLA = {
    "critical": timedelta(days=1),
    "high": timedelta(days=7),
    "medium": timedelta(days=30),
    "low": timedelta(days=90),
}
