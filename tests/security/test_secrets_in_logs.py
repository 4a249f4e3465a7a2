"""No secret reaches a log, in any logging mode, whatever fails (issue 11, item 1).

The attack: one unauthenticated request with an absurdly long `t=` in `X-TicketBridge-Signature`
made a 500, and the console's rich traceback printed the frames' locals — the source's HMAC
secret, six times; authenticated 500s printed the caller's API key. Here the real service
(`open_container` + uvicorn, as `serve` runs it) is configured with a secret of every kind and
made to fail in every way we know: before and after authentication, on every kind of
credential, with a Jira that answers nonsense, with a worker that crashes on it, with a storage
that cannot be written and with its database broken underneath it — in JSON, on a terminal and
as `dev` logs. Then every configured secret is searched for in everything that was logged.

The sources' secrets and tokens have no secret-like shape on purpose: the redaction of shapes
cannot hide them, so only the absence of frame locals and the secret types keep them out.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import io
import json
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from support.logs import captured_logs
from support.postgres import postgres_server
from ticketbridge import bootstrap
from ticketbridge.api.jira_connection import ConnectionStore, StoredConnection
from ticketbridge.config import JiraConfig
from ticketbridge.config.schema import Config
from ticketbridge.config.settings import Settings
from ticketbridge.services import WorkerSettings
from ticketbridge.sources import sign

__all__ = ["postgres_server"]  # the fixture, for the PostgreSQL variants

GITHUB = Path(__file__).resolve().parents[1] / "fixtures" / "sources" / "github" / "push.json"
# Shapeless on purpose (see the module's docstring).
SOURCE_SECRET = "generic-hmac-secret-alpha-bravo-charlie"
WEBHOOK_SECRET = "keeptrusts-webhook-secret-delta-echo"
SOURCE_TOKEN = "alertmanager-bearer-token-foxtrot-golf"
GITHUB_SECRET = "github-webhook-secret-hotel-india"
SECRET_KEY = "ticketbridge-secret-key-juliet-kilo"
JIRA_EMAIL = "bot@example.com"
JIRA_TOKEN = "jira-api-token-lima-mike-november"
CONFIG = {
    "sources": {
        "generic": {"secret": SOURCE_SECRET},
        "keeptrusts": {"secret": WEBHOOK_SECRET},
        "alertmanager": {"token": SOURCE_TOKEN},
        "github": {"secret": GITHUB_SECRET},
    },
}
SCOPES = ("ingest", "read", "admin", "spare")  # `spare` is used first after the database broke


@dataclass
class Service:
    client: httpx.AsyncClient
    container: bootstrap.Container
    keys: dict[str, str]

    def auth(self, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[scope]}"}

    def secrets(self) -> dict[str, str]:
        """Every configured secret, and the forms they travel in."""
        basic = base64.b64encode(f"{JIRA_EMAIL}:{JIRA_TOKEN}".encode()).decode()
        return {
            "source secret": SOURCE_SECRET,
            "webhook secret": WEBHOOK_SECRET,
            "source token": SOURCE_TOKEN,
            "github secret": GITHUB_SECRET,
            "secret key": SECRET_KEY,
            "jira token": JIRA_TOKEN,
            "jira basic credentials": basic,
            **{f"{scope} API key": token for scope, token in self.keys.items()},
            **{f"{scope} API key body": token[3:] for scope, token in self.keys.items()},
        }


def nonsense_jira(request: httpx.Request) -> httpx.Response:
    """A Jira that answers 200 with something no Jira would send (but says which site it is,
    so the workers go on to send what it cannot answer)."""
    if request.url.path == "/_edge/tenant_info":
        return httpx.Response(200, json={"cloudId": "acme-cloud-id"})
    return httpx.Response(200, json=["not", {"what": "Jira sends"}])


@asynccontextmanager
async def running(tmp_path: Path, database_url: str) -> AsyncIterator[Service]:
    """The service as `serve` runs it: uvicorn (our logging, its own error log), one worker."""
    settings = Settings(
        database_url=database_url, data_dir=tmp_path, secret_key=SecretStr(SECRET_KEY)
    )
    store = ConnectionStore(tmp_path, SECRET_KEY)  # a stored connection, as `config jira` does
    jira = JiraConfig.model_validate(
        {
            "url": "https://acme.atlassian.net",
            "auth": {"type": "token", "email": JIRA_EMAIL, "api_token": JIRA_TOKEN},
        }
    )
    store.save(StoredConnection(jira, "OPS"))
    await bootstrap.upgrade_database(database_url)
    worker = WorkerSettings(settle_delay=timedelta(0), idle_sleep=timedelta(milliseconds=10))
    async with bootstrap.open_container(
        settings,
        Config.model_validate(CONFIG),
        workers=1,
        jira_transport=httpx.MockTransport(nonsense_jira),
        worker_settings=worker,
    ) as container:
        keys = {}
        for scope in SCOPES:
            granted = ["read" if scope == "spare" else scope]
            keys[scope] = (await container.api_keys.issue(scope, granted)).token
        async with serving(container) as client:
            yield Service(client, container, keys)


@asynccontextmanager
async def serving(container: bootstrap.Container) -> AsyncIterator[httpx.AsyncClient]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    host, port = listener.getsockname()
    config = uvicorn.Config(
        bootstrap.build_app(container), log_config=None, access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:  # waiting, not timing: uvicorn says when it listens
        assert not task.done(), task
        await asyncio.sleep(0.01)
    try:
        async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as client:
            yield client
    finally:
        server.should_exit = True
        await task
        listener.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/tb.db"
    return str(request.getfixturevalue("postgres_server").create_database())


def signed(body: bytes, secret: str) -> dict[str, str]:
    return {"X-TicketBridge-Signature": sign(secret, body, datetime.now(UTC))}


def github_signed(body: bytes) -> dict[str, str]:
    digest = hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "X-Hub-Signature-256": f"sha256={digest}",
        "Content-Type": "application/json",
    }


async def break_database(service: Service) -> None:
    """Someone drops tables under the running service (a bad migration, a wrong database)."""
    database = service.container.database
    cascade = " CASCADE" if database.dialect == "postgresql" else ""
    async with database.engine.begin() as connection:
        for table in ("alerts", "push_events", "api_keys"):
            await connection.exec_driver_sql(f"DROP TABLE {table}{cascade}")


ALERT = {"id": "a1", "title": "PII leak", "severity": "high", "fingerprint": "fp-1"}
ALERTMANAGER = {
    "version": "4",
    "status": "firing",
    "alerts": [{"status": "firing", "labels": {"alertname": "Down"}, "fingerprint": "c0ffee"}],
}
KEEPTRUSTS = {"escalation_id": "esc_1", "action": "block", "policy": "pii"}


async def fail_in_every_way(service: Service, tmp_path: Path) -> dict[str, int]:
    """Every kind of failure we can cause; returns what each request was answered."""
    client, body = service.client, json.dumps(ALERT).encode()
    answers: dict[str, int] = {}

    async def post(what: str, path: str, content: bytes, headers: dict[str, str]) -> None:
        headers = {"Content-Type": "application/json", **headers}
        answers[what] = (await client.post(path, content=content, headers=headers)).status_code

    # Unauthenticated: a signature whose timestamp no integer parser accepts.
    header = signed(body, SOURCE_SECRET)["X-TicketBridge-Signature"]
    absurd = {"X-TicketBridge-Signature": header.replace("t=", "t=" + "9" * 5000)}
    await post("absurd signature", "/v1/sources/generic", body, absurd)
    # A Jira that answers nonsense: the connection test, and a worker crashing on a create.
    await post("jira test", "/v1/integrations/jira/test", b"", service.auth("admin"))
    ingest = {**service.auth("ingest"), "Content-Type": "application/json"}
    await post("alert for the worker", "/v1/alerts", body, ingest)
    await service.container.ingest.settle()
    [dispatcher] = service.container.dispatchers
    await dispatcher.run_until_idle(max_rounds=1)
    # The Jira connection cannot be stored (its temporary file's place is taken).
    (tmp_path / ".jira-connection.json.tmp").mkdir()
    connection = {
        "url": "https://acme.atlassian.net",
        "auth": {"type": "token", "email": JIRA_EMAIL, "api_token": JIRA_TOKEN},
    }
    stored = await client.put(
        "/v1/integrations/jira", json=connection, headers=service.auth("admin")
    )
    answers["jira connection stored"] = stored.status_code
    # The database broken under the service: every credential, accepted, then failing.
    await break_database(service)
    am = json.dumps(ALERTMANAGER).encode()
    bearer = {"Authorization": f"Bearer {SOURCE_TOKEN}"}
    await post("source bearer token", "/v1/sources/alertmanager", am, bearer)
    await post("source ?token=", f"/v1/sources/alertmanager?token={SOURCE_TOKEN}", am, {})
    await post("source signature", "/v1/sources/generic", body, signed(body, SOURCE_SECRET))
    keeptrusts = json.dumps(KEEPTRUSTS).encode()
    webhook = signed(keeptrusts, WEBHOOK_SECRET)
    await post("webhook signature", "/v1/sources/keeptrusts", keeptrusts, webhook)
    push = GITHUB.read_bytes()
    await post("github signature", "/v1/sources/github", push, github_signed(push))
    await post("API key, ingest", "/v1/alerts", body, ingest)
    listed = await client.get("/v1/alerts", headers=service.auth("spare"))  # its lookup fails
    answers["API key, lookup"] = listed.status_code
    return answers


@pytest.mark.parametrize("mode", ["json", "terminal", "dev"])
async def test_no_secret_reaches_the_log_whatever_fails(
    tmp_path: Path, database_url: str, mode: str
) -> None:
    with captured_logs(mode, level="DEBUG") as logs:
        async with running(tmp_path, database_url) as service:
            answers = await fail_in_every_way(service, tmp_path)
        # Read once the server has stopped: uvicorn logs a request's traceback after its
        # answer has gone out, so a read right after the last answer may come before it.
        text = logs.text()
    leaked = {name for name, secret in service.secrets().items() if secret in text}
    assert leaked == set()
    # What was searched holds the failures: each 500 logged with its traceback, and the crash.
    assert answers.pop("alert for the worker") == 202
    assert answers.pop("absurd signature") == 401  # a `t=` over 12 digits is malformed
    assert set(answers.values()) == {500}, answers
    assert text.count("unhandled_error") >= len(answers)
    assert text.count("Traceback (most recent call last)") >= 2 * len(answers)  # ours, uvicorn's
    assert "outbox job crashed" in text


class StuckStderr(io.StringIO):
    """A stderr that nobody reads: every write waits until the test lets it through."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def write(self, text: str) -> int:
        self.entered.set()
        # Not a time bound on anything asserted: only so that a logger writing on the event
        # loop makes this test fail (below) instead of hanging it.
        self.release.wait(STUCK_AT_MOST)
        return super().write(text)


STUCK_AT_MOST = 20.0


async def test_a_500_being_logged_does_not_stall_other_requests(tmp_path: Path) -> None:
    stderr = StuckStderr()
    async with running(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/tb.db") as service:
        await break_database(service)
        with captured_logs("terminal", stream=stderr) as logs:
            try:
                body = json.dumps(ALERT).encode()
                headers = {**service.auth("ingest"), "Content-Type": "application/json"}
                failed = await service.client.post("/v1/alerts", content=body, headers=headers)
                assert failed.status_code == 500
                assert await asyncio.to_thread(stderr.entered.wait, STUCK_AT_MOST)
                health = await service.client.get("/healthz")
                assert health.status_code == 200
                assert stderr.getvalue() == ""  # answered while the 500's log was still stuck
            finally:
                stderr.release.set()
            assert "unhandled_error" in logs.text()
