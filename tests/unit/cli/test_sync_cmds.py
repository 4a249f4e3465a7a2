"""`ticketbridge search`, `jira webhook register` and `config jira --test`'s webhook line,
against the emulator served over real HTTP (a thread): output, exit codes and Jira's state."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from typer.testing import CliRunner

from jira_emulator import Emulator
from support.processes import free_port
from ticketbridge.api.jira_connection import ConnectionStore
from ticketbridge.cli import app
from ticketbridge.storage import Database

HOOK = "https://tb.acme.example/v1/jira/webhook"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    port = free_port()
    emu = Emulator(flavor="cloud", base_url=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(
        uvicorn.Config(emu.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield emu
    server.should_exit = True
    thread.join(timeout=5)


def _connect(runner: CliRunner, emu: Emulator, email: str, token: str) -> None:
    runner.env = {"TICKETBRIDGE_JIRA_API_TOKEN": token}
    args = ["--cloud-url", emu.base_url, "--email", email, "--allow-private"]
    saved = runner.invoke(app, ["config", "jira", *args, "--project-key", "OPS"])
    assert saved.exit_code == 0, saved.output
    runner.env = {}


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TICKETBRIDGE_SECRET_KEY", "test-secret")
    monkeypatch.setenv("TICKETBRIDGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TICKETBRIDGE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}")
    monkeypatch.delenv("TICKETBRIDGE_CONFIG", raising=False)
    monkeypatch.delenv("TICKETBRIDGE_PUBLIC_URL", raising=False)
    return CliRunner()


def _stored_secret(tmp_path: Path) -> str:
    stored = ConnectionStore(tmp_path, "test-secret").load()
    assert stored is not None
    assert stored.jira.webhook.secret is not None
    return stored.jira.webhook.secret.get_secret_value()


async def _create(emu: Emulator, summary: str) -> None:
    async with httpx.AsyncClient(
        base_url=emu.base_url, auth=("admin@example.com", "emulator-token"), timeout=5
    ) as jira:
        fields = {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": summary}
        assert (await jira.post("/rest/api/3/issue", json={"fields": fields})).status_code == 201


def test_search_prints_what_jira_finds(runner: CliRunner, emulator: Emulator) -> None:
    _connect(runner, emulator, "admin@example.com", "emulator-token")
    for summary in ("disk full", "cert expiring"):
        asyncio.run(_create(emulator, summary))
    found = runner.invoke(app, ["search", "project = OPS ORDER BY key ASC", "--json"])
    assert found.exit_code == 0, found.output
    assert [(i["key"], i["summary"]) for i in json.loads(found.output)] == [
        ("OPS-1", "disk full"),
        ("OPS-2", "cert expiring"),
    ]
    refused = runner.invoke(app, ["search", "project = = OPS"])
    assert refused.exit_code == 2
    assert "jql" in refused.output


def test_register_stores_a_secret_and_registers_once(
    runner: CliRunner, emulator: Emulator, tmp_path: Path
) -> None:
    _connect(runner, emulator, "admin@example.com", "emulator-token")
    first = runner.invoke(app, ["jira", "webhook", "register", "--url", HOOK, "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["outcome"] == "registered"
    [hook] = emulator.state.webhooks.values()
    secret = _stored_secret(tmp_path)
    assert (hook.url, hook.secret, hook.jql) == (HOOK, secret, 'project in ("OPS")')
    assert set(hook.events) >= {"jira:issue_updated", "jira:issue_deleted", "comment_created"}
    assert secret not in (tmp_path / "jira-connection.json").read_text()  # stored encrypted
    again = runner.invoke(app, ["jira", "webhook", "register", "--url", HOOK])
    assert again.exit_code == 0, again.output
    assert "already registered" in again.output
    assert len(emulator.state.webhooks) == 1
    assert _stored_secret(tmp_path) == secret  # the stored secret is kept, not replaced
    tested = runner.invoke(app, ["config", "jira", "--test", "--json"])
    assert json.loads(tested.output)["webhooks"] == [HOOK]


def test_without_admin_rights_it_prints_the_steps(
    runner: CliRunner, emulator: Emulator, tmp_path: Path
) -> None:
    _connect(runner, emulator, "alice@example.com", "alice-token")
    done = runner.invoke(app, ["jira", "webhook", "register", "--url", HOOK, "--secret", "s3"])
    assert done.exit_code == 1
    assert emulator.state.webhooks == {}
    assert f"URL: {HOOK}" in done.output
    assert "Secret: s3" in done.output
    assert _stored_secret(tmp_path) == "s3"  # the steps' secret is the one deliveries must carry
    tested = runner.invoke(app, ["config", "jira", "--test"])
    assert "cannot list webhooks" in tested.output


def test_no_url_and_no_public_url_is_a_usage_error(runner: CliRunner, emulator: Emulator) -> None:
    _connect(runner, emulator, "admin@example.com", "emulator-token")
    done = runner.invoke(app, ["jira", "webhook", "register"])
    assert done.exit_code == 2
    assert "--url" in done.output
    tested = runner.invoke(app, ["config", "jira", "--test"])
    assert "no webhook delivers to us" in tested.output


def test_the_public_url_is_the_default_target(
    runner: CliRunner, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    _connect(runner, emulator, "admin@example.com", "emulator-token")
    monkeypatch.setenv("TICKETBRIDGE_PUBLIC_URL", "https://tb.acme.example/")
    done = runner.invoke(app, ["jira", "webhook", "register"])
    assert done.exit_code == 0, done.output
    assert [h.url for h in emulator.state.webhooks.values()] == [HOOK]
    tested = runner.invoke(app, ["config", "jira", "--test"])
    assert f"Jira delivers to {HOOK}" in tested.output


async def _ticket_for(url: str, emu: Emulator, key: str) -> None:
    """A ticket of ours whose issue is `key` (as the outbox leaves it once created)."""
    database = Database(url)
    await database.upgrade()
    async with database.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO tickets (fingerprint, generation, project, status, first_seen, "
                "last_seen, occurrences, digest_pending, digested_occurrences, links, issue_key, "
                "issue_id) VALUES ('fp-1', 1, 'OPS', 'linked', '2026-12-01 00:00:00', "
                "'2026-12-01 00:00:00', 1, 0, 1, '[]', :key, :id)"
            ),
            {"key": key, "id": str(emu.issue(key).id)},
        )
    await database.aclose()


def test_reconcile_dry_run_then_for_real(
    runner: CliRunner, emulator: Emulator, tmp_path: Path
) -> None:
    _connect(runner, emulator, "admin@example.com", "emulator-token")
    asyncio.run(_create(emulator, "disk full"))
    asyncio.run(_ticket_for(f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}", emulator, "OPS-1"))
    with httpx.Client(
        base_url=emulator.base_url, auth=("alice@example.com", "alice-token")
    ) as jira:
        moved = jira.post("/rest/api/3/issue/OPS-1/transitions", json={"transition": {"id": "11"}})
        assert moved.status_code == 204
    dry = runner.invoke(app, ["reconcile", "--since", "1h", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.output)
    assert [(o["issue"], o["status_category"]) for o in report["observed"]] == [
        ("OPS-1", "indeterminate")
    ]
    assert report["outcomes"] == {}
    done = runner.invoke(app, ["reconcile", "--json"])
    assert json.loads(done.output)["outcomes"] == {"applied": 1}
    again = runner.invoke(app, ["reconcile"])
    assert again.exit_code == 0, again.output
    assert "0 changed issue(s)" in again.output
    bad = runner.invoke(app, ["reconcile", "--since", "yesterday"])
    assert bad.exit_code == 2
    assert "--since" in bad.output


def test_another_sites_webhook_is_registered_at_its_own_url_with_its_own_secret(
    runner: CliRunner, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tb.yaml").write_text(
        "jira:\n  sites:\n"
        "    main: {url: https://acme.atlassian.net, auth: {type: token, email: a@b.co,"
        " api_token: t}}\n"
        f"    second: {{url: '{emulator.base_url}', allow_private: true, auth: {{type: token,"
        " email: admin@example.com, api_token: emulator-token}, webhook: {secret: second-s3}}\n"
    )
    monkeypatch.setenv("TICKETBRIDGE_CONFIG", str(tmp_path / "tb.yaml"))
    monkeypatch.setenv("TICKETBRIDGE_PUBLIC_URL", "https://tb.acme.example")
    done = runner.invoke(app, ["jira", "webhook", "register", "--site", "second", "--json"])
    assert done.exit_code == 0, done.output
    [hook] = emulator.state.webhooks.values()
    assert (hook.url, hook.secret) == (
        "https://tb.acme.example/v1/jira/sites/second/webhook",
        "second-s3",
    )
    unknown = runner.invoke(app, ["jira", "webhook", "register", "--site", "third"])
    assert unknown.exit_code == 2
    assert "--site" in unknown.output
