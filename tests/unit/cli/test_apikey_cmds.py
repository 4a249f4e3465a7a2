"""`apikey list|revoke` (exit codes, output, the rows in the database) and what a revoke and a
use do to the API: the revoked key is refused (at once when not cached, within the cache TTL
when a server used it just before), and `last_used_at` is written at most once a minute."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from ticketbridge import bootstrap
from ticketbridge.api.auth import Authenticator, AuthError
from ticketbridge.config.settings import Settings
from ticketbridge.domain.records import ApiKey
from ticketbridge.services.api_keys import ApiKeys


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TICKETBRIDGE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}")
    monkeypatch.delenv("TICKETBRIDGE_CONFIG", raising=False)
    runner = CliRunner()
    assert invoke(runner, "db", "upgrade")[0] == 0
    return runner


def invoke(runner: CliRunner, *args: str) -> tuple[int, str]:
    from ticketbridge.cli import app

    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def create(runner: CliRunner, name: str, scope: str) -> str:
    code, out = invoke(runner, "apikey", "create", "--name", name, "--scope", scope)
    assert code == 0, out
    [token] = re.findall(r"tb_[A-Za-z0-9_-]{40,}", out)
    return token


def settings() -> Settings:
    return bootstrap.load_settings()


async def stored_keys() -> list[ApiKey]:
    async with (
        bootstrap.open_container(settings()) as container,
        container.database.unit_of_work() as uow,
    ):
        return await uow.api_keys.list()


def listed(runner: CliRunner) -> list[dict[str, object]]:
    code, out = invoke(runner, "apikey", "list", "--json")
    assert code == 0, out
    rows: list[dict[str, object]] = json.loads(out)
    return rows


def test_list_shows_every_key_without_its_token(runner: CliRunner) -> None:
    assert listed(runner) == []
    assert "no API keys yet" in invoke(runner, "apikey", "list")[1]
    token = create(runner, "ci", "ingest,read")
    create(runner, "ops", "admin")
    rows = listed(runner)
    assert [(r["id"], r["name"], r["scopes"], r["revoked"]) for r in rows] == [
        (1, "ci", ["ingest", "read"], False),
        (2, "ops", ["admin"], False),
    ]
    assert all(r["last_used_at"] is None and r["created_at"] for r in rows)
    code, table = invoke(runner, "apikey", "list")
    assert code == 0
    assert all(part in table for part in ("ci", "ops", "ingest, read", "never"))
    assert token not in json.dumps(rows) + table
    assert "token_hash" not in rows[0]


def test_a_key_speaks_for_generic_unless_granted_sources(runner: CliRunner) -> None:
    create(runner, "plain", "ingest")
    code, out = invoke(
        runner, "apikey", "create", "--name", "relay", "--scope", "ingest",
        "--source", "falco,generic", "--source", "Datadog", "--json",
    )  # fmt: skip
    assert code == 0, out
    assert json.loads(out)["sources"] == ["Datadog", "falco", "generic"]
    assert [r["sources"] for r in listed(runner)] == [["generic"], ["Datadog", "falco", "generic"]]
    table = invoke(runner, "apikey", "list")[1]
    assert all(name in table for name in ("Datadog", "falco", "generic"))


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--source", "s" * 65, "source"),
        ("--source", "tab\there", "source"),
        ("--source", "epic", "source"),  # its keys would meet epic tickets' `epic:…` keys
        ("--name", " ", "name"),
    ],
)
def test_a_bad_source_or_name_is_bad_usage_naming_it(
    runner: CliRunner, option: str, value: str, named: str
) -> None:
    args = ["apikey", "create", "--name", "x", "--scope", "ingest", option, value]
    code, out = invoke(runner, *args)
    assert code == 2, out
    assert named in out
    assert listed(runner) == []


@pytest.mark.parametrize(
    ("target", "code", "message", "revoked"),
    [
        ("1", 0, "API key 1 (ci) is revoked", [True, False]),
        ("2", 0, "API key 2 (ops) is revoked", [False, True]),
        ("9", 2, "no API key with id 9", [False, False]),
        ("x", 2, "", [False, False]),  # not an id: typer's usage error
    ],
)
def test_revoke(
    runner: CliRunner, target: str, code: int, message: str, revoked: list[bool]
) -> None:
    create(runner, "ci", "ingest")
    create(runner, "ops", "admin")
    got, out = invoke(runner, "apikey", "revoke", target)
    assert got == code, out
    assert message in out
    assert [k.revoked for k in asyncio.run(stored_keys())] == revoked


def test_revoking_twice_is_not_an_error_and_json_names_the_key(runner: CliRunner) -> None:
    create(runner, "ci", "ingest")
    assert invoke(runner, "apikey", "revoke", "1")[0] == 0
    code, out = invoke(runner, "apikey", "revoke", "1", "--json")
    assert code == 0, out
    body = json.loads(out)
    assert (body["id"], body["name"], body["revoked"]) == (1, "ci", True)


async def _status(container: bootstrap.Container, token: str) -> int:
    transport = httpx.ASGITransport(app=bootstrap.build_app(container))
    async with httpx.AsyncClient(transport=transport, base_url="http://tb.test") as client:
        headers = {"Authorization": f"Bearer {token}"}
        return (await client.get("/v1/alerts", headers=headers)).status_code


def test_a_revoked_key_is_refused_by_the_api(runner: CliRunner) -> None:
    token = create(runner, "reader", "read")
    other = create(runner, "other", "read")
    assert invoke(runner, "apikey", "revoke", "1")[0] == 0

    async def statuses() -> tuple[int, int]:
        async with bootstrap.open_container(settings()) as container:
            return await _status(container, token), await _status(container, other)

    assert asyncio.run(statuses()) == (401, 200)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def keys_with(container: bootstrap.Container, clock: Clock) -> Authenticator:
    """The API's authenticator over the keys of `container`'s database, on `clock`."""
    return Authenticator(ApiKeys(container.database.unit_of_work, clock))  # type: ignore[arg-type]


def test_a_server_that_cached_the_key_refuses_it_once_the_ttl_is_over(runner: CliRunner) -> None:
    token = create(runner, "reader", "read")
    clock = Clock()

    async def before_and_after() -> list[str]:
        seen = []
        async with bootstrap.open_container(settings()) as container:
            auth = keys_with(container, clock)
            for step in (0.0, 0.0, 4.9, 0.1):  # the revoke comes after the first request
                clock.now += timedelta(seconds=step)
                try:
                    seen.append((await auth.authenticate(f"Bearer {token}")).name)
                except AuthError as refused:
                    seen.append(str(refused.status))
                if len(seen) == 1:  # the CLI runs its own event loop: another thread
                    revoked = await asyncio.to_thread(invoke, runner, "apikey", "revoke", "1")
                    assert revoked[0] == 0
        return seen

    # accepted from the cache for up to 5 s after the revoke, then 401 on every request
    assert asyncio.run(before_and_after()) == ["reader", "reader", "reader", "401"]


def test_last_used_is_written_at_most_once_a_minute_per_key(runner: CliRunner) -> None:
    token = create(runner, "reader", "read")
    create(runner, "idle", "read")
    clock = Clock()

    async def uses() -> list[datetime | None]:
        written = []
        async with bootstrap.open_container(settings()) as container:
            auth = keys_with(container, clock)
            for step in (0.0, 1.0, 58.9, 0.1):
                clock.now += timedelta(seconds=step)
                await auth.authenticate(f"Bearer {token}")
                written.append((await stored_keys())[0].last_used_at)
        return written

    first, within, still, next_minute = asyncio.run(uses())
    assert first is not None
    assert within == still == first  # no write per request
    assert next_minute is not None
    assert next_minute > first
    assert [r["last_used_at"] is None for r in listed(runner)] == [False, True]
