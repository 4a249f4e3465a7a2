"""`ticketbridge report` on a database with alerts decided into tickets: the 80-column table,
the seed's verification report as JSON, CSV whose line counts equal the figures, the HTML
page with its charts, and bad usage (exit 2)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ticketbridge import bootstrap
from ticketbridge.services import parse_alerts


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TICKETBRIDGE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}")
    monkeypatch.delenv("TICKETBRIDGE_CONFIG", raising=False)
    monkeypatch.setenv("COLUMNS", "80")
    return CliRunner()


def invoke(runner: CliRunner, *args: str) -> tuple[int, str]:
    from ticketbridge.cli import app

    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


async def _ingest() -> None:
    await bootstrap.upgrade_database(bootstrap.load_settings().database_url)
    async with bootstrap.open_container(bootstrap.load_settings()) as container:
        now = container.now()
        payloads = [
            {"id": f"a{n}", "source": "generic", "kind": "policy_violation", "title": "t",
             "severity": severity, "fingerprint": fingerprint,
             "occurred_at": (now - timedelta(hours=hours)).isoformat()}
            for n, (fingerprint, severity, hours) in enumerate(
                [("fp-a", "high", 3), ("fp-a", "high", 2), ("fp-b", "critical", 1)]
            )
        ]  # fmt: skip
        await container.ingest.ingest(parse_alerts(payloads, now=now), wait=True)


@pytest.fixture
def loaded(runner: CliRunner) -> CliRunner:
    asyncio.run(_ingest())
    return runner


def test_the_default_table_fits_80_columns(loaded: CliRunner) -> None:
    code, out = invoke(loaded, "report", "--days", "7", "--by", "status,severity")
    assert code == 0, out
    assert max(len(line) for line in out.splitlines()) <= 80
    created = next(line for line in out.splitlines() if line.startswith("│ created "))
    assert created.split("│")[2].strip() == "2"
    assert "note: priority is not stored yet" not in out  # not asked --by priority
    assert "first response" in out


def test_by_status_priority_assignee_is_the_seeds_verification_report(loaded: CliRunner) -> None:
    code, out = invoke(
        loaded, "report", "--days", "7", "--by", "status,priority,assignee", "--json"
    )
    assert code == 0, out
    assert json.loads(out) == {
        "period": "Last 7 days",
        "total_issues": 2,
        "by_status": {"open": 2},
        "by_priority": {"Unknown": 2},
        "by_assignee": {"Unassigned": 2},
    }


def test_csv_lines_equal_the_figures(loaded: CliRunner) -> None:
    code, out = invoke(loaded, "report", "--csv")
    assert code == 0, out
    figures = {(r["figure"], r["key"]): r for r in csv.DictReader(io.StringIO(out))}
    assert figures[("created", "")]["current"] == "2"
    for metric in ("created", "backlog", "sla_met"):
        code, rows = invoke(loaded, "report", "--rows", metric, "--csv")
        assert code == 0, rows
        listed = list(csv.DictReader(io.StringIO(rows)))
        assert len(listed) == int(figures[(metric, "")]["current"]), metric


def test_html_writes_the_charts(loaded: CliRunner, tmp_path: Path) -> None:
    code, out = invoke(loaded, "report", "--html", "report.html")
    assert code == 0, out
    page = (tmp_path / "report.html").read_text()
    assert page.count("<svg ") == 4
    assert "Created vs resolved per day" in page


@pytest.mark.parametrize(
    ("args", "named"),
    [(["--by", "colour"], "--by"), (["--days", "0"], "--days"), (["--json", "--csv"], "--csv")],
)
def test_bad_usage_is_exit_2(runner: CliRunner, args: list[str], named: str) -> None:
    code, out = invoke(runner, "report", *args)
    assert code == 2
    assert named in out
