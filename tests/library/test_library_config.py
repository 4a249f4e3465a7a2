"""`Bridge.from_config`: a ticketbridge.yaml's connection, defaults, templates and routes drive
the library as they drive `serve`."""

from __future__ import annotations

from pathlib import Path

import pytest
from library_harness import JiraServer, adf_text

from ticketbridge.config import load_settings
from ticketbridge.errors import ConfigError
from ticketbridge.library import Bridge, JiraSyncHandler

YAML = """
jira:
  flavor: cloud
  url: {url}
  allow_private: true
  auth: {{type: token, email: admin@example.com, api_token: emulator-token}}
defaults:
  project: OPS
  issue_type: Task
  min_severity: medium
templates:
  hallucination_bug:
    format: wiki
    summary: "Hallucination: {{{{ alert.title }}}}"
    description: |
      h2. Details
      * Query: {{{{ alert.attributes.query | default("n/a") }}}}
routes:
  - name: critical-hallucinations
    when: 'confidence != null && confidence < 0.5'
    issue_type: Bug
    priority: Highest
    template: hallucination_bug
  - name: builtin-template
    when: 'title.startsWith("odd")'
    template: builtin/hallucination_bug
"""


async def test_routes_templates_and_defaults_from_the_yaml(
    cloud: JiraServer, workdir: Path
) -> None:
    path = workdir / "ticketbridge.yaml"
    path.write_text(YAML.format(url=cloud.url))
    settings = load_settings({"TICKETBRIDGE_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/tb.db"})

    async with Bridge.from_config(path, settings) as bridge:
        routed = await bridge.sync_alert(
            {"title": "Flat earth", "confidence": 0.1, "severity": "high", "query": "Is it?"}
        )
        defaulted = await bridge.sync_alert({"title": "Drift", "severity": "high"})
        ignored = await bridge.sync_alert({"title": "Chatter", "severity": "low"})
        odd = await bridge.sync_alert({"title": "odd one", "severity": "high"})

    assert ignored is None
    assert routed is not None
    assert defaulted is not None
    assert odd is not None
    bug = cloud.issue(routed.key)["fields"]
    assert (bug["summary"], bug["issuetype"]["name"], bug["priority"]["name"]) == (
        "Hallucination: Flat earth",
        "Bug",
        "Highest",
    )
    assert adf_text(bug["description"]) == "Details\nQuery: Is it?\n"
    task = cloud.issue(defaulted.key)["fields"]
    assert (task["summary"], task["issuetype"]["name"]) == ("[high] Drift", "Task")
    assert "odd one" in cloud.issue(odd.key)["fields"]["summary"]  # a built-in template
    assert sorted(i["key"] for i in cloud.issues()) == ["OPS-1", "OPS-2", "OPS-3"]


def test_a_config_without_jira_is_refused(workdir: Path) -> None:
    path = workdir / "ticketbridge.yaml"
    path.write_text("defaults: {project: OPS}\n")

    with pytest.raises(ConfigError) as refused:
        Bridge.from_config(path)

    assert [p.path for p in refused.value.problems] == ["jira"]


def test_a_handler_reads_no_environment(
    cloud: JiraServer, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Settings the service would refuse, and another store: a script's handler uses neither.
    monkeypatch.setenv("TICKETBRIDGE_JOB_CRASH_LIMIT", "lots")
    monkeypatch.setenv("TICKETBRIDGE_DATABASE_URL", f"sqlite+aiosqlite:///{workdir}/env.db")
    login = {"cloud_url": cloud.url, "email": "admin@example.com", "api_token": "emulator-token"}

    with JiraSyncHandler(**login) as sync:
        issue = sync.sync_alert({"id": "a-1", "title": "Drift", "severity": "high"}, "OPS", "Task")

    assert issue is not None
    assert [i["key"] for i in cloud.issues()] == [issue.key]
    assert (workdir / "var" / "library.db").is_file()
    assert not (workdir / "env.db").exists()


async def test_the_environment_is_read_when_the_caller_asks(
    cloud: JiraServer, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = workdir / "ticketbridge.yaml"
    path.write_text(YAML.format(url=cloud.url))
    monkeypatch.setenv("TICKETBRIDGE_DATABASE_URL", f"sqlite+aiosqlite:///{workdir}/env.db")
    alert = {"id": "a-1", "title": "Drift", "severity": "high"}

    async with Bridge.from_config(path, load_settings()) as bridge:
        asked = await bridge.sync_alert(alert)
    async with Bridge.from_config(path) as bridge:  # the defaults: serve's default store
        defaulted = await bridge.sync_alert(alert)

    assert asked is not None
    assert defaulted is not None
    assert (workdir / "env.db").is_file()
    assert (workdir / "var" / "ticketbridge.db").is_file()
    assert asked.key != defaulted.key  # two stores: each made the alert's issue once


async def test_a_rules_team_assignee_is_its_user(cloud: JiraServer, workdir: Path) -> None:
    """Seed 000's `configure_rule(…, {"assignee": "compliance-team"})`: with `teams:` in the
    configuration the issue goes to the team's user (issue 13: it stayed unassigned)."""
    path = workdir / "ticketbridge.yaml"
    teams = "teams:\n  compliance-team: admin@example.com\n"
    path.write_text(YAML.format(url=cloud.url) + teams)
    settings = load_settings({"TICKETBRIDGE_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/tb.db"})

    async with Bridge.from_config(path, settings) as bridge:
        bridge.configure_rule(
            "policy",
            "policy_violation = true",
            {"type": "create_jira_issue", "project": "OPS", "assignee": "compliance-team"},
        )
        issue = await bridge.sync_alert(
            {"title": "Medical advice", "severity": "high", "policy_violation": True}
        )

    assert issue is not None
    assignee = cloud.issue(issue.key)["fields"]["assignee"]
    assert assignee is not None
    assert assignee["emailAddress"] == "admin@example.com"
