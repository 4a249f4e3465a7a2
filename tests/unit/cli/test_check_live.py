"""`config check --live`: routes checked against the live Jira's metadata (the emulator)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from support.requirements import require
from ticketbridge.bootstrap import load_config
from ticketbridge.cli import app
from ticketbridge.cli.check_live import live_problems
from ticketbridge.providers.jira import JiraProvider, api_token, personal_access_token

CONFIG = """\
defaults:
  project: OPS
  labels: [ai]
  priority: {critical: Highest, high: Urgent}
  fields: {Escalation ID: "{{ alert.id }}"}
routes:
  - name: bugs
    when: 'kind == "hallucination"'
    issue_type: Bug
    assignee: nobody@example.com
    components: [AI-Engine]
    template: builtin/hallucination_bug
    fields: {Change Risk: EXTREME, Affected Systems: [api, "{{ alert.attributes.system }}"]}
  - name: infra
    when: 'kind == "capacity"'
    project: INFRA
    fields: {Risk Score: 3}
  - name: nowhere
    when: 'kind == "x"'
    project: NOPE
  - name: muted
    when: 'kind == "noise"'
    action: ignore
    project: NOPE
assignments:
  - {when: 'source == "github"', assignee: ghost@example.com}
"""


@pytest.fixture
async def provider() -> AsyncIterator[JiraProvider]:
    try:
        from jira_emulator import Emulator
    except ImportError as exc:  # pragma: no cover
        require(False, f"Jira emulator not importable: {exc}")
        raise
    emu = Emulator(flavor="cloud", clock=time.time)
    jira = JiraProvider(
        flavor="cloud",
        base_url=emu.base_url,
        auth=api_token("admin@example.com", "emulator-token"),
        transport=emu.transport(),
    )
    yield jira
    await jira.aclose()


async def test_live_problems_name_the_route_and_what_jira_lacks(provider: JiraProvider) -> None:
    config = load_config(text=CONFIG)
    found = {(p.path, p.message, p.line) for p in await live_problems(config, provider)}
    assert found == {
        (
            "routes[0] 'bugs'",
            "user 'nobody@example.com' is unknown to Jira: the issue stays unassigned",
            7,
        ),
        ("routes[0] 'bugs'", "component 'AI-Engine' does not exist in OPS", 7),
        ("routes[0] 'bugs'", "field 'Change Risk': 'EXTREME' is not one of its allowed values", 7),
        (
            "routes[1] 'infra'",
            "field 'Risk Score' (customfield_10014) is not on the create screen of INFRA/Task "
            "(dropped)",
            14,
        ),
        ("routes[2] 'nowhere'", "project 'NOPE' does not exist or is not visible to this user", 18),
        ("defaults.priority.high", "priority 'Urgent' does not exist in Jira", None),
        ("assignments[0].assignee", "user 'ghost@example.com' is unknown to Jira", 26),
    }


async def test_a_clean_config_has_no_live_problems(provider: JiraProvider) -> None:
    text = "defaults: {project: SEC}\nroutes:\n  - {name: r, when: 'true', issue_type: Incident}\n"
    assert await live_problems(load_config(text=text), provider) == []


def test_live_without_a_jira_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TICKETBRIDGE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TICKETBRIDGE_CONFIG", raising=False)
    Path("tb.yaml").write_text("defaults: {project: OPS}\n")
    runner = CliRunner()
    offline = runner.invoke(app, ["config", "check", "tb.yaml"])
    assert offline.exit_code == 0, offline.output
    assert "is valid" in offline.output
    live = runner.invoke(app, ["config", "check", "tb.yaml", "--live"])
    assert live.exit_code == 2
    assert "no Jira is configured" in live.output


async def test_a_route_is_checked_against_its_own_sites_jira(provider: JiraProvider) -> None:
    from jira_emulator import Emulator

    datacenter = Emulator(flavor="datacenter", clock=time.time)
    del datacenter.state.projects["SEC"]  # the Data Center has no SEC project
    dc = JiraProvider(
        flavor="datacenter",
        base_url=datacenter.base_url,
        auth=personal_access_token("emulator-pat"),
        transport=datacenter.transport(),
    )
    text = (
        "jira:\n  sites:\n"
        "    cloud: {url: https://acme.atlassian.net, auth: {type: token, email: a@b.co,"
        " api_token: t}}\n"
        "    dc: {flavor: datacenter, url: https://jira.acme.com, auth: {type: pat, token: p}}\n"
        "defaults: {project: SEC}\n"
        "routes:\n"
        "  - {name: cloud-sec, when: 'kind == \"a\"', issue_type: Incident}\n"
        "  - {name: dc-sec, when: 'kind == \"b\"', site: dc, issue_type: Task}\n"
    )
    try:
        found = await live_problems(load_config(text=text, env={}), provider, {"dc": dc})
    finally:
        await dc.aclose()
    assert {p.path for p in found} == {"routes[1] 'dc-sec'"}  # the cloud's SEC is fine
    assert all("SEC" in p.message for p in found)
