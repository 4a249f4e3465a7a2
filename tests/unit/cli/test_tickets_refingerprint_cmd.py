"""`config check` warns when a source's fingerprint setting changed while it has open tickets,
and `ticketbridge tickets refingerprint [--source S] [--dry-run]` moves them (issue 13)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from structlog.testing import capture_logs
from typer.testing import CliRunner

from integration.pipeline.pipeline_harness import Pipeline
from ticketbridge import bootstrap
from ticketbridge.cli import app
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.services.fingerprints import FingerprintSettings, effective_fields
from ticketbridge.sources import SOURCES
from ticketbridge.storage import Database

WITH_KIND = """\
sources:
  compliance:
    allow_unauthenticated: true
    fingerprint: [kind, attributes.control_id]
"""
DEFAULT = """\
sources:
  compliance:
    allow_unauthenticated: true
"""
FAIL = {
    "id": "run1-mfa",
    "source": "compliance",
    "kind": "control_failure",
    "title": "[AWS_IAM_MFA] IAM MFA Enforcement",
    "severity": "high",
    "attributes": {"framework": "SOC2", "control_id": "AWS_IAM_MFA"},
}


async def _ticket_under(url: str, yaml: str) -> None:
    db = Database(url)
    await db.upgrade()
    try:
        pipe = Pipeline(db, FakeProvider(), yaml)
        fields = effective_fields(sorted(SOURCES), pipe.settings.fingerprint_fields)
        await FingerprintSettings(db.unit_of_work, fields, pipe.clock).drift(record=True)
        await pipe.send(FAIL)
        await pipe.drain()
    finally:
        await db.aclose()


@pytest.fixture
def changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store with an open compliance ticket made under WITH_KIND; the file now says DEFAULT."""
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}"
    monkeypatch.setenv("TICKETBRIDGE_DATABASE_URL", url)
    asyncio.run(_ticket_under(url, WITH_KIND))
    path = tmp_path / "ticketbridge.yaml"
    path.write_text(DEFAULT)
    monkeypatch.setenv("TICKETBRIDGE_CONFIG", str(path))
    return path


def test_config_check_warns_then_refingerprint_migrates(changed: Path) -> None:
    runner = CliRunner()
    checked = runner.invoke(app, ["config", "check", str(changed)])
    assert checked.exit_code == 0, checked.output
    assert "! sources.compliance.fingerprint (line 2): the fingerprint fields changed" in (
        checked.output
    )
    assert "tickets refingerprint --source compliance" in checked.output

    dry = runner.invoke(app, ["tickets", "refingerprint", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    [source] = json.loads(dry.stdout)["sources"]
    assert source["source"] == "compliance"
    assert [m["issue_key"] for m in source["moved"]] == ["OPS-1"]

    moved = runner.invoke(app, ["tickets", "refingerprint", "--source", "compliance"])
    assert moved.exit_code == 0, moved.output
    assert "moved 1 ticket(s)" in moved.output

    clean = runner.invoke(app, ["config", "check", str(changed), "--json"])
    assert json.loads(clean.stdout)["fingerprint_changes"] == []
    nothing = runner.invoke(app, ["tickets", "refingerprint"])
    assert "nothing to move" in nothing.output


def test_an_unknown_source_exits_2_naming_it(changed: Path) -> None:
    refused = CliRunner().invoke(app, ["tickets", "refingerprint", "--source", "kushim"])
    assert refused.exit_code == 2, refused.output
    assert "kushim" in refused.output


def test_start_up_warns_and_keeps_the_old_record(changed: Path) -> None:
    """`serve`, `worker` and `dev` run this once their container is open."""

    async def start_up() -> list[str]:
        settings = bootstrap.load_settings()
        async with bootstrap.open_container(settings) as container:
            with capture_logs() as logs:
                await bootstrap.warn_fingerprint_drift(container)
                await bootstrap.warn_fingerprint_drift(container)  # the next start: still
        return [e["key"] for e in logs if e["event"] == "fingerprint_setting_changed"]

    assert asyncio.run(start_up()) == ["sources.compliance.fingerprint"] * 2
