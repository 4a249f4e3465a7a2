"""The admin UI's stored `defaults:` are laid under ticketbridge.yaml by the one loader: the
file's values win, its `${VAR}`s resolve as everywhere, and a problem names the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from ticketbridge.bootstrap import routing
from ticketbridge.bootstrap.live_settings import ConfigApplier, SwitchableRouting
from ticketbridge.config import Config, load_settings
from ticketbridge.config.teams import team_document
from ticketbridge.errors import ConfigError


def _applier(path: Path) -> ConfigApplier:
    settings = load_settings({"TICKETBRIDGE_CONFIG": str(path)})
    return ConfigApplier(settings, SwitchableRouting(routing(Config())), enabled=True)


def test_stored_defaults_go_under_a_file_with_variables_in_flow_mappings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TB_TEAM", "sre")
    path = tmp_path / "ticketbridge.yaml"
    path.write_text("defaults: {project: OPS, labels: [${TB_TEAM}]}\n")

    config = _applier(path).check({"project": "UI", "issue_type": "Incident"})

    assert config.defaults.project == "OPS"  # the file wins
    assert config.defaults.labels == ["sre"]
    assert config.defaults.issue_type == "Incident"
    assert config.origin == str(path)


def test_stored_defaults_alone_when_there_is_no_file(tmp_path: Path) -> None:
    config = _applier(tmp_path / "absent.yaml").check({"project": "UI"})

    assert config.defaults.project == "UI"


def test_a_refused_stored_value_names_its_defaults_key(tmp_path: Path) -> None:
    path = tmp_path / "ticketbridge.yaml"
    path.write_text("defaults: {project: OPS}\n")

    with pytest.raises(ConfigError) as refused:
        _applier(path).check({"min_severity": "loud"})

    assert [p.path for p in refused.value.problems] == ["defaults.min_severity"]
    assert str(path) in str(refused.value)


def test_stored_assignment_rules_go_under_whole_unless_the_file_has_its_own(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ticketbridge.yaml"
    path.write_text("defaults: {project: OPS}\n")
    stored = [{"name": "crit", "when": 'severity == "critical"', "assignee": "carol"}]

    config = _applier(path).check({"assignments": stored})
    assert [(a.name, a.assignee) for a in config.assignments] == [("crit", "carol")]

    path.write_text("assignments:\n  - {when: 'true', assignee: bob}\n")
    config = _applier(path).check({"assignments": stored})
    assert [a.assignee for a in config.assignments] == ["bob"]  # the file wins, whole


def test_teams_as_written_read_back_to_the_same_teams(tmp_path: Path) -> None:
    path = tmp_path / "ticketbridge.yaml"
    path.write_text(
        "teams:\n"
        "  sec: carol\n"
        "  desk: {members: [a, b], every: 36h, start: 2026-01-05T08:00:00Z}\n"
        "  nights: {members: [c], every: 7d}\n"
        "  shifts: {schedule: [{from: '2026-03-01T20:00:00Z', user: d}]}\n"
    )
    config = _applier(path).check({})
    written = {name: team_document(team) for name, team in config.teams.items()}
    assert written["nights"] == {"members": ["c"], "every": "7d"}  # no start: the epoch

    path.write_text("defaults: {project: OPS}\n")
    assert _applier(path).check({"teams": written}).teams == config.teams
