"""Defaults saved in the admin UI (`StoredDefaults`): checked whole by the config loader before
anything is stored, a value ticketbridge.yaml sets refused, and applied without a restart — in
the process that saved them at once, in another process sharing the database on its next
`follow` (two containers over one SQLite file are two processes here)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from ticketbridge import bootstrap
from ticketbridge.bootstrap import Container
from ticketbridge.errors import ConfigError, InputError
from ticketbridge.services.audit_service import EventFilter
from ticketbridge.services.previews import Previews
from ticketbridge.services.stored_settings import YAML

ALERT = '{"source": "generic", "id": "a-1", "title": "T", "severity": "medium"}'


@pytest.fixture
async def two(tmp_path: Path) -> AsyncIterator[tuple[Container, Container]]:
    (tmp_path / "ticketbridge.yaml").write_text("defaults:\n  issue_type: Task\n")
    settings = bootstrap.load_settings(
        {
            "TICKETBRIDGE_CONFIG": str(tmp_path / "ticketbridge.yaml"),
            "TICKETBRIDGE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}",
            "TICKETBRIDGE_DATA_DIR": str(tmp_path / "var"),
        }
    )
    await bootstrap.upgrade_database(settings.database_url)
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(bootstrap.open_container(settings))
        second = await stack.enter_async_context(bootstrap.open_container(settings))
        for container in (first, second):
            await container.defaults.load()
        yield first, second


async def _project_and_priority(previews: Previews) -> tuple[str, str | None]:
    planned = (await previews.preview(await previews.alert(ALERT, ""))).planned
    assert planned.draft is not None
    return planned.draft.project, planned.draft.priority


async def test_a_save_routes_the_next_alert_here_and_in_the_other_process(
    two: tuple[Container, Container],
) -> None:
    here, there = two
    saved = {"project": "INFRA", "priority": {"medium": "Lowest"}}
    await here.defaults.save(saved, "alice")
    assert await _project_and_priority(here.previews) == ("INFRA", "Lowest")
    assert await _project_and_priority(there.previews) == ("OPS", "Medium")  # not yet
    assert await there.defaults.follow() is True
    assert await _project_and_priority(there.previews) == ("INFRA", "Lowest")
    assert await there.defaults.follow() is False  # nothing new
    shown = {s.name: s.origin for s in await there.defaults.settings()}
    assert shown == {
        "project": "stored",
        "issue_type": "ticketbridge.yaml",
        "priority": "stored",
        "due": "default",
        "assignee": "default",
        "labels": "default",
        "components": "default",
        "fields": "default",
        "assignments": "default",
        "teams": "default",
        "sync.status_ids": "default",
        "sync.resolutions": "default",
    }
    changes = await here.accounts.changes()
    assert [(c.actor, c.action) for c in changes] == [("alice", "settings.defaults")]
    events = await here.trail.events(EventFilter(types=("CONFIG_CHANGE",)), limit=10)
    assert [json.loads(e.body)["payload"]["actor"] for e in events] == ["alice"]
    payload = json.loads(events[0].body)["payload"]
    assert (payload["via"], payload["action"]) == ("admin-ui", "settings.defaults")
    assert payload["detail"]["values"]["project"] == "INFRA"


async def test_yaml_values_win_and_an_invalid_whole_is_not_stored(
    two: tuple[Container, Container],
) -> None:
    here, _ = two
    with pytest.raises(InputError) as fixed:
        await here.defaults.save({"issue_type": "Bug"}, "alice")
    assert fixed.value.problems[0].path == "defaults.issue_type"
    with pytest.raises(ConfigError):  # the loader refuses a priority for no severity
        await here.defaults.save({"priority": {"urgent": "Highest"}}, "alice")
    with pytest.raises(ConfigError) as named:  # a status by name, never by id: refused whole
        await here.defaults.save({"sync.status_ids": {"In Progress": "resolved"}}, "alice")
    assert any(p.path.startswith("sync.status_ids") for p in named.value.problems)
    bad_rule = [{"when": "severity ==", "assignee": "carol"}]  # CEL that does not parse
    with pytest.raises(ConfigError) as rule:
        await here.defaults.save({"assignments": bad_rule}, "alice")
    assert any(p.path.startswith("assignments[0].when") for p in rule.value.problems)
    assert await here.defaults.stored() == {}
    assert await _project_and_priority(here.previews) == ("OPS", "Medium")
    assert await here.trail.events(EventFilter(types=("CONFIG_CHANGE",)), limit=10) == []


async def test_assignment_rules_saved_name_the_assignee_and_yamls_rules_win(
    two: tuple[Container, Container], tmp_path: Path
) -> None:
    here, _ = two
    rules = [{"name": "mediums", "when": 'severity == "medium"', "assignee": "carol"}]
    await here.defaults.save({"assignments": rules}, "alice")
    planned = (await here.previews.preview(await here.previews.alert(ALERT, ""))).planned
    assert planned.draft is not None
    assert planned.draft.assignee == "carol"
    desk = {"desk": {"members": ["dan", "erin"], "every": "7d", "start": "2026-01-05"}}
    to_desk = [rules[0] | {"assignee": "desk"}]
    await here.defaults.save({"teams": desk, "assignments": to_desk}, "alice")
    planned = (await here.previews.preview(await here.previews.alert(ALERT, ""))).planned
    assert planned.draft is not None
    assert planned.draft.assignee in ("dan", "erin")  # the rotation's member on duty
    (tmp_path / "ticketbridge.yaml").write_text(
        "assignments:\n  - {when: 'true', assignee: bob}\nteams:\n  desk: bob\n"
    )
    settings = bootstrap.load_settings(
        {
            "TICKETBRIDGE_CONFIG": str(tmp_path / "ticketbridge.yaml"),
            "TICKETBRIDGE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}",
            "TICKETBRIDGE_DATA_DIR": str(tmp_path / "var"),
        }
    )
    async with bootstrap.open_container(settings) as fixed:
        shown = {s.name: s for s in await fixed.defaults.settings()}
        assert shown["assignments"].origin == "ticketbridge.yaml"
        assert shown["assignments"].value == [{"when": "true", "assignee": "bob"}]
        assert (shown["teams"].origin, shown["teams"].value) == (YAML, {"desk": "bob"})
        with pytest.raises(InputError) as refused:
            await fixed.defaults.save({"assignments": rules}, "alice")
        assert refused.value.problems[0].path == "assignments"
