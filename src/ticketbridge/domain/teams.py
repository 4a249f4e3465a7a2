"""Teams and rotations (`teams:`): an assignee name that stands for a user, a rotation of
members, or a schedule of shifts (seed 000's `on-call-rotation`, `compliance-team`).

Who is on duty is answered for one instant: the moment the alert arrived (`received_at`, set
by the service's clock at intake). The answer is therefore the same every time the alert is
routed — when it is decided, when its issue is drafted, in `plan` and `replay` — and the
reasons say who was chosen and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Rotation:
    """`members` take turns, each for `every`, counted from `start` (member 1 first)."""

    members: tuple[str, ...]
    every: timedelta
    start: datetime


@dataclass(frozen=True)
class Schedule:
    """Shifts `(from, user)`: the latest that has begun is on duty."""

    shifts: tuple[tuple[datetime, str], ...]


Team = str | Rotation | Schedule
"""A user (email or username), a rotation or a schedule."""


@dataclass(frozen=True)
class OnDuty:
    """The user a team name stands for at an instant (None: nobody yet), and why."""

    user: str | None
    why: str


def on_duty(name: str, team: Team, at: datetime) -> OnDuty:
    """Who team `name` is at `at`."""
    when = at.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(team, str):
        return OnDuty(team, f"assignee {name!r} is a team: {team}")
    if isinstance(team, Rotation):
        turn = (at - team.start) // team.every
        index = turn % len(team.members)
        user = team.members[index]
        return OnDuty(
            user,
            f"assignee {name!r} is a rotation: {user} is on duty at {when} "
            f"(member {index + 1} of {len(team.members)}, each for {_span(team.every)})",
        )
    begun = [(start, user) for start, user in team.shifts if start <= at]
    if not begun:
        return OnDuty(None, f"assignee {name!r} is a schedule with no shift begun at {when}")
    start, user = max(begun, key=lambda shift: shift[0])
    return OnDuty(
        user,
        f"assignee {name!r} is a schedule: {user} is on duty at {when} "
        f"(shift from {start.strftime('%Y-%m-%d %H:%M UTC')})",
    )


def resolve_assignee(
    assignee: str | None, teams: Mapping[str, Team], at: datetime
) -> tuple[str | None, str | None]:
    """`assignee` itself when it names no team; else the team's user at `at` and the reason."""
    if assignee is None or assignee not in teams:
        return assignee, None
    found = on_duty(assignee, teams[assignee], at)
    return found.user, found.why


def _span(every: timedelta) -> str:
    if every % timedelta(days=1) == timedelta(0):
        return f"{every.days}d"
    if every % timedelta(hours=1) == timedelta(0):
        return f"{int(every.total_seconds() // 3600)}h"
    return f"{int(every.total_seconds() // 60)}m"
