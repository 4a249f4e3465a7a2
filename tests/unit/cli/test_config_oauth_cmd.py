"""`ticketbridge config jira --scoped`, `--oauth1` and `--oauth`'s usage errors, against the
emulator over real HTTP (a uvicorn subprocess)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from support.keys import rsa_pem_pair
from support.processes import clean_env, free_port, running
from ticketbridge.api.jira_connection import ConnectionStore
from ticketbridge.cli import app

SRC = Path(__file__).resolve().parents[3] / "src"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    for name in ("TICKETBRIDGE_SECRET_KEY", "TICKETBRIDGE_CONFIG", "TICKETBRIDGE_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TICKETBRIDGE_OUTBOUND_ALLOW", "127.0.0.1/32")
    return CliRunner()


def _emulator(flavor: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "jira_emulator", "--flavor", flavor, "--port", str(port)]
    env = clean_env({"PYTHONPATH": str(SRC)})
    with running(
        command,
        ready_url=f"{url}/_emulator/health",
        env=env,
        cwd=tmp_path,
        log=tmp_path / f"{flavor}.log",
    ):
        yield url


@pytest.fixture
def dc_url(tmp_path: Path) -> Iterator[str]:
    yield from _emulator("datacenter", tmp_path)


@pytest.fixture
def cloud_url(tmp_path: Path) -> Iterator[str]:
    yield from _emulator("cloud", tmp_path)


def test_oauth1_connects_in_two_runs_and_the_connection_works(
    runner: CliRunner, dc_url: str, tmp_path: Path
) -> None:
    private, public = rsa_pem_pair()
    httpx.post(
        f"{dc_url}/_emulator/oauth1/consumers",
        json={"consumer_key": "ticketbridge", "public_key": public},
    ).raise_for_status()
    (tmp_path / "tb.pem").write_text(private)
    base = ["config", "jira", "--oauth1", "--server-url", dc_url, "--consumer-key",
            "ticketbridge", "--private-key-file", "tb.pem", "--allow-private"]  # fmt: skip

    first = runner.invoke(app, base)  # no terminal: print the URL, say how to finish
    assert first.exit_code == 2, first.output
    approve = next(line for line in first.output.splitlines() if "/authorize?" in line)
    token = httpx.URL(approve.strip()).params["oauth_token"]
    shown = httpx.get(approve.strip()).text  # the Jira user allows access
    verifier = shown.rpartition(": ")[2]

    second = runner.invoke(app, [*base, "--request-token", token, "--verifier", verifier])
    assert second.exit_code == 0, second.output
    stored = ConnectionStore(tmp_path / "var", None).load()
    assert stored is not None
    assert stored.jira.auth.type == "oauth1"
    assert private not in (tmp_path / "var" / "jira-connection.json").read_text()

    tested = runner.invoke(app, ["config", "jira", "--test"])
    assert tested.exit_code == 0, tested.output
    assert "Connected successfully" in tested.output


def test_oauth1_with_a_key_the_link_does_not_know_saves_nothing(
    runner: CliRunner, dc_url: str, tmp_path: Path
) -> None:
    (tmp_path / "tb.pem").write_text(rsa_pem_pair()[0])
    result = runner.invoke(
        app,
        ["config", "jira", "--oauth1", "--server-url", dc_url, "--consumer-key", "unknown",
         "--private-key-file", "tb.pem", "--allow-private"],
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "consumer_key_unknown" in result.output
    assert not (tmp_path / "var" / "jira-connection.json").exists()


def test_scoped_token_is_saved_and_tested_through_the_gateway(
    runner: CliRunner, cloud_url: str
) -> None:
    made = httpx.post(
        f"{cloud_url}/_emulator/oauth/scoped-tokens",
        json={"email": "admin@example.com", "scopes": ["read:jira-work", "read:jira-user"]},
    )
    token = made.json()["token"]
    result = runner.invoke(
        app,
        ["config", "jira", "--scoped", "--cloud-url", cloud_url, "--email", "admin@example.com",
         "--api-url", cloud_url, "--allow-private", "--test"],
        env={"TICKETBRIDGE_JIRA_API_TOKEN": token},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    through = httpx.get(f"{cloud_url}/_emulator/oauth/gateway").json()
    assert {(r["path"], r["status"]) for r in through} >= {("/rest/api/3/myself", 200)}

    classic = runner.invoke(
        app,
        ["config", "jira", "--cloud-url", cloud_url, "--email", "admin@example.com",
         "--allow-private", "--test"],
        env={"TICKETBRIDGE_JIRA_API_TOKEN": token},
    )  # fmt: skip
    assert classic.exit_code == 3, classic.output  # the site refuses a scoped token


@pytest.mark.parametrize(
    "args",
    [
        ["--oauth"],  # no client id
        ["--oauth", "--client-id", "x", "--server-url", "https://jira.acme.com"],
        ["--oauth1", "--server-url", "https://jira.acme.com"],  # no key
        ["--oauth1", "--oauth", "--server-url", "https://jira.acme.com"],
    ],
)
def test_oauth_usage_errors_exit_2(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(
        app, ["config", "jira", *args], env={"TICKETBRIDGE_JIRA_CLIENT_SECRET": "s"}
    )
    assert result.exit_code == 2, result.output
