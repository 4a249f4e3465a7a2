"""`teams:` — assignee names that are a user, a rotation or a schedule (SPEC §3):

teams:
  compliance-team: carol@acme.com
  on-call-rotation: {members: [alice@acme.com, bob@acme.com], every: 7d, start: 2026-01-05}
  night-desk: {schedule: [{from: "2026-03-01T20:00:00Z", user: dan@acme.com}, …]}
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import Discriminator, Field, Tag, field_validator

from ticketbridge.config.durations import Duration, format_duration
from ticketbridge.config.models import StrictModel
from ticketbridge.domain.teams import Rotation, Schedule, Team

ROTATION_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
"""Where a rotation without `start` counts from: a Monday, midnight UTC."""


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class RotationConfig(StrictModel):
    members: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    every: Duration = Field(description="how long each member's turn lasts: 7d, 12h")
    start: datetime = Field(
        default=ROTATION_EPOCH, description="when the first member's turn began (UTC if bare)"
    )

    @field_validator("every")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("a turn must last longer than zero")
        return value

    @field_validator("start")
    @classmethod
    def _start_aware(cls, value: datetime) -> datetime:
        return _aware(value)


class Shift(StrictModel):
    from_: datetime = Field(alias="from", description="when the shift begins (UTC if bare)")
    user: str = Field(min_length=1)

    @field_validator("from_")
    @classmethod
    def _from_aware(cls, value: datetime) -> datetime:
        return _aware(value)


class ScheduleConfig(StrictModel):
    schedule: list[Shift] = Field(min_length=1)


# Union tags that are no key a team may have: the loader drops them from error paths.
_USER, _ROTATION, _SCHEDULE = "(a user)", "(a rotation)", "(a schedule)"


def _team_form(value: Any) -> str:
    if isinstance(value, ScheduleConfig) or (isinstance(value, dict) and "schedule" in value):
        return _SCHEDULE
    return _ROTATION if isinstance(value, dict | RotationConfig) else _USER


TeamSetting = Annotated[
    Annotated[Annotated[str, Field(min_length=1)], Tag(_USER)]
    | Annotated[RotationConfig, Tag(_ROTATION)]
    | Annotated[ScheduleConfig, Tag(_SCHEDULE)],
    Discriminator(_team_form),
]


def people_of(setting: TeamSetting) -> list[str]:
    """The Jira users a team names: the user, the rotation's members, the shifts' users."""
    if isinstance(setting, RotationConfig):
        return list(setting.members)
    if isinstance(setting, ScheduleConfig):
        return [shift.user for shift in setting.schedule]
    return [setting]


def refuse_nested_teams(teams: Mapping[str, TeamSetting]) -> None:
    """A team's member is a Jira user: a team's name there would reach Jira as an account id
    (teams are not resolved twice), so it is refused when the configuration is read."""
    for name, setting in teams.items():
        nested = [person for person in people_of(setting) if person in teams]
        if nested:
            raise ValueError(
                f"team {name!r} names the team {nested[0]!r} as a member: members are Jira "
                "users (name the users, or assign to that team directly)"
            )


def teams_of(teams: Mapping[str, TeamSetting]) -> dict[str, Team]:
    """The configuration's teams as the domain reads them."""
    found: dict[str, Team] = {}
    for name, setting in teams.items():
        if isinstance(setting, RotationConfig):
            found[name] = Rotation(tuple(setting.members), setting.every, setting.start)
        elif isinstance(setting, ScheduleConfig):
            shifts = tuple(sorted((s.from_, s.user) for s in setting.schedule))
            found[name] = Schedule(shifts)
        else:
            found[name] = setting
    return found


def team_document(setting: TeamSetting) -> Any:
    """A team as ticketbridge.yaml writes it (JSON-able): a user, or a rotation or schedule
    with its durations and times as text; `load_config` reads it back to the same team."""
    if isinstance(setting, RotationConfig):
        start = setting.start.isoformat()
        return {"members": list(setting.members), "every": format_duration(setting.every)} | (
            {"start": start} if setting.start != ROTATION_EPOCH else {}
        )
    if isinstance(setting, ScheduleConfig):
        return {
            "schedule": [{"from": s.from_.isoformat(), "user": s.user} for s in setting.schedule]
        }
    return setting
