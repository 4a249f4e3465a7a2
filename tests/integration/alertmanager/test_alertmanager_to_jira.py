"""Issue 6, done when: an alert posted to the real Alertmanager becomes one Jira issue, and its
resolution comments on and transitions that issue.

Three real processes talk real HTTP: Debian's prometheus-alertmanager → `ticketbridge serve`
(SQLite) → the Jira emulator (Cloud). Nothing in between is faked.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.alertmanager import alertmanager_binary, running_alertmanager
from support.processes import BIN, clean_env, free_port, running
from support.requirements import require

pytestmark = pytest.mark.alertmanager

TOKEN = "am-test-token"
JIRA_AUTH = ("admin@example.com", "emulator-token")
CONFIG = """\
jira:
  flavor: cloud
  url: {jira_url}
  allow_private: true
  auth: {{type: token, email: admin@example.com, api_token: emulator-token}}
defaults:
  project: OPS
  min_severity: low
sync:
  on_source_resolved: {{comment: true, transition: true}}
sources:
  alertmanager: {{token: {token}}}
"""


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The emulator and `ticketbridge serve`; yields (jira_url, ticketbridge_url)."""
    jira_port, tb_port = free_port(), free_port()
    jira_url, tb_url = f"http://127.0.0.1:{jira_port}", f"http://127.0.0.1:{tb_port}"
    config = tmp_path / "ticketbridge.yaml"
    config.write_text(CONFIG.format(jira_url=jira_url, token=TOKEN))
    env = clean_env(
        {
            "TICKETBRIDGE_CONFIG": str(config),
            "TICKETBRIDGE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/tb.db",
            "TICKETBRIDGE_DATA_DIR": str(tmp_path / "var"),
            "TICKETBRIDGE_PORT": str(tb_port),
        }
    )
    emulator = [str(BIN / "python"), "-m", "jira_emulator", "--port", str(jira_port)]
    serve = [str(BIN / "ticketbridge"), "serve"]
    with (
        running(
            emulator,
            ready_url=f"{jira_url}/_emulator/health",
            env=env,
            cwd=tmp_path,
            log=tmp_path / "emulator.log",
        ),
        running(
            serve, ready_url=f"{tb_url}/readyz", env=env, cwd=tmp_path, log=tmp_path / "serve.log"
        ),
    ):
        yield jira_url, tb_url


def search(jira_url: str, jql: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{jira_url}/rest/api/3/search/jql",
        params={"jql": jql, "fields": "summary,status,comment,labels,resolution"},
        auth=JIRA_AUTH,
        timeout=5,
    )
    response.raise_for_status()
    issues: list[dict[str, Any]] = response.json()["issues"]
    return issues


def eventually(jira_url: str, jql: str, check: Any, timeout: float = 40) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    issues = search(jira_url, jql)
    while time.monotonic() < deadline and not check(issues):
        time.sleep(0.3)
        issues = search(jira_url, jql)
    return issues


def test_alertmanager_alert_becomes_one_issue_and_its_resolve_closes_it(
    stack: tuple[str, str],
) -> None:
    require(alertmanager_binary() is not None, "prometheus-alertmanager is not installed")
    jira_url, tb_url = stack
    webhook = f"{tb_url}/v1/sources/alertmanager?token={TOKEN}"
    labels = {"alertname": "ModelHallucinationRate", "severity": "critical", "instance": "gw-1"}
    annotations = {"summary": "Hallucination rate above 5% on gpt-4o"}
    jql = "project = OPS ORDER BY created ASC"

    with running_alertmanager(webhook) as alertmanager:
        alertmanager.post_alert(labels, annotations)
        issues = eventually(jira_url, jql, lambda found: len(found) >= 1)
        assert [i["fields"]["summary"] for i in issues] == [issues[0]["fields"]["summary"]], (
            "exactly one issue"
        )
        assert "Hallucination rate above 5% on gpt-4o" in issues[0]["fields"]["summary"]
        assert issues[0]["fields"]["status"]["statusCategory"]["key"] == "new"

        alertmanager.post_alert(labels, annotations, resolved=True)
        done = eventually(
            jira_url,
            jql,
            lambda found: found and found[0]["fields"]["status"]["statusCategory"]["key"] == "done",
        )

    assert len(done) == 1, "the resolve must not create a second issue"
    [issue] = done
    assert issue["key"] == issues[0]["key"]
    assert issue["fields"]["status"]["statusCategory"]["key"] == "done"
    assert issue["fields"]["comment"]["total"] >= 1
