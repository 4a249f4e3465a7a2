"""`ticketbridge site status|rebind|separate` against a served emulator (another site than the
one the store's tickets were made on): exit codes, output and the end state."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from support.processes import clean_env, free_port, running
from ticketbridge.storage import Database

OLD_SITE = "cloud:5b10a2844c20165700ede21g-test-site"


@pytest.fixture
def production(tmp_path: Path) -> Iterator[str]:
    """A Cloud emulator served by a process of its own: the site the connection now names."""
    port = free_port()
    command = [sys.executable, "-m", "jira_emulator", "--port", str(port), "--cloud-id", "prod-1"]
    url = f"http://127.0.0.1:{port}"
    ready = f"{url}/_emulator/health"
    with running(
        command, ready_url=ready, env=clean_env({}), cwd=tmp_path, log=tmp_path / "emu.log"
    ):
        yield url


@pytest.fixture
def runner(tmp_path: Path, production: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}"
    monkeypatch.setenv("TICKETBRIDGE_DATABASE_URL", url)
    config = tmp_path / "ticketbridge.yaml"
    config.write_text(
        "jira:\n"
        f"  url: {production}\n"
        "  allow_private: true\n"
        "  auth: {type: token, email: admin@example.com, api_token: emulator-token}\n"
    )
    monkeypatch.setenv("TICKETBRIDGE_CONFIG", str(config))
    asyncio.run(_ticket_of_the_old_site(url))
    return CliRunner()


async def _ticket_of_the_old_site(url: str) -> None:
    database = Database(url)
    await database.upgrade()
    async with database.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO tickets (fingerprint, generation, project, status, first_seen, "
                "last_seen, occurrences, digest_pending, digested_occurrences, links, issue_key, "
                "site) VALUES ('fp-1', 1, 'OPS', 'linked', '2026-12-01 00:00:00', "
                "'2026-12-01 00:00:00', 1, 0, 1, '[]', 'OPS-1', :site)"
            ),
            {"site": OLD_SITE},
        )
    await database.aclose()


def invoke(runner: CliRunner, *args: str) -> tuple[int, str]:
    from ticketbridge.cli import app

    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_status_says_the_site_changed_until_the_user_decides(runner: CliRunner) -> None:
    code, out = invoke(runner, "site", "status")
    assert code == 1, out
    assert f"1 ticket(s) belong to {OLD_SITE}" in out
    code, out = invoke(runner, "site", "status", "--json")
    assert json.loads(out)["other_sites"] == {OLD_SITE: 1}
    assert json.loads(out)["site"] == "cloud:prod-1"

    code, out = invoke(runner, "site", "separate")  # without --yes: nothing changes
    assert code == 2, out
    assert invoke(runner, "site", "status")[0] == 1

    code, out = invoke(runner, "site", "separate", "--yes")
    assert code == 0, out
    assert "1 ticket(s) of other sites are kept apart" in out
    code, out = invoke(runner, "site", "status", "--json")
    assert code == 0, out
    assert json.loads(out)["changed"] is False


def test_rebind_moves_the_tickets_to_the_connections_site(runner: CliRunner) -> None:
    code, out = invoke(runner, "site", "rebind", "--yes", "--json")
    assert code == 0, out
    assert json.loads(out) == {"site": "cloud:prod-1", "tickets": 1}
    code, out = invoke(runner, "site", "status", "--json")
    assert (code, json.loads(out)["tickets"]) == (0, 1)


def test_config_check_live_names_the_change(runner: CliRunner, tmp_path: Path) -> None:
    code, out = invoke(runner, "config", "check", str(tmp_path / "ticketbridge.yaml"), "--live")
    assert code == 2, out
    assert "the Jira site changed: 1 ticket(s) belong to" in out
