"""`config check` warns when a due date is later than the resolution budget of the same route
and severity (issue 15 item 4): the due date and the SLA never contradict each other silently.
The SLA settings themselves (`sla:` in defaults and routes) load and are checked."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ticketbridge.bootstrap import load_config
from ticketbridge.cli import app
from ticketbridge.config.sla_check import due_after_resolution, on_breach_without_settings
from ticketbridge.domain import Severity
from ticketbridge.errors import ConfigError
from ticketbridge.services.sla import SlaPolicies

CONFIG = """\
defaults:
  due: {critical: 1d, high: 2h}
  sla:
    first_response: {critical: 15m, high: 1h}
    resolution: {critical: 1h, high: 4h}
    pause: [Waiting for customer]
routes:
  - name: relaxed
    when: 'source == "compliance"'
    due: +2d
    sla: {resolution: {critical: 3d}}
  - name: templated
    when: 'source == "security"'
    due: "{{ alert.attributes.deadline }}"
"""


def test_due_dates_later_than_the_resolution_budget_are_named() -> None:
    found = due_after_resolution(load_config(text=CONFIG, env={}))
    assert [(p.path, p.line) for p in found] == [("defaults.due", 2)]
    assert (
        "defaults (critical): the due date (1d after the alert) is later than the SLA's "
        "resolution budget (1h)" in found[0].message
    )


def test_config_check_prints_the_warning_and_stays_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ticketbridge.yaml").write_text(CONFIG)
    shown = CliRunner().invoke(app, ["config", "check", "ticketbridge.yaml", "--json"])
    assert shown.exit_code == 0, shown.output
    [warning] = json.loads(shown.output)["warnings"]
    assert warning["path"] == "defaults.due"


@pytest.mark.parametrize(
    ("yaml", "where"),
    [
        ("defaults: {sla: {at_risk: 1.5}}", "defaults.sla.at_risk"),
        ("defaults: {sla: {resolution: {urgent: 1h}}}", "defaults.sla.resolution.urgent"),
        ("routes: [{name: r, sla: {pause: Waiting}}]", "routes[0].sla.pause"),
    ],
)
def test_bad_sla_settings_are_refused_with_their_path(yaml: str, where: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(text=yaml, env={})
    assert [p.path for p in refused.value.problems] == [where]


def test_sla_settings_load() -> None:
    config = load_config(text=CONFIG, env={})
    assert config.defaults.sla is not None
    assert config.defaults.sla.resolution["high"] == timedelta(hours=4)
    assert config.routes[0].sla is not None
    assert config.routes[0].sla.at_risk == 0.75


@pytest.mark.parametrize(
    ("route", "severity", "first", "resolution"),
    [
        (None, "critical", timedelta(minutes=15), timedelta(hours=1)),
        ("templated", "high", timedelta(hours=1), timedelta(hours=4)),  # no sla: the defaults'
        ("relaxed", "critical", None, timedelta(days=3)),  # its own replaces the defaults'
        ("relaxed", "high", None, None),
        (None, "low", None, None),
    ],
)
def test_the_route_or_the_defaults_give_the_budgets_of_the_severity(
    route: str | None, severity: str, first: timedelta | None, resolution: timedelta | None
) -> None:
    policy = SlaPolicies(load_config(text=CONFIG, env={})).policy(route, Severity(severity))
    if first is None and resolution is None:
        assert policy is None
        return
    assert policy is not None
    assert (policy.first_response, policy.resolution) == (first, resolution)


def test_on_breach_without_its_settings_is_named() -> None:
    """`escalate` needs sync.escalate, `notify` the Slack webhook: each missing one named."""
    text = CONFIG.replace("    pause:", "    on_breach: {escalate: true, notify: true}\n    pause:")
    found = on_breach_without_settings(load_config(text=text, env={}))
    assert [p.path for p in found] == [
        "defaults.sla.on_breach.escalate",
        "defaults.sla.on_breach.notify",
    ]
    configured = (
        text + "sync: {escalate: {stale_after: 1d}, notify: {slack_webhook: https://h.test/x}}\n"
    )
    assert on_breach_without_settings(load_config(text=configured, env={})) == []
