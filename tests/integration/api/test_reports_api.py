"""`GET /v1/reports/summary` and `GET /v1/reports/{metric}` over the real stack: alerts posted
and decided, then every number of the summary equals the rows behind it (paged) and its CSV;
bad parameters are 422 naming the field; the read scope is needed."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from api_harness import Api, open_api

from ticketbridge.config.schema import Config

NOW = datetime(2031, 5, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with open_api(tmp_path, Config(), clock=lambda: NOW) as handle:
        yield handle


def _alert(n: int, fingerprint: str, severity: str, hours_ago: float) -> dict[str, object]:
    return {
        "id": f"a{n}",
        "source": "generic",
        "kind": "policy_violation",
        "title": f"alert {n}",
        "severity": severity,
        "fingerprint": fingerprint,
        "occurred_at": (NOW - timedelta(hours=hours_ago)).isoformat(),
    }


async def _post(api: Api, alerts: list[dict[str, object]]) -> None:
    answer = await api.client.post("/v1/alerts", json=alerts, headers=api.auth("ingest"))
    assert answer.status_code == 202, answer.text
    await api.decide()


async def test_summary_numbers_equal_their_rows_and_csv(api: Api) -> None:
    await _post(
        api,
        [
            _alert(1, "fp-a", "high", 2),
            _alert(2, "fp-a", "high", 1),  # a repeat: same ticket
            _alert(3, "fp-b", "critical", 30),  # 1.25 days: past its 1-day SLA
            _alert(4, "fp-c", "medium", 24 * 9),  # 9 days ago: the previous period
        ],
    )
    summary = (await api.client.get("/v1/reports/summary?days=7", headers=api.auth("read"))).json()
    counts = {(c["metric"], c["bucket"]): c for c in summary["counts"]}
    assert (counts[("created", None)]["current"], counts[("created", None)]["previous"]) == (2, 1)
    assert counts[("sla_breached", None)]["current"] == 1
    dedup = next(r for r in summary["rates"] if r["name"] == "dedup_ratio")
    assert dedup["counts"] == [4, 3]  # alerts count by arrival: all four arrived now
    for count in summary["counts"]:
        for period in ("current", "previous"):
            query = {"days": 7, "period": period, "limit": 1}
            if count["bucket"]:
                query["bucket"] = count["bucket"]
            rows = await _all_rows(api, count["metric"], query)
            exported = await api.client.get(
                f"/v1/reports/{count['metric']}",
                params={**query, "format": "csv"},
                headers=api.auth("read"),
            )
            lines = list(csv.DictReader(io.StringIO(exported.text)))
            assert len(rows) == len(lines) == count[period], (count, period)


async def _all_rows(api: Api, metric: str, query: dict[str, object]) -> list[object]:
    rows: list[object] = []
    params = dict(query)
    while True:
        page = await api.client.get(
            f"/v1/reports/{metric}", params=params, headers=api.auth("read")
        )
        assert page.status_code == 200, page.text
        rows += page.json()["items"]
        if page.json()["next_cursor"] is None:
            return rows
        params["cursor"] = page.json()["next_cursor"]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/reports/summary?days=0", "days"),
        ("/v1/reports/summary?days=367", "days"),
        ("/v1/reports/summary?days=x", "days"),
        ("/v1/reports/summary?severity=urgent", "severity"),
        ("/v1/reports/summary?project=" + "x" * 300, "project"),
        ("/v1/reports/summary?route=a%00b", "route"),
        ("/v1/reports/nonsense", "metric"),
        ("/v1/reports/backlog?bucket=7-9", "bucket"),
        ("/v1/reports/created?day=2031-02-30", "day"),
        ("/v1/reports/created?cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("/v1/reports/created?period=next", "period"),
        ("/v1/reports/created?format=xml", "format"),
    ],
)
async def test_bad_parameters_are_422_naming_the_field(api: Api, path: str, field: str) -> None:
    answer = await api.client.get(path, headers=api.auth("read"))
    assert answer.status_code == 422, answer.text
    assert field in {p["path"].split(".")[-1] for p in answer.json()["problems"]}


async def test_reports_need_the_read_scope(api: Api) -> None:
    assert (await api.client.get("/v1/reports/summary")).status_code == 401
    denied = await api.client.get("/v1/reports/summary", headers=api.auth("ingest"))
    assert denied.status_code == 403
