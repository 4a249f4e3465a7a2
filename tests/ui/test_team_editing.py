"""Teams and assignment rules edited in place on the defaults page (issue 19), without a
browser: a team's members, turns and shifts and a rule's assignee saved through the same
checked, audited path as every other setting; bad input answers 422 naming the field (the
config loader's path) and stores nothing (the app `serve` builds, in process over ASGI)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ui_harness import signed_in

from ticketbridge.bootstrap import Container
from ticketbridge.services.audit_service import EventFilter

DESK = {"desk": {"members": ["alice", "bob"], "every": "7d", "start": "2026-01-05T06:00:00Z"}}
NIGHT = {
    "night": {
        "schedule": [
            {"from": "2026-03-01T20:00:00Z", "user": "dan"},
            {"from": "2026-03-02T20:00:00+01:00", "user": "erin"},
        ]
    }
}
RULE = {"name": "mediums", "when": 'severity == "medium"', "assignee": "carol"}


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Container]]:
    async with signed_in(tmp_path) as (http, container):
        await container.defaults.save({"teams": DESK | NIGHT, "assignments": [RULE]}, "seed")
        yield http, container


async def _post(http: httpx.AsyncClient, form: dict[str, Any]) -> httpx.Response:
    page = (await http.get("/ui/defaults")).text
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    return await http.post("/ui/defaults", data={"csrf": csrf, **form})


def _desk(**changes: Any) -> dict[str, Any]:
    """The form for desk (team 0) as the page shows it, with `changes`."""
    shown = {"team.0.name": "desk", "team.0.members": ["alice", "bob"], "team.0.every": "7d"}
    return {"listed.teams": "1", **shown, "team.0.start": "2026-01-05", **changes}


async def test_the_page_shows_each_team_and_rule_as_a_form_to_edit(
    app: tuple[httpx.AsyncClient, Container],
) -> None:
    page = (await app[0].get("/ui/defaults")).text
    for checked in ('team.0.members" value="alice" checked', 'team.0.members" value="bob"'):
        assert f'name="{checked}' in page
    assert 'name="team.0.start" value="2026-01-05"' in page
    assert 'name="team.1.shift.0.from" value="2026-03-01T20:00"' in page
    assert 'name="team.1.shift.1.from" value="2026-03-02T19:00"' in page  # shown in UTC
    assert 'name="rule.0.assignee" value="carol" checked' in page
    assert 'name="rule.0.query"' in page
    assert 'id="rule-0-assignee-results"' in page


async def test_a_teams_members_and_turns_edited_in_place_are_stored_and_audited(
    app: tuple[httpx.AsyncClient, Container],
) -> None:
    http, container = app
    form = _desk(**{"team.0.members": ["bob", "carol"], "team.0.every": "1d"})
    assert (await _post(http, form)).status_code == 303
    teams = (await container.defaults.stored())["teams"]
    # the start's day unchanged: its time of day kept; the schedule not shown stays whole
    assert teams["desk"] == {"members": ["bob", "carol"], "every": "1d"} | {
        "start": "2026-01-05T06:00:00Z"
    }
    assert teams["night"] == NIGHT["night"]
    events = await container.trail.events(EventFilter(types=("CONFIG_CHANGE",)), limit=10)
    assert len(events) == 2  # the seed's and this one
    assert (await _post(http, _desk(**{"team.0.members": "carol", "team.0.every": ""}))).is_redirect
    assert (await container.defaults.stored())["teams"]["desk"] == "carol"  # one user: no turns


async def test_a_schedules_shifts_are_moved_removed_and_added_in_place(
    app: tuple[httpx.AsyncClient, Container],
) -> None:
    http, container = app
    form = {"listed.teams": "1", "team.1.name": "night", "team.1.shift.0.from": "2026-03-01T21:30"}
    form |= {"team.1.shift.1.drop": "1", "team.1.shift_new.from": "2026-03-05T08:00"}
    form |= {"team.1.shift_new.user": "carol"}
    form |= {"team_new_name": "weekend", "team_new_members": "erin"}
    form |= {"team_new_shift_from": "2026-03-07T00:00"}  # a new team: a schedule's 1st shift
    assert (await _post(http, form)).status_code == 303
    teams = (await container.defaults.stored())["teams"]
    assert teams["weekend"] == {"schedule": [{"from": "2026-03-07T00:00", "user": "erin"}]}
    night = teams["night"]
    assert night == {
        "schedule": [
            {"from": "2026-03-01T21:30", "user": "dan"},
            {"from": "2026-03-05T08:00", "user": "carol"},
        ]
    }


async def test_an_existing_rules_assignee_is_replaced(
    app: tuple[httpx.AsyncClient, Container],
) -> None:
    http, container = app
    form = {"listed.assignments": "1", "rule.0.name": "mediums", "rule.0.when": RULE["when"]}
    assert (await _post(http, form | {"rule.0.assignee": "desk"})).status_code == 303
    assert (await container.defaults.stored())["assignments"] == [RULE | {"assignee": "desk"}]
    alert = '{"source": "generic", "id": "a-1", "title": "T", "severity": "medium"}'
    planned = (await container.previews.preview(await container.previews.alert(alert, ""))).planned
    assert planned.draft is not None
    assert planned.draft.assignee in ("alice", "bob")  # desk's member on duty


BAD = [
    (_desk(**{"team.0.members": [], "team.0.every": ""}), "teams.desk.members"),
    (_desk(**{"team.0.every": ""}), "teams.desk.every"),  # two members take turns of what?
    (_desk(**{"team.0.every": "0h"}), "teams.desk.every"),
    (_desk(**{"team.0.every": "<b>x</b>"}), "teams.desk.every"),
    (_desk(**{"team.0.start": "tomorrow"}), "teams.desk.start"),
    (
        {"listed.teams": "1", "team.1.name": "night", "team.1.shift.0.from": "soon"},
        "teams.night.schedule[0].from",
    ),
    (
        {"listed.teams": "1", "team.1.name": "night", "team.1.shift_new.user": "carol"},
        "teams.night.schedule[2].from",  # a user with no time
    ),
    (
        {"listed.teams": "1", "team.1.name": "night", "team.1.shift_new.from": "2026-04-01T00:00"},
        "teams.night.schedule[2].user",  # a time with no user
    ),
    (
        {"listed.teams": "1", "team.1.name": "night"}
        | {f"team.1.shift.{k}.drop": "1" for k in (0, 1)},
        "teams.night.schedule",  # every shift removed: remove the team instead
    ),
    ({"listed.assignments": "1", "rule.0.when": RULE["when"]}, "assignments[0].assignee"),
    (
        {"listed.teams": "1", "team_new_name": "wk", "team_new_members": ["erin", "dan"]}
        | {"team_new_shift_from": "2026-03-07T00:00"},
        "teams.wk.schedule",  # whose is the first shift?
    ),
]


@pytest.mark.parametrize(("form", "path"), BAD)
async def test_bad_members_or_schedules_are_refused_naming_the_field_and_nothing_is_stored(
    app: tuple[httpx.AsyncClient, Container], form: dict[str, Any], path: str
) -> None:
    http, container = app
    before = await container.defaults.stored()
    answer = await _post(http, form)
    assert answer.status_code == 422
    assert f"<code>{path}</code>" in answer.text
    assert "<b>x</b>" not in answer.text
    assert await container.defaults.stored() == before
    events = await container.trail.events(EventFilter(types=("CONFIG_CHANGE",)), limit=10)
    assert len(events) == 1  # the seed's only


async def test_find_without_javascript_lists_the_search_in_place_and_saves_nothing(
    app: tuple[httpx.AsyncClient, Container],
) -> None:
    http, container = app
    before = await container.defaults.stored()
    form = {"find": "rule.0.query", "rule.0.query": "car", "listed.teams": "1"}
    answer = await _post(http, form | {"team.0.name": "desk", "team.0.drop": "1"})
    assert answer.status_code == 200
    results = answer.text.split('id="rule-0-assignee-results"')[1].split("</div>")[0]
    assert "matches “car”" in results  # no Jira here: none found, the search shown in place
    assert await container.defaults.stored() == before
    saved = await _post(http, {"find": "assignee_query", "team.0.name": "desk"} | _desk())
    assert saved.status_code == 303  # Enter with no search typed: Find's button saves


async def test_members_ticked_before_a_search_stay_ticked_in_its_choices(
    app: tuple[httpx.AsyncClient, Container],
) -> None:
    params = {"team.0.query": "car", "team.0.members": ["bob", "<b>x</b>"]}
    answer = await app[0].get("/ui/defaults/users", params=params)
    assert 'id="team-0-member-results"' in answer.text
    assert 'name="team.0.members" value="bob" checked' in answer.text
    assert "<b>x</b>" not in answer.text
