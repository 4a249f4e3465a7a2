"""`teams:` — who a team, rotation or schedule stands for at an instant (issue 13 item 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ticketbridge.bootstrap import load_config
from ticketbridge.config.teams import teams_of
from ticketbridge.domain.teams import resolve_assignee
from ticketbridge.errors import ConfigError

TEAMS = teams_of(
    load_config(
        text="""
teams:
  compliance-team: carol@acme.com
  on-call-rotation:
    {members: [alice@acme.com, bob@acme.com], every: 7d, start: "2026-03-02T09:00:00Z"}
  night-desk:
    schedule:
      - {from: "2026-03-01T20:00:00Z", user: dan@acme.com}
      - {from: "2026-03-02T08:00:00Z", user: erin@acme.com}
""",
        env={},
    ).teams
)
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "at", "user"),
    [
        ("compliance-team", MONDAY, "carol@acme.com"),
        ("on-call-rotation", MONDAY, "alice@acme.com"),
        ("on-call-rotation", MONDAY + timedelta(days=6, hours=23), "alice@acme.com"),
        ("on-call-rotation", MONDAY + timedelta(days=7), "bob@acme.com"),
        ("on-call-rotation", MONDAY + timedelta(days=14), "alice@acme.com"),
        ("on-call-rotation", MONDAY - timedelta(minutes=1), "bob@acme.com"),  # the turn before
        ("night-desk", datetime(2026, 3, 1, 23, 0, tzinfo=UTC), "dan@acme.com"),
        ("night-desk", datetime(2026, 3, 2, 8, 0, tzinfo=UTC), "erin@acme.com"),
        ("night-desk", datetime(2026, 3, 1, 19, 0, tzinfo=UTC), None),  # no shift yet
        ("oncall@acme.com", MONDAY, "oncall@acme.com"),  # no team: the name itself
    ],
)
def test_who_is_on_duty(name: str, at: datetime, user: str | None) -> None:
    found, why = resolve_assignee(name, TEAMS, at)
    assert found == user
    if name in TEAMS:
        assert why is not None
        assert repr(name) in why
        assert (user or "no shift") in why


def test_the_reason_says_which_member_and_why() -> None:
    _, why = resolve_assignee("on-call-rotation", TEAMS, MONDAY + timedelta(days=8))
    assert why == (
        "assignee 'on-call-rotation' is a rotation: bob@acme.com is on duty at 2026-03-10 09:00 "
        "UTC (member 2 of 2, each for 7d)"
    )


def test_a_team_named_as_another_teams_member_is_refused() -> None:
    for team in (
        "desk",
        "{members: [a@x, desk], every: 7d}",
        "{schedule: [{from: 2026-03-01, user: desk}]}",
    ):
        with pytest.raises(ConfigError) as refused:
            load_config(text=f"teams:\n  desk: d@x\n  t: {team}\n", env={})
        [problem] = refused.value.problems
        assert (problem.path, "'desk' as a member" in problem.message) == ("teams", True)


@pytest.mark.parametrize(
    ("team", "path"),
    [
        ("{members: [], every: 7d}", "teams.t.members"),
        ("{members: [a@x], every: 0d}", "teams.t.every"),
        ("{members: [a@x]}", "teams.t.every"),
        ("{members: [a@x], every: 7d, colour: red}", "teams.t.colour"),
        ("{schedule: [{from: soon, user: a@x}]}", "teams.t.schedule[0].from"),
        ("''", "teams.t"),
    ],
)
def test_bad_teams_are_refused_naming_the_key(team: str, path: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(text=f"teams:\n  t: {team}\n", env={})
    assert path in [problem.path for problem in refused.value.problems], refused.value.problems
