"""Teams on the defaults page (`teams:`): each team kept, edited in place or removed, and one
added. A user or a rotation is edited as its members (ticked; more picked from Jira's
assignable users), each member's turn and the day turns are counted from; a schedule as its
shifts (when each begins, in UTC; one removed; one added, its user picked from Jira's); a new
team is a user, a rotation, or a schedule of its first shift. What the form holds is only
shaped here: the config loader checks the whole and names what is wrong
(`teams.<name>.members`, `teams.<name>.schedule[1].from`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import FormData

from ticketbridge.errors import InputError, Problem
from ticketbridge.ui.web import field

MAX_TEAMS = 50  # teams a form may hold, and members of a team
_NAME = 64  # a team's name, as the form takes it
# Pickers of one rule or team (`<what>.<n>.<query>` as typed) → the inputs they fill.
_INDEXED_PICKER = re.compile(r"(rule|team)\.(\d{1,2})\.(query|shift_query)")


@dataclass(frozen=True)
class ShiftRow:
    k: int
    begins: str  # for <input type=datetime-local>, in UTC
    user: str


@dataclass(frozen=True)
class TeamRow:
    """A team as its form shows it: `members` (a user or a rotation) or `shifts`."""

    n: int
    name: str
    members: tuple[str, ...] = ()
    every: str = ""
    start: str = ""  # the day turns are counted from (blank: the loader's epoch)
    shifts: tuple[ShiftRow, ...] | None = None  # None: not a schedule


def team_rows(teams: dict[str, Any]) -> list[TeamRow]:
    rows: list[TeamRow] = []
    for n, (name, team) in enumerate(list(teams.items())[:MAX_TEAMS]):
        if isinstance(team, str):
            rows.append(TeamRow(n, name, members=(team,)))
        elif isinstance(team, dict) and "schedule" in team:
            shifts = [
                ShiftRow(k, _local(s.get("from")), str(s.get("user", "")))
                for k, s in enumerate(_shifts(team))
            ]
            rows.append(TeamRow(n, name, shifts=tuple(shifts)))
        elif isinstance(team, dict):
            members = tuple(str(m) for m in team.get("members") or ())
            start = str(team.get("start") or "")
            rows.append(TeamRow(n, name, members, str(team.get("every") or ""), start[:10]))
    return rows


def teams_from(form: FormData, current: dict[str, Any]) -> dict[str, Any]:
    """The teams as the form leaves them: each kept one as edited (`team.<n>.name` says which;
    `team.<n>.drop` removes it), then the one added (`team_new_*`)."""
    kept: dict[str, Any] = {}
    for n in range(MAX_TEAMS):
        name = field(form, f"team.{n}.name", _NAME)
        if name not in current or field(form, f"team.{n}.drop", 1) == "1":
            continue
        was = current[name]
        if isinstance(was, dict) and "schedule" in was:
            kept[name] = {"schedule": _schedule(form, f"team.{n}.", _shifts(was))}
        else:
            chosen = _picked_members(form, f"team.{n}.members")
            kept[name] = _members_team(form, f"team.{n}.", chosen, was)
    for name, team in current.items():  # a team the form did not show stays as it is
        if name not in kept and not _shown(form, name):
            kept[name] = team
    name = field(form, "team_new_name", _NAME).strip()
    if name:
        kept[name] = _new_team(form, name)
    return kept


def indexed_picker(asked: str) -> tuple[str, str, str] | None:
    """The input the user picker of one rule or team already made fills (`asked`: its search
    box): name, container id, radio or checkbox; None for any other name."""
    found = _INDEXED_PICKER.fullmatch(asked)
    if found is None:
        return None
    what, n, box = found.groups()
    if what == "rule":
        return f"rule.{n}.assignee", f"rule-{n}-assignee-results", "radio"
    if box == "query":
        return f"team.{n}.members", f"team-{n}-member-results", "checkbox"
    return f"team.{n}.shift_new.user", f"team-{n}-shift-results", "radio"


def _new_team(form: FormData, name: str) -> Any:
    """A user or a rotation of the members picked; or, when its first shift's start is given
    (`team_new_shift_from`), a schedule of one shift, its user the one member picked."""
    members = _picked_members(form, "team_new_members")
    begins = field(form, "team_new_shift_from", 40)
    if not begins:
        return _members_team(form, "team_new_", members, None)
    if len(members) != 1:
        problem = Problem(
            f"teams.{name}.schedule", "a schedule begins with one shift: pick one user"
        )
        raise InputError("the new team's first shift", [problem])
    return {"schedule": [{"from": begins, "user": members[0]}]}


def _shown(form: FormData, name: str) -> bool:
    return any(field(form, f"team.{n}.name", _NAME) == name for n in range(MAX_TEAMS))


def _picked_members(form: FormData, name: str) -> list[str]:
    given = [v[:255] for v in form.getlist(name) if isinstance(v, str)]
    return list(dict.fromkeys(v for v in given if v))[:MAX_TEAMS]


def _members_team(form: FormData, prefix: str, members: list[str], was: Any) -> Any:
    """One member and no turn length: that user; else a rotation of `members` taking turns
    of `<prefix>every` from `<prefix>start` (a day; kept as it was while its day is)."""
    every = field(form, f"{prefix}every", 8)
    if not every and len(members) == 1:
        return members[0]
    start = field(form, f"{prefix}start", 10)
    before = str(was.get("start") or "") if isinstance(was, dict) else ""
    if start and start == before[:10]:
        start = before  # a time of day set in the CLI is not lost to a date input
    return (
        {"members": members}
        | ({"every": every} if every else {})
        | ({"start": start} if start else {})
    )


def _schedule(form: FormData, prefix: str, was: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The shifts kept (each user as it was; `shift.<k>.from` moved, `shift.<k>.drop`
    removed), then the one added (`shift_new.from` and its picked `shift_new.user`)."""
    shifts: list[dict[str, Any]] = []
    for k, shift in enumerate(was):  # stored, all shown: none is lost to a limit
        if field(form, f"{prefix}shift.{k}.drop", 1) == "1":
            continue
        begins = field(form, f"{prefix}shift.{k}.from", 40)
        same = not begins or begins == _local(shift.get("from"))
        shifts.append(shift if same else {"from": begins, "user": shift.get("user")})
    begins, user = (field(form, f"{prefix}shift_new.{k}", 255) for k in ("from", "user"))
    if begins or user:
        shifts.append({"from": begins, "user": user})
    return shifts


def _shifts(team: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in team.get("schedule") or () if isinstance(s, dict)]


def _local(value: Any) -> str:
    """A shift's start for a datetime-local input, in UTC (bare: UTC, as the loader reads)."""
    try:
        begins = datetime.fromisoformat(str(value or "").replace("Z", "+00:00"))
    except ValueError:
        return ""  # left empty, the shift keeps its start
    if begins.tzinfo is not None:
        begins = begins.astimezone(UTC)
    return begins.strftime("%Y-%m-%dT%H:%M")
