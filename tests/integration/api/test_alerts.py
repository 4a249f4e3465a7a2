"""POST/GET /v1/alerts, /v1/tickets, /v1/outbox: HTTP answers and the end state in the store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_harness import Api

from ticketbridge.domain import JobState


def alert(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "source": "generic",
        "id": f"a-{n}",
        "title": f"alert {n}",
        "severity": "high",
        "fingerprint": f"fp-{n}",
        **extra,
    }


async def test_one_alert_is_committed_before_202_and_decided_after(api: Api) -> None:
    response = await api.client.post("/v1/alerts", json=alert(1), headers=api.auth("ingest"))
    assert response.status_code == 202
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (1, 0)
    [result] = body["results"]
    assert result == {
        "index": 0,
        "source": "generic",
        "id": "a-1",
        "fingerprint": "generic:fp-1",  # scoped by source (domain.fingerprint)
        "decision": None,  # committed; the decider decides it after
        "reasons": [],
        "state": "open",
        "ticket": None,
        "duplicate": False,
    }
    stored = await api.container.alerts.get("a-1", "generic")
    assert stored is not None
    assert stored.decision is None
    assert await api.container.outbox.jobs(state=None) == []
    assert await api.decide() == 1
    stored = await api.container.alerts.get("a-1", "generic")
    assert stored is not None
    assert stored.decision == "create"
    assert [j.kind for j in await api.container.outbox.jobs(state=None)] == ["create_issue"]


async def test_wait_answers_with_the_decision(api: Api) -> None:
    response = await api.client.post(
        "/v1/alerts?wait=true", json=alert(1), headers=api.auth("ingest")
    )
    assert response.status_code == 202
    [result] = response.json()["results"]
    assert (result["decision"], result["state"], result["duplicate"]) == ("create", "open", False)
    assert result["reasons"]
    assert [j.kind for j in await api.container.outbox.jobs(state=None)] == ["create_issue"]


async def test_a_batch_gets_per_alert_answers_in_order(api: Api) -> None:
    batch = [alert(n) for n in range(5)] + [alert(9, fingerprint="fp-0", id="a-0b")]
    response = await api.client.post("/v1/alerts?wait=1", json=batch, headers=api.auth("ingest"))
    assert response.status_code == 202
    results = response.json()["results"]
    assert [r["id"] for r in results] == ["a-0", "a-1", "a-2", "a-3", "a-4", "a-0b"]
    assert [r["decision"] for r in results] == ["create"] * 5 + ["repeat"]
    assert len(await api.container.alerts.tickets()) == 5


async def test_posting_the_same_alert_again_answers_the_same_and_creates_nothing(
    api: Api,
) -> None:
    first = await api.client.post("/v1/alerts?wait=true", json=alert(1), headers=api.auth("ingest"))
    again = await api.client.post("/v1/alerts", json=alert(1), headers=api.auth("ingest"))
    assert again.status_code == 202
    [a], [b] = first.json()["results"], again.json()["results"]
    assert b["duplicate"] is True
    assert a["decision"] == "create"
    assert {k: v for k, v in a.items() if k != "duplicate"} == {
        k: v for k, v in b.items() if k != "duplicate"
    }
    assert await api.decide() == 0
    assert len(await api.container.outbox.jobs(state=None)) == 1
    assert len((await api.container.alerts.page()).items) == 1


@pytest.mark.parametrize(
    ("payload", "paths"),
    [
        ({"source": "generic", "severity": "urgent"}, {"severity", "title"}),
        ([alert(1), {"title": "x", "confidence": 7}], {"[1].confidence"}),
        ([alert(1), "nope"], {"[1]"}),
        ([], {"$"}),
        ([alert(n) for n in range(1001)], {"$"}),
        (42, {"$"}),
    ],
)
async def test_bad_alerts_get_422_with_field_paths_and_nothing_is_stored(
    api: Api, payload: Any, paths: set[str]
) -> None:
    response = await api.client.post("/v1/alerts", json=payload, headers=api.auth("ingest"))
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_failed"
    assert paths <= {p["path"] for p in body["problems"]}, body
    assert (await api.container.alerts.page()).items == []


async def test_invalid_json_is_422(api: Api) -> None:
    response = await api.client.post(
        "/v1/alerts",
        content=b"{not json",
        headers=api.auth("ingest") | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["problems"][0]["path"] == "$"


async def test_get_alert_shows_state_decision_reasons_and_ticket(api: Api) -> None:
    low = alert(2, severity="low")
    await api.client.post("/v1/alerts", json=[alert(1), low], headers=api.auth("ingest"))
    pending = (await api.client.get("/v1/alerts/a-1", headers=api.auth("read"))).json()
    assert (pending["state"], pending["decision"], pending["reasons"]) == ("open", None, [])
    await api.decide()
    one = (await api.client.get("/v1/alerts/a-1", headers=api.auth("read"))).json()
    assert (one["state"], one["decision"], one["ticket"]) == ("open", "create", None)
    assert one["reasons"]
    ignored = (await api.client.get("/v1/alerts/a-2", headers=api.auth("read"))).json()
    assert (ignored["state"], ignored["decision"]) == ("ignored", "ignore")
    assert any("min_severity" in r for r in ignored["reasons"])
    missing = await api.client.get("/v1/alerts/nope", headers=api.auth("read"))
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"


async def test_list_alerts_filters_by_state(api: Api) -> None:
    batch = [alert(1), alert(2, severity="info"), alert(3)]
    await api.client.post("/v1/alerts?wait=true", json=batch, headers=api.auth("ingest"))
    everything = await api.client.get("/v1/alerts", headers=api.auth("read"))
    assert {a["id"] for a in everything.json()["items"]} == {"a-1", "a-2", "a-3"}
    ignored = await api.client.get("/v1/alerts?status=ignored", headers=api.auth("read"))
    assert [a["id"] for a in ignored.json()["items"]] == ["a-2"]
    bad = await api.client.get("/v1/alerts?status=nonsense", headers=api.auth("read"))
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["path"] == "status"


async def test_tickets_are_listed(api: Api) -> None:
    await api.client.post(
        "/v1/alerts?wait=true", json=[alert(1), alert(2)], headers=api.auth("ingest")
    )
    body = (await api.client.get("/v1/tickets", headers=api.auth("read"))).json()
    assert sorted(t["fingerprint"] for t in body["items"]) == ["generic:fp-1", "generic:fp-2"]
    assert all(t["ticket"] is None and t["state"] == "open" for t in body["items"])


async def test_dead_jobs_are_listed_and_retried(api: Api) -> None:
    await api.client.post("/v1/alerts?wait=true", json=alert(1), headers=api.auth("ingest"))
    job_id = await _kill_the_only_job(api)
    dead = await api.client.get("/v1/outbox?state=dead", headers=api.auth("read"))
    [job] = dead.json()["items"]
    assert (job["id"], job["state"], job["hint"]) == (job_id, "dead", "fix the screen")
    assert "priority" in job["last_error"]
    retried = await api.client.post(f"/v1/outbox/{job_id}/retry", headers=api.auth("admin"))
    assert retried.status_code == 200
    assert retried.json()["state"] == "pending"
    assert [j.state for j in await api.container.outbox.jobs(state=None)] == [JobState.PENDING]


async def _kill_the_only_job(api: Api) -> int:
    """Arrange: the job died the way a worker kills it on a permanent Jira error."""
    now = datetime.now(UTC)
    async with api.container.database.unit_of_work() as uow:
        [job] = await uow.outbox.claim("test", now, now + timedelta(minutes=1), 10)
        error = "Field 'priority' cannot be set. It is not on the appropriate screen"
        await uow.outbox.kill(job.id, "test", error=error, hint="fix the screen", now=now)
        await uow.commit()
    return job.id


async def test_concurrent_requests_each_get_their_own_answer(api: Api) -> None:
    # concurrent requests are committed together (group commit); answers must not mix
    payloads = [alert(n, fingerprint=f"fp-{n % 3}") for n in range(20)] + [alert(0)]
    responses = await asyncio.gather(
        *(api.client.post("/v1/alerts", json=p, headers=api.auth("ingest")) for p in payloads)
    )
    assert all(r.status_code == 202 for r in responses)
    answers = [r.json()["results"] for r in responses]
    assert [a[0]["id"] for a in answers] == [p["id"] for p in payloads]
    assert all(len(a) == 1 for a in answers)
    assert sum(a[0]["duplicate"] for a in answers) == 1
    assert all(a[0]["decision"] is None for a in answers)  # answered at the commit
    assert await api.decide() == 20
    assert len((await api.container.alerts.page()).items) == 20
    assert len(await api.container.alerts.tickets()) == 3


async def test_an_oversized_body_is_413(api: Api) -> None:
    huge = b'[{"title": "' + b"x" * (16 * 1024 * 1024) + b'"}]'
    response = await api.client.post(
        "/v1/alerts",
        content=huge,
        headers=api.auth("ingest") | {"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    assert (await api.container.alerts.page()).items == []
