"""The admin UI's observing pages in a real browser (issue 19): Webhook deliveries lists what
Jira posted to /v1/jira/webhook with the ticket and alert it touched; Audit lists the events
(a change made in the UI among them, as CONFIG_CHANGE), verifies green, then red at the
position of a row tampered in the database, and downloads the export pack; Dashboard shows
the reports' figures and charts with their data tables. axe-core on each page, screenshots to
docs/ui/. One server and one Chromium for the module; the tests run in file order."""

from __future__ import annotations

import io
import json
import sqlite3
import time
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from ui_harness import (
    AXE,
    AXE_SERIOUS,
    CONNECTED,
    EMULATOR_AUTH,
    HOOK_TOKEN,
    SHOTS,
    Stack,
    admin_page,
    chromium_path,
    ui_stack,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    chromium_path()
    with ui_stack(tmp_path_factory.mktemp("ui-observe"), CONNECTED) as served:
        yield served


@pytest.fixture(scope="module")
def admin(stack: Stack) -> Iterator[Any]:
    with admin_page(stack, accept_downloads=True) as page:
        yield page


@pytest.fixture(scope="module")
def ticket(stack: Stack) -> str:
    """An alert turned into an issue in the emulator: the key."""
    return _ticket_for(stack, "seen-1")


def _accessible(page: Any, shot: str) -> None:
    page.evaluate(AXE.read_text())
    assert page.evaluate(AXE_SERIOUS) == [], page.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)


def _move_in_jira(stack: Stack, key: str, category: str) -> dict[str, Any]:
    """A person moves the issue to a status of `category` in the emulator; the issue as
    Jira now has it."""
    issue_url = f"{stack.emulator}/rest/api/2/issue/{key}"
    transitions = httpx.get(f"{issue_url}/transitions", headers=EMULATOR_AUTH, timeout=10)
    chosen = next(
        t for t in transitions.json()["transitions"] if t["to"]["statusCategory"]["key"] == category
    )
    moved = httpx.post(
        f"{issue_url}/transitions",
        json={"transition": {"id": chosen["id"]}},
        headers={"Authorization": "Bearer bob-pat"},
        timeout=10,
    )
    assert moved.status_code == 204, moved.text
    issue: dict[str, Any] = httpx.get(issue_url, headers=EMULATOR_AUTH, timeout=10).json()
    return issue


def _deliver(stack: Stack, issue: dict[str, Any], identifier: str) -> None:
    """What Jira posts to our webhook after the change."""
    delivery = {
        "timestamp": int(time.time() * 1000),
        "webhookEvent": "jira:issue_updated",
        "user": {"name": "bob"},
        "issue": issue,
    }
    posted = httpx.post(
        f"{stack.base}/v1/jira/webhook?token={HOOK_TOKEN}",
        content=json.dumps(delivery),
        headers={"content-type": "application/json", "x-atlassian-webhook-identifier": identifier},
        timeout=10,
    )
    assert posted.status_code < 300, posted.text


def _ticket_for(stack: Stack, alert_id: str) -> str:
    """A new issue for a new alert (its own title: nothing to deduplicate it with)."""
    title = f"Disk full on {alert_id}"
    alert = {"source": "generic", "id": alert_id, "title": title, "severity": "high"}
    answer = httpx.post(
        f"{stack.base}/v1/alerts?wait=ticket",
        json=alert,
        headers={"Authorization": f"Bearer {stack.api_key()}"},
        timeout=30,
    )
    assert answer.status_code < 300, answer.text
    return str(answer.json()["results"][0]["ticket"]["key"])


def _shown_after_delivery(admin: Any, url: str, row_text: str) -> Any:
    """The row, once the delivery loop (in the background) has applied the delivery."""
    deadline = time.monotonic() + 30
    row = admin.locator("tbody tr", has_text=row_text)
    while True:
        admin.goto(url)
        if row.count() or time.monotonic() > deadline:
            return row
        time.sleep(0.3)


def test_a_delivery_posted_by_jira_is_listed_with_its_ticket_and_alert(
    admin: Any, stack: Stack, ticket: str
) -> None:
    _deliver(stack, _move_in_jira(stack, ticket, "done"), "d-ui-1")
    row = _shown_after_delivery(admin, f"{stack.base}/ui/deliveries?outcome=applied", "d-ui-1")
    assert row.count() == 1, admin.text_content("main")
    text = row.text_content()
    assert ticket in text
    assert "generic/seen-1" in text
    assert "jira:issue_updated" in text
    _accessible(admin, "deliveries")
    admin.goto(f"{stack.base}/ui/deliveries?outcome=rejected")
    assert admin.locator("tbody tr", has_text="d-ui-1").count() == 0


def test_a_ui_change_is_an_audit_event_and_verify_turns_red_after_tampering(
    admin: Any, stack: Stack, ticket: str
) -> None:
    admin.goto(f"{stack.base}/ui/keys")
    admin.fill("#name", "audited-key")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Create", exact=True).click()
    admin.goto(f"{stack.base}/ui/audit?type=CONFIG_CHANGE")
    change = admin.locator("tbody tr", has_text="CONFIG_CHANGE").first
    assert "apikey" in change.text_content()
    assert '"actor": "alice"' in change.locator("pre").text_content()
    admin.get_by_role("button", name="Verify").click()
    assert "Verified" in admin.text_content("#verify-result")
    _accessible(admin, "audit")

    with admin.expect_download() as downloaded:
        admin.get_by_role("button", name="Download the export pack (.zip)").click()
    pack = zipfile.ZipFile(io.BytesIO(downloaded.value.path().read_bytes()))
    names = set(pack.namelist())
    assert {"audit-export/manifest.json", "audit-export/events.jsonl"} <= names

    with sqlite3.connect(stack.workdir / "tb.db") as db:
        (position,) = db.execute(
            "SELECT min(position) FROM audit_events WHERE type = 'CONFIG_CHANGE'"
        ).fetchone()
        db.execute(
            "UPDATE audit_events SET body = replace(body, 'alice', 'mallory') WHERE position = ?",
            (position,),
        )
    admin.get_by_role("button", name="Verify").click()
    result = admin.text_content("#verify-result")
    assert f"the first bad position is {position}" in result
    _accessible(admin, "audit-red")


def test_the_dashboard_shows_figures_against_the_previous_period_and_charts_with_tables(
    admin: Any, stack: Stack, ticket: str
) -> None:
    admin.goto(f"{stack.base}/ui/dashboard")
    admin.select_option("#days", "30")
    with admin.expect_navigation(url="**/ui/dashboard?days=30"):
        admin.get_by_role("button", name="Show").click()
    created = admin.locator("#figures tr", has_text="created").first
    assert [c.strip() for c in created.locator("td").all_text_contents()][:2] == ["1", "0"]
    figures = admin.locator("figure.report-chart")
    assert figures.count() == 4
    for index in range(4):
        figure = figures.nth(index)
        assert figure.locator("img[src^='data:image/svg+xml']").count() == 1
        assert figure.locator("table.report-data caption").count() == 1
    assert admin.evaluate("() => [...document.images].every(i => i.naturalWidth > 0)")
    _accessible(admin, "dashboard")


def test_a_status_mapping_and_a_due_budget_picked_are_used_by_the_next_alert_and_delivery(
    admin: Any, stack: Stack
) -> None:
    statuses = httpx.get(f"{stack.emulator}/rest/api/2/status", headers=EMULATOR_AUTH, timeout=10)
    in_progress = next(s for s in statuses.json() if s["name"] == "In Progress")
    admin.goto(f"{stack.base}/ui/defaults")
    picker = f"#status-{in_progress['id']}"
    assert "In Progress" in admin.text_content(f"label[for='{picker[1:]}']")
    admin.select_option(picker, "resolved")  # by its category it would be in_progress
    admin.select_option("#due-high", "3d")  # the SLA budget of high alerts (default 7d)
    with admin.expect_navigation(url="**/ui/defaults?saved=1"):
        admin.get_by_role("button", name="Save defaults").click()
    assert admin.input_value(picker) == "resolved"
    _accessible(admin, "defaults-mappings")

    key = _ticket_for(stack, "seen-2")
    issue = httpx.get(
        f"{stack.emulator}/rest/api/2/issue/{key}", headers=EMULATOR_AUTH, timeout=10
    ).json()["fields"]
    created = date.fromisoformat(issue["created"][:10])
    assert date.fromisoformat(issue["duedate"]) - created == timedelta(days=3)
    _deliver(stack, _move_in_jira(stack, key, "indeterminate"), "d-ui-2")
    row = _shown_after_delivery(admin, f"{stack.base}/ui/deliveries?outcome=applied", "d-ui-2")
    assert row.count() == 1, admin.text_content("main")
    admin.goto(f"{stack.base}/ui/alerts?source=generic")
    alert_row = admin.locator("tbody tr", has_text="generic/seen-2")
    assert alert_row.locator("td").nth(3).text_content().strip() == "resolved"
