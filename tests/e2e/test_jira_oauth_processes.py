"""OAuth 2.0 (3LO) with real processes over real HTTP: the Cloud emulator (authorization server
and gateway), `ticketbridge serve` receiving the callback, `ticketbridge config jira --oauth`
waiting for it; a process killed (-9) right after it rotated the refresh token; a revoked grant
dead-lettering the job with the reconnect hint. The emulator never accepts a spent refresh
token here (its leeway is 0: any reuse would revoke the grant)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from e2e_processes import BIN, Stack, wait_until_ok

from support.processes import free_port

SRC = Path(__file__).resolve().parents[2] / "src"
CLIENT = {"client_id": "app", "client_secret": "app-secret-e2e"}
ALERT = {"id": "oa-1", "title": "over OAuth", "severity": "high", "fingerprint": "oauth-e2e"}

ROTATE_AND_DIE = """
import asyncio, os, signal, sys
from pathlib import Path
import httpx
from ticketbridge.api.jira_connection import ConnectionStore
from ticketbridge.bootstrap.jira_oauth import OAuthTokens
from ticketbridge.storage import Database

async def main() -> None:
    store = ConnectionStore(Path(sys.argv[2]), sys.argv[3])
    jira = store.load().jira
    tokens = OAuthTokens(Database(sys.argv[1]), store.cipher)
    source = tokens.source(jira.auth, str(jira.url), httpx.AsyncHTTPTransport())
    current = await source.access_token()
    await source.access_token(refused=current)  # rotate now
    print("rotated", flush=True)
    if sys.argv[4:] == ["die"]:
        os.kill(os.getpid(), signal.SIGKILL)  # no clean shutdown of anything

asyncio.run(main())
"""


@dataclass
class OAuthStack(Stack):
    """The Cloud emulator with an OAuth app registered, and no Jira in ticketbridge.yaml."""

    serve_port: int = field(default_factory=free_port)

    @property
    def serve_url(self) -> str:
        return f"http://127.0.0.1:{self.serve_port}"

    @property
    def env(self) -> dict[str, str]:
        return super().env | {
            "PYTHONPATH": str(SRC),
            "TICKETBRIDGE_SECRET_KEY": "e2e-secret-key",
            "TICKETBRIDGE_LOG_LEVEL": "INFO",
            "TICKETBRIDGE_JIRA_CLIENT_SECRET": CLIENT["client_secret"],
        }

    def start(self) -> None:
        (self.workdir / "ticketbridge.yaml").write_text(
            "defaults:\n  project: OPS\n  min_severity: info\n"
        )
        self.spawn(
            [sys.executable, "-m", "jira_emulator", "--flavor", "cloud",
             "--port", str(self.emulator_port), "--cloud-id", "cloud-e2e"],
            "emulator.log",
        )  # fmt: skip
        wait_until_ok(f"{self.emulator_url}/_emulator/health")
        callback = f"{self.serve_url}/v1/integrations/jira/oauth/callback"
        httpx.post(
            f"{self.emulator_url}/_emulator/oauth/clients",
            json=CLIENT | {"redirect_uris": [callback]},
        ).raise_for_status()
        self.emulator_settings(leeway=0)
        self.cli("db", "upgrade")

    def emulator_settings(self, **values: float) -> None:
        url = f"{self.emulator_url}/_emulator/oauth/settings"
        httpx.put(url, json=values).raise_for_status()

    def oauth_stats(self) -> dict[str, int]:
        stats: dict[str, int] = httpx.get(f"{self.emulator_url}/_emulator/oauth").json()
        return stats

    def connect(self) -> str:
        """`config jira --oauth` started; the browser's round trip; the command's output."""
        command = subprocess.Popen(
            [str(BIN / "ticketbridge"), "config", "jira", "--oauth", "--client-id", "app",
             "--auth-url", self.emulator_url, "--api-url", self.emulator_url,
             "--allow-private", "--project-key", "OPS",
             "--redirect-uri", f"{self.serve_url}/v1/integrations/jira/oauth/callback"],
            cwd=self.workdir, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert command.stdout is not None
        url = command.stdout.readline().strip()
        assert url.startswith(f"{self.emulator_url}/authorize?"), url
        consent = httpx.get(url)  # the browser: Atlassian's consent, then back to serve
        assert consent.status_code == 302
        landed = httpx.get(consent.headers["location"], timeout=30)
        assert landed.status_code == 200, landed.text
        out, err = command.communicate(timeout=60)
        assert command.returncode == 0, out + err
        return out + err

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.workdir.glob("*.log"))


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[OAuthStack]:
    made = OAuthStack(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/var/ticketbridge.db")
    try:
        made.start()
        yield made
    finally:
        made.stop_all()


def _gateway_creates(stack: OAuthStack) -> list[dict[str, object]]:
    logged = httpx.get(f"{stack.emulator_url}/_emulator/oauth/gateway").json()
    return [
        r
        for r in logged
        if (r["method"], r["path"], r["status"]) == ("POST", "/rest/api/3/issue", 201)
        and (r["cloud_id"], r["scheme"]) == ("cloud-e2e", "Bearer")
    ]


def _wait_for(check: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError("never happened")


def _send_alert(stack: OAuthStack) -> None:
    key = json.loads(stack.cli("apikey", "create", "--name", "e2e", "--scope", "admin", "--json"))
    sent = httpx.post(
        f"{stack.serve_url}/v1/alerts",
        json=ALERT,
        headers={"Authorization": f"Bearer {key['token']}"},
        timeout=30,
    )
    assert sent.status_code == 202, sent.text


def test_the_full_dance_then_serve_writes_through_the_gateway(stack: OAuthStack) -> None:
    stack.serve(stack.serve_port)
    said = stack.connect()
    assert "Connected to Jira" in said
    assert "Connected successfully" in stack.cli("config", "jira", "--test")
    assert "is valid against the live Jira" in stack.cli("config", "check", "--live")

    _send_alert(stack)
    _wait_for(lambda: len(_gateway_creates(stack)) == 1)
    assert stack.oauth_stats()["spent_reuses"] == 0
    logs = stack.logs() + said
    assert CLIENT["client_secret"] not in logs


def test_a_rotated_refresh_token_survives_a_kill_right_after_the_exchange(
    stack: OAuthStack,
) -> None:
    serve = stack.serve(stack.serve_port)
    stack.connect()
    serve.send_signal(signal.SIGTERM)  # nobody else refreshes
    serve.wait(timeout=20)
    rotated = subprocess.run(
        [sys.executable, "-c", ROTATE_AND_DIE, stack.database_url,
         str(stack.workdir / "var"), "e2e-secret-key", "die"],
        cwd=stack.workdir, env=stack.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert rotated.returncode == -signal.SIGKILL, rotated.stderr
    assert rotated.stdout.splitlines()[-1] == "rotated"
    assert stack.oauth_stats()["refreshes"] == 1

    again = subprocess.run(  # a new process rotates from what the killed one stored
        [sys.executable, "-c", ROTATE_AND_DIE, stack.database_url,
         str(stack.workdir / "var"), "e2e-secret-key", "die"],
        cwd=stack.workdir, env=stack.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert again.stdout.splitlines()[-1] == "rotated", again.stderr
    stats = stack.oauth_stats()
    assert (stats["refreshes"], stats["spent_reuses"], stats["revoked_grants"]) == (2, 0, 0)


def test_a_revoked_grant_dead_letters_the_job_with_the_reconnect_hint(
    stack: OAuthStack,
) -> None:
    stack.serve(stack.serve_port)
    stack.connect()
    revoked = httpx.post(f"{stack.emulator_url}/_emulator/oauth/revoke-grants", json=CLIENT)
    assert revoked.json() == {"revoked": 1}  # the user removed the app from "Connected apps"

    _send_alert(stack)

    def dead() -> list[dict[str, object]]:
        listed: list[dict[str, object]] = json.loads(stack.cli("outbox", "list", "--json"))
        return listed

    _wait_for(lambda: len(dead()) == 1)
    job = dead()[0]
    assert "reconnect: ticketbridge config jira --oauth" in str(job["last_error"])
    assert "reconnect: ticketbridge config jira --oauth" in str(job["hint"])
    assert _gateway_creates(stack) == []


def test_processes_rotating_at_once_never_send_a_spent_refresh_token(stack: OAuthStack) -> None:
    serve = stack.serve(stack.serve_port)
    stack.connect()
    serve.send_signal(signal.SIGTERM)
    serve.wait(timeout=20)
    command = [sys.executable, "-c", ROTATE_AND_DIE, stack.database_url,
               str(stack.workdir / "var"), "e2e-secret-key"]  # fmt: skip
    rotating = [
        subprocess.Popen(command, cwd=stack.workdir, env=stack.env, stdout=subprocess.PIPE)
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=120)[0].decode() for process in rotating]
    assert all(out.splitlines()[-1] == "rotated" for out in outputs), outputs
    stats = stack.oauth_stats()
    assert stats["refreshes"] >= 1
    assert (stats["spent_reuses"], stats["revoked_grants"]) == (0, 0)
