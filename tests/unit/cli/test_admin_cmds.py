"""`db upgrade`, `apikey create`, `explain`, `outbox list|retry|drop`, `send` (without a server):
exit codes, output, and the end state in the database."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ticketbridge import bootstrap
from ticketbridge.config.settings import Settings
from ticketbridge.services import parse_alerts


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TICKETBRIDGE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}")
    monkeypatch.delenv("TICKETBRIDGE_CONFIG", raising=False)
    return CliRunner()


def invoke(runner: CliRunner, *args: str) -> tuple[int, str]:
    from ticketbridge.cli import app

    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def cli_app() -> typer.Typer:
    from ticketbridge.cli import app

    return app


def settings() -> Settings:
    return bootstrap.load_settings()


async def ingest(*payloads: dict[str, object]) -> None:
    async with bootstrap.open_container(settings()) as container:
        alerts = parse_alerts(list(payloads), now=container.now())
        await container.ingest.ingest(alerts, wait=True)


def test_db_upgrade_is_idempotent(runner: CliRunner) -> None:
    for _ in range(2):
        code, out = invoke(runner, "db", "upgrade", "--json")
        assert code == 0, out
        assert json.loads(out)["revision"] == bootstrap.head_revision()


def test_apikey_create_prints_the_token_once_and_stores_its_hash(runner: CliRunner) -> None:
    assert invoke(runner, "db", "upgrade")[0] == 0
    code, out = invoke(runner, "apikey", "create", "--name", "ci", "--scope", "ingest,read")
    assert code == 0, out
    [token] = re.findall(r"tb_[A-Za-z0-9_-]{40,}", out)

    async def stored() -> tuple[str, frozenset[str]] | None:
        async with bootstrap.open_container(settings()) as container:
            record = await container.api_keys.authenticate(token)
            return (record.name, frozenset(record.scopes)) if record else None

    assert asyncio.run(stored()) == ("ci", frozenset({"ingest", "read"}))
    assert token not in Path("tb.db").read_bytes().decode("latin-1")


@pytest.mark.parametrize("scope", ["bogus", ""])
def test_apikey_create_with_a_bad_scope_is_bad_usage(runner: CliRunner, scope: str) -> None:
    code, out = invoke(runner, "apikey", "create", "--name", "x", "--scope", scope)
    assert code == 2
    assert "scope" in out


def test_explain_shows_decision_and_reasons(runner: CliRunner) -> None:
    invoke(runner, "db", "upgrade")
    low = {"source": "generic", "id": "a-1", "title": "t", "severity": "low"}
    asyncio.run(ingest(low))
    code, out = invoke(runner, "explain", "a-1")
    assert code == 0, out
    assert "ignore" in out
    assert "min_severity" in out
    code, out = invoke(runner, "explain", "a-1", "--json")
    assert json.loads(out)["state"] == "ignored"
    assert invoke(runner, "explain", "nope")[0] == 2


def test_outbox_list_retry_drop(runner: CliRunner) -> None:
    invoke(runner, "db", "upgrade")
    asyncio.run(ingest({"source": "generic", "id": "a-1", "title": "t", "severity": "high"}))
    code, out = invoke(runner, "outbox", "list", "--state", "pending", "--json")
    assert code == 0, out
    [job] = json.loads(out)
    assert (job["kind"], job["state"]) == ("create_issue", "pending")
    assert invoke(runner, "outbox", "retry", str(job["id"]))[0] == 2  # only dead jobs retry
    assert invoke(runner, "outbox", "drop", str(job["id"]))[0] == 0
    code, out = invoke(runner, "outbox", "list", "--state", "pending", "--json")
    assert json.loads(out) == []
    assert invoke(runner, "outbox", "drop", "999")[0] == 2


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("", "empty"),
        ('{"title": "a"}\nnot json\n', "line 2"),
        ("[1, 2]", "[0]"),
    ],
)
def test_send_refuses_bad_input_with_exit_2(runner: CliRunner, content: str, fragment: str) -> None:
    Path("alerts.jsonl").write_text(content)
    code, out = invoke(runner, "send", "alerts.jsonl", "--api-key", "tb_x")
    assert code == 2
    assert fragment in out


def test_send_without_a_server_fails_with_a_hint(runner: CliRunner) -> None:
    Path("a.json").write_text('{"title": "a"}')
    code, out = invoke(runner, "send", "a.json", "--api-key", "tb_x", "--url", "http://127.0.0.1:9")
    assert code == 1
    assert "serve" in out


@pytest.mark.parametrize(
    "args",
    [
        ("outbox", "list"),
        ("explain", "a-1"),
        ("apikey", "create", "--name", "x", "--scope", "read"),
    ],
)
def test_an_unmigrated_database_is_a_config_error_not_a_trace(
    runner: CliRunner, args: tuple[str, ...]
) -> None:
    code, out = invoke(runner, *args)
    assert code == 2
    assert "ticketbridge db upgrade" in out
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["explain", "no-such-alert"], "no alert 'no-such-alert'"),
        (["explain", "no-such-alert", "--json"], "no alert 'no-such-alert'"),
        (["outbox", "retry", "999"], "no dead outbox job 999"),
        (["outbox", "drop", "999"], "no dead or pending outbox job 999"),
        (["apikey", "revoke", "999"], "no API key with id 999"),
    ],
)
def test_an_id_that_names_nothing_exits_2_in_every_command(
    runner: CliRunner, command: list[str], message: str
) -> None:
    invoke(runner, "db", "upgrade")
    code, out = invoke(runner, *command)
    assert (code, message in out) == (2, True), out


JIRA_SAID = (
    "Jira refused the issue (400): field 'priority': Field 'priority' cannot be set. It is "
    "not on the appropriate screen, or unknown."
)
HINT = "field 'priority' is not on the create screen of OPS/Task: add it to the screen"


async def kill_every_job(error: str, hint: str) -> None:
    """The outbox as after Jira refused its jobs for good (what a dispatcher records)."""
    from sqlalchemy import update

    from ticketbridge.storage.tables import outbox_jobs

    dead = {"state": "dead", "attempts": 5, "last_error": error, "hint": hint}
    async with (
        bootstrap.open_container(settings()) as container,
        container.database.engine.begin() as connection,
    ):
        await connection.execute(update(outbox_jobs).values(**dead))


def test_outbox_list_fits_80_columns_with_whole_messages(runner: CliRunner) -> None:
    invoke(runner, "db", "upgrade")
    asyncio.run(ingest({"source": "generic", "id": "a-1", "title": "t", "severity": "high"}))
    asyncio.run(kill_every_job(JIRA_SAID, HINT))
    result = runner.invoke(cli_app(), ["outbox", "list"], terminal_width=80, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80, result.output
    words = " ".join(result.output.split())
    assert JIRA_SAID in words  # wrapped at spaces, never cut
    assert HINT in words
