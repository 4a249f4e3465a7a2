"""GET /v1/alerts as a paged listing: keyset pages under concurrent inserts, every filter in
SQL, 422 naming the bad parameter; and the SQL state expression equals `StoredAlert.state`
for every combination of alert and ticket, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from api_harness import Api

from support.postgres import database, postgres_server
from ticketbridge.domain import (
    Alert,
    AlertState,
    DecisionKind,
    Severity,
    Ticket,
    TicketStatus,
)
from ticketbridge.domain.records import StoredAlert
from ticketbridge.services.queries import AlertFilter, AlertQueries
from ticketbridge.storage import Database

__all__ = ["database", "postgres_server"]

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CATEGORIES = (None, "new", "indeterminate", "done")
OUTCOMES = (None, AlertState.RESOLVED, AlertState.FALSE_POSITIVE, AlertState.ACCEPTED)


def _tickets() -> list[Ticket]:
    """One ticket per combination of what `Ticket.alert_state` reads."""
    combos = itertools.product(TicketStatus, (False, True), CATEGORIES, OUTCOMES)
    return [
        Ticket(
            f"fp-{n}",
            1,
            "OPS",
            status,
            NOW,
            NOW,
            issue_key=f"OPS-{n}" if linked else None,
            status_category=category,
            outcome=outcome,
        )
        for n, (status, linked, category, outcome) in enumerate(combos)
    ]


def _alert(n: int, *, source: str = "generic", fingerprint: str = "fp") -> Alert:
    return Alert(
        id=f"a-{n}",
        source=source,
        kind="k",
        title=f"alert {n}",
        severity=Severity.HIGH,
        fingerprint=fingerprint,
        occurred_at=NOW,
        received_at=NOW,
    )


async def _store_every_combination(db: Database) -> dict[int, AlertState]:
    """Alerts (pending or decided, with or without an own state) on no ticket or on each
    ticket; returns pk → the domain rule's state."""
    async with db.unit_of_work() as uow:
        tickets: list[Ticket | None] = [None, *await uow.tickets.insert_many(_tickets())]
        combos = list(
            itertools.product(
                (None, DecisionKind.CREATE, DecisionKind.IGNORE),
                (None, *AlertState),  # the decider sets suppressed/ignored; the rule takes any
                tickets,
            )
        )
        new = [_alert(n) for n in range(len(combos))]
        await uow.alerts.append(new)
        stored = await uow.alerts.find([(a.source, a.id) for a in new])
        decided: list[StoredAlert] = []
        expected: dict[int, AlertState] = {}
        for alert, (decision, own_state, ticket) in zip(new, combos, strict=True):
            row = replace(
                stored[(alert.source, alert.id)],
                decision=decision,
                own_state=own_state,
                ticket_id=ticket.id if ticket else None,
            )
            decided.append(row)
            expected[row.pk] = row.state(ticket)
        await uow.alerts.record(decided)
        await uow.commit()
    return expected


async def test_the_sql_state_is_the_domain_rule_for_every_combination(database: Database) -> None:
    expected = await _store_every_combination(database)
    assert set(expected.values()) == set(AlertState)  # every state is reached: the test can fail
    async with database.unit_of_work() as uow:
        for state in AlertState:
            rows = await uow.alerts.list(limit=len(expected) + 1, state=state)
            wanted = sorted((pk for pk, s in expected.items() if s is state), reverse=True)
            assert [r.pk for r in rows] == wanted, state


async def test_pages_filters_and_cursor_in_sql(database: Database) -> None:
    """Table-driven over one store: filters (alone and combined) × page sizes; walking the
    cursor yields exactly the filtered rows, newest first, each once."""
    alerts = [
        _alert(n, source="generic" if n % 2 else "falco", fingerprint=f"fp-{n % 3}")
        for n in range(12)
    ]
    async with database.unit_of_work() as uow:
        await uow.alerts.append(alerts)
        await uow.commit()
    async with database.unit_of_work() as uow:
        pending = await uow.alerts.pending(limit=100)
        by_id = {s.alert.id: s for s in pending}
        ignored = [replace(by_id[f"a-{n}"], decision=DecisionKind.IGNORE) for n in (0, 3, 6, 9)]
        await uow.alerts.record(ignored)
        await uow.commit()
    queries = AlertQueries(database.unit_of_work)
    cases: list[tuple[AlertFilter, list[int]]] = [
        (AlertFilter(), list(range(12))),
        (AlertFilter(source="falco"), [0, 2, 4, 6, 8, 10]),
        (AlertFilter(fingerprint="fp-0"), [0, 3, 6, 9]),
        (AlertFilter(decision="pending"), [1, 2, 4, 5, 7, 8, 10, 11]),
        (AlertFilter(decision=DecisionKind.IGNORE), [0, 3, 6, 9]),
        (AlertFilter(decision=DecisionKind.CREATE), []),
        (AlertFilter(state=AlertState.IGNORED), [0, 3, 6, 9]),
        (AlertFilter(state=AlertState.OPEN, source="falco"), [2, 4, 8, 10]),
        (AlertFilter(source="falco", fingerprint="fp-0", decision="pending"), []),
        (AlertFilter(source="generic", fingerprint="fp-0"), [3, 9]),
        (AlertFilter(source="nobody"), []),
    ]
    for where, numbers in cases:
        for size in (1, 3, 5, 500):
            seen, cursor, pages = [], None, 0
            while True:
                page = await queries.page(limit=size, cursor=cursor, where=where)
                assert len(page.items) <= size
                seen += [int(v.id.removeprefix("a-")) for v in page.items]
                pages += 1
                if page.next_cursor is None:
                    break
                cursor = page.next_cursor
            assert seen == sorted(numbers, reverse=True), (where, size)
            assert pages == max(1, -(-len(numbers) // size)), (where, size)  # no empty last page


# --- over HTTP (SQLite; the SQL above runs on both databases) ---


def _payload(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "source": "generic",
        "id": f"a-{n}",
        "title": f"alert {n}",
        "severity": "high",
        "fingerprint": f"fp-{n}",
        **extra,
    }


async def _get(api: Api, query: str) -> Any:
    response = await api.client.get(f"/v1/alerts{query}", headers=api.auth("read"))
    assert response.status_code == 200, response.text
    return response.json()


async def test_pages_stay_stable_while_alerts_arrive(api: Api) -> None:
    batch = [_payload(n) for n in range(7)]
    await api.client.post("/v1/alerts", json=batch, headers=api.auth("ingest"))
    first = await _get(api, "?limit=3")
    assert [a["id"] for a in first["items"]] == ["a-6", "a-5", "a-4"]
    newer = [_payload(n) for n in range(7, 10)]  # arrive between the pages
    await api.client.post("/v1/alerts", json=newer, headers=api.auth("ingest"))
    second = await _get(api, f"?limit=3&cursor={first['next_cursor']}")
    assert [a["id"] for a in second["items"]] == ["a-3", "a-2", "a-1"]
    last = await _get(api, f"?limit=3&cursor={second['next_cursor']}")
    assert ([a["id"] for a in last["items"]], last["next_cursor"]) == (["a-0"], None)
    fresh = await _get(api, "?limit=3")
    assert [a["id"] for a in fresh["items"]] == ["a-9", "a-8", "a-7"]


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("", ["a-3", "a-2", "a-1", "a-0"]),
        ("?decision=pending", ["a-3"]),
        ("?decision=create", ["a-2", "a-0"]),
        ("?decision=ignore", ["a-1"]),
        ("?status=ignored", ["a-1"]),
        ("?status=open", ["a-3", "a-2", "a-0"]),
        ("?status=open&decision=create", ["a-2", "a-0"]),
        ("?status=ticketed", []),
        ("?source=falco", ["a-2"]),
        ("?fingerprint=generic:fp-0", ["a-0"]),  # the stored, scoped key
        ("?fingerprint=generic:fp-0&source=falco", []),
    ],
)
async def test_filters_over_http(api: Api, query: str, ids: list[str]) -> None:
    decided = [_payload(0), _payload(1, severity="info"), _payload(2, source="falco")]
    both = await api.auth_for("ingest", "generic", "falco")
    await api.client.post("/v1/alerts?wait=true", json=decided, headers=both)
    await api.client.post("/v1/alerts", json=_payload(3), headers=api.auth("ingest"))
    body = await _get(api, query)
    assert ([a["id"] for a in body["items"]], body["next_cursor"]) == (ids, None)
    pending = [a for a in body["items"] if a["id"] == "a-3"]
    assert all((a["decision"], a["state"]) == (None, "open") for a in pending)


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("?limit=0", "limit"),
        ("?limit=501", "limit"),
        ("?limit=ten", "limit"),
        ("?status=nonsense", "status"),
        ("?decision=maybe", "decision"),
        ("?source=", "source"),
        ("?fingerprint=", "fingerprint"),
        ("?cursor=not-a-cursor", "cursor"),
        ("?cursor=eyJ2IjoxLCJiZWZvcmUiOi0xfQ", "cursor"),  # {"v":1,"before":-1}
        ("?cursor=W10", "cursor"),  # []
    ],
)
async def test_bad_parameters_are_422_naming_the_parameter(api: Api, query: str, path: str) -> None:
    response = await api.client.get(f"/v1/alerts{query}", headers=api.auth("read"))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_failed"
    assert [p["path"] for p in body["problems"]] == [path]


async def test_limit_500_is_allowed_and_the_listing_needs_the_read_scope(api: Api) -> None:
    assert (await _get(api, "?limit=500")) == {"items": [], "next_cursor": None}
    refused = await api.client.get("/v1/alerts", headers=api.auth("ingest"))
    assert refused.status_code == 403
