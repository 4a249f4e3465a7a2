"""Tickets belong to the Jira site that holds them (issue 11, item 10).

The attack, as found: the same database pointed at another Jira site (a test site, then
production) sent a repeat alert's comment, with the alert's details, into an unrelated issue of
the new site that happened to have the same key ("Unrelated payroll issue", OPS-1). Here two
emulators are two Cloud sites at one URL with the same keys; each test says what the site
change does before and after the user decides (`rebind` or `separate`).
"""

from __future__ import annotations

from typing import Any

import pytest
from pipeline_harness import Pipeline, alert
from sqlalchemy import text

from jira_emulator import Emulator
from ticketbridge.errors import SiteChanged
from ticketbridge.library import Bridge
from ticketbridge.providers.jira import JiraProvider, api_token
from ticketbridge.services.site import SiteBinding
from ticketbridge.storage import Database

# Every repeat is its own comment: written at once, no digest interval to wait for.
REPEATS_COMMENT = "defaults: {dedup: {repeat: comment}}"


def provider_for(emu: Emulator) -> JiraProvider:
    auth = api_token("admin@example.com", "emulator-token")
    return JiraProvider(flavor="cloud", base_url=emu.base_url, auth=auth, transport=emu.transport())


async def a_person_creates(emu: Emulator, summary: str) -> str:
    fields = {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": summary}
    async with emu.client() as jira:
        created = await jira.post("/rest/api/3/issue", json={"fields": fields})
    return str(created.json()["key"])


def comments(emu: Emulator, key: str) -> list[Any]:
    return list(emu.issue(key).comments)


async def moved_to_production(database: Database) -> tuple[Emulator, Emulator, Pipeline]:
    """fp-1's issue made on the test site; then the repeat sent with production connected,
    where OPS-1 is a person's unrelated issue."""
    test_site, production = Emulator(flavor="cloud"), Emulator(flavor="cloud")
    assert await a_person_creates(production, "Unrelated payroll issue") == "OPS-1"
    before = Pipeline(database, provider_for(test_site), REPEATS_COMMENT)
    await before.send(alert(id="a-1", fingerprint="fp-1"))
    await before.drain()
    assert test_site.issue("OPS-1").fields["summary"].endswith("Model invented a citation")
    after = Pipeline(database, provider_for(production), REPEATS_COMMENT)
    await after.send(alert(id="a-2", fingerprint="fp-1", description="PII: jane@acme.example"))
    await after.drain(blocked=1)  # the repeat's comment waits for the user's decision
    return test_site, production, after


async def test_a_repeat_never_writes_into_another_sites_issue(database: Database) -> None:
    test_site, production, after = await moved_to_production(database)
    assert comments(production, "OPS-1") == []
    assert production.issue("OPS-1").fields["summary"] == "Unrelated payroll issue"
    assert len(production.state.issues) == 1
    report = await SiteBinding(database.unit_of_work, after.provider).report()
    assert report.current == f"cloud:{production.cloud_id}"
    assert report.others == {f"cloud:{test_site.cloud_id}": 1}
    with pytest.raises(SiteChanged, match="1 on cloud:"):
        await SiteBinding(database.unit_of_work, after.provider).current()


async def test_kept_apart_the_next_alert_gets_a_fresh_issue_on_the_new_site(
    database: Database,
) -> None:
    test_site, production, after = await moved_to_production(database)
    _, kept_apart = await SiteBinding(database.unit_of_work, after.provider).separate()
    assert kept_apart == 1
    await after.send(alert(id="a-3", fingerprint="fp-1"))
    await after.drain()
    assert comments(production, "OPS-1") == []  # the payroll issue is never touched
    fresh = production.issue("OPS-2")
    assert fresh.fields["summary"].endswith("Model invented a citation")
    [dead] = await after.admin.jobs()  # the held comment (dead): its issue is elsewhere
    assert "is on the Jira site" in (dead.last_error or "")
    view = await after.alert("a-3")
    assert view.ticket_key == "OPS-2"
    assert any("another Jira site" in reason for reason in view.reasons)
    assert comments(test_site, "OPS-1") == []  # nor is the old site written to


async def test_rebound_after_a_migration_the_repeat_reaches_the_moved_issue(
    database: Database,
) -> None:
    _, production, after = await moved_to_production(database)
    _, moved = await SiteBinding(database.unit_of_work, after.provider).rebind()
    assert moved == 1
    await after.drain()
    [comment] = comments(production, "OPS-1")  # the user said OPS-1 is the migrated issue
    assert "Occurred again" in str(comment.body)


async def test_tickets_from_before_sites_were_recorded_are_adopted(database: Database) -> None:
    site = Emulator(flavor="cloud")
    pipe = Pipeline(database, provider_for(site), REPEATS_COMMENT)
    await pipe.send(alert(id="a-1", fingerprint="fp-1"))
    await pipe.drain()
    async with database.engine.begin() as conn:  # as migration 0007 leaves older tickets
        await conn.execute(text("UPDATE tickets SET site = NULL"))
    again = Pipeline(database, provider_for(site), REPEATS_COMMENT)
    await again.send(alert(id="a-2", fingerprint="fp-1"))
    await again.drain()
    assert len(comments(site, "OPS-1")) == 1
    report = await SiteBinding(database.unit_of_work, again.provider).report()
    assert (report.here, report.others, report.unbound) == (1, {}, 0)


async def test_the_library_says_the_site_changed_instead_of_using_old_keys(
    tmp_path: Any,
) -> None:
    test_site, production = Emulator(flavor="cloud"), Emulator(flavor="cloud")
    await a_person_creates(production, "Unrelated payroll issue")
    store = f"sqlite+aiosqlite:///{tmp_path}/library.db"
    login = {"email": "admin@example.com", "api_token": "emulator-token", "database_url": store}
    async with Bridge.connect(
        cloud_url=test_site.base_url, transport=test_site.transport(), **login
    ) as bridge:
        first = await bridge.sync_alert({"id": "a-1", "title": "Drift"}, "OPS", "Task")
    assert first is not None
    async with Bridge.connect(
        cloud_url=production.base_url, transport=production.transport(), **login
    ) as bridge:
        with pytest.raises(SiteChanged):
            await bridge.sync_alert({"id": "a-1", "title": "Drift"}, "OPS", "Task")
    assert comments(production, "OPS-1") == []
    assert len(production.state.issues) == 1
