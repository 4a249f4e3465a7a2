"""The admin UI's test stack: the Jira emulator (Data Center) and `ticketbridge serve` (one
in-process worker) as real processes over HTTP, an admin and a read-only user made with
`ticketbridge user create`, and one Chromium for the whole module (Debian's, headless)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

import ticketbridge
from support.processes import clean_env, free_port, running
from support.requirements import find_binary, require
from ticketbridge import bootstrap
from ticketbridge.bootstrap import Container
from ticketbridge.domain.accounts import Role

PASSWORD = "hostile test password"  # of `signed_in`'s admin
ADMIN, ADMIN_PASSWORD = "alice", "correct horse battery"
READER, READER_PASSWORD = "rita", "reader password 1"
EMULATOR_PAT = "emulator-pat"
EMULATOR_AUTH = {"Authorization": f"Bearer {EMULATOR_PAT}"}
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "ui"
AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
AXE_SERIOUS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(' | '));
}"""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_SRC = str(Path(ticketbridge.__file__).resolve().parents[1])  # this checkout's code
_CLI = [sys.executable, "-c", "import sys; from ticketbridge.cli import main; main()"]

CONFIG = """\
defaults:                # no project: the test picks it in the UI
  issue_type: Task       # set here: shown read-only in the UI
  min_severity: info
templates:
  pii:
    summary: "PII: {{ alert.title }}"
    description: |
      ## What happened
      {{ alert.description }}

      | Field | Value |
      |---|---|
      | Policy | {{ alert.attributes.policy_name }} |
routes:
  - name: pii-blocks
    when: 'attributes.action == "block"'
    template: pii
    priority: High
  - name: everything
    when: "true"
  - name: never-reached
    when: 'severity == "critical"'
"""


HOOK_TOKEN = "hook-token-0123456789"
CONNECTED = f"""\
jira:
  flavor: datacenter
  url: "@EMULATOR@"
  auth: {{type: pat, token: {EMULATOR_PAT}}}
  allow_private: true
  webhook: {{token: {HOOK_TOKEN}}}
defaults:
  project: OPS
  issue_type: Task
  min_severity: info
routes:
  - name: everything
    when: "true"
"""
"""ticketbridge.yaml connected to the emulator (its webhook token set): OPS, every alert."""


@dataclass(frozen=True)
class Stack:
    base: str
    emulator: str
    workdir: Path
    env: dict[str, str]

    def cli(self, *args: str, stdin: str = "") -> str:
        done = subprocess.run(
            [*_CLI, *args],
            input=stdin,
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def api_key(self) -> str:
        out = self.cli("apikey", "create", "--name", "ui-test", "--scope", "admin", "--json")
        return str(json.loads(out)["token"])

    def emulator_issues(self) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.emulator}/_emulator/issues", timeout=10)
        answer.raise_for_status()
        issues = answer.json()
        return list(issues["issues"] if isinstance(issues, dict) else issues)


def chromium_path() -> str:
    found = find_binary("chromium", "/usr/bin/chromium*")
    require(found is not None, "Chromium (/usr/bin/chromium)")
    assert found is not None
    return found


@contextmanager
def ui_stack(workdir: Path, config: str = CONFIG, flavor: str = "datacenter") -> Iterator[Stack]:
    """`config`: ticketbridge.yaml, `@EMULATOR@` standing for the emulator's URL."""
    emulator_port, port = free_port(), free_port()
    emulator = f"http://127.0.0.1:{emulator_port}"
    (workdir / "ticketbridge.yaml").write_text(config.replace("@EMULATOR@", emulator))
    env = clean_env(
        {
            "PYTHONPATH": _SRC,
            "TICKETBRIDGE_CONFIG": str(workdir / "ticketbridge.yaml"),
            "TICKETBRIDGE_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'tb.db'}",
            "TICKETBRIDGE_DATA_DIR": str(workdir / "var"),
            "TICKETBRIDGE_OUTBOUND_ALLOW": "127.0.0.1/32",  # the emulator, typed into the form
            "TICKETBRIDGE_LOG_LEVEL": "WARNING",
            "TICKETBRIDGE_WORKERS": "1",
        }
    )
    emulator_cmd = [sys.executable, "-m", "jira_emulator", "--flavor", flavor]
    with ExitStack() as stack:
        stack.enter_context(
            running(
                [*emulator_cmd, "--port", str(emulator_port)],
                ready_url=f"{emulator}/_emulator/health",
                env=env,
                cwd=workdir,
                log=workdir / "emulator.log",
            )
        )
        base = f"http://127.0.0.1:{port}"
        served = Stack(base, emulator, workdir, env)
        served.cli("db", "upgrade")
        served.cli(
            "user", "create", ADMIN, "--role", "admin", "--password-stdin", stdin=ADMIN_PASSWORD
        )
        served.cli("user", "create", READER, "--password-stdin", stdin=READER_PASSWORD)
        stack.enter_context(
            running(
                [*_CLI, "serve", "--port", str(port)],
                ready_url=f"{base}/readyz",
                env=env,
                cwd=workdir,
                log=workdir / "serve.log",
            )
        )
        yield served


def ticketed(stack: Stack, alert_id: str, severity: str, fields: str) -> tuple[str, Any]:
    """The key and `fields` of the issue a new alert gets in the emulator."""
    alert = {"source": "generic", "id": alert_id, "title": alert_id, "severity": severity}
    answer = httpx.post(
        f"{stack.base}/v1/alerts?wait=ticket",
        json=alert,
        headers={"Authorization": f"Bearer {stack.api_key()}"},
        timeout=30,
    )
    key = str(answer.json()["results"][0]["ticket"]["key"])
    issue = httpx.get(
        f"{stack.emulator}/rest/api/2/issue/{key}",
        params={"fields": fields},
        headers=EMULATOR_AUTH,
        timeout=10,
    )
    return key, issue.json()["fields"]


def save_defaults(page: Any) -> None:
    """Press the defaults page's Save, and wait for the page it leads to."""
    with page.expect_navigation(url="**/ui/defaults?saved=1"):
        page.get_by_role("button", name="Save defaults").click()


@contextmanager
def admin_page(stack: Stack, **options: Any) -> Iterator[Any]:
    """Its own Chromium, one page signed in as the admin (a module's whole browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = admin_signed_in(browser, stack, **options)
        try:
            yield page
        finally:
            browser.close()


@asynccontextmanager
async def signed_in(
    tmp_path: Path, config: str | None = None, base_url: str = "http://tb.local"
) -> AsyncIterator[tuple[httpx.AsyncClient, Container]]:
    """The app `serve` builds, in process over ASGI, with an admin signed in, and its
    container; `config`: its ticketbridge.yaml."""
    env = {
        "TICKETBRIDGE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}",
        "TICKETBRIDGE_DATA_DIR": str(tmp_path / "var"),
    }
    if config is not None:
        (tmp_path / "ticketbridge.yaml").write_text(config)
        env["TICKETBRIDGE_CONFIG"] = str(tmp_path / "ticketbridge.yaml")
    settings = bootstrap.load_settings(env)
    await bootstrap.upgrade_database(settings.database_url)
    async with bootstrap.open_container(settings) as container:
        await container.accounts.create_user("admin", PASSWORD, Role.ADMIN)
        transport = httpx.ASGITransport(app=bootstrap.build_app(container))
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
            assert (await sign_in(http)).status_code == 303
            yield http, container


async def sign_in(http: httpx.AsyncClient) -> httpx.Response:
    """The login form posted as `signed_in`'s admin: its answer."""
    page = (await http.get("/ui/login")).text
    token = page.split('name="login_token" value="')[1].split('"')[0]
    form = {"username": "admin", "password": PASSWORD, "login_token": token}
    return await http.post("/ui/login", data=form)


def admin_signed_in(browser: Any, stack: Stack, **options: Any) -> Any:
    """A page of a new context of `browser` (`options`), signed in as the admin."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}, **options).new_page()
    page.goto(f"{stack.base}/ui/login")
    page.fill("#username", ADMIN)
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    return page
