"""Teams and assignment rules edited in place on the defaults page, in a real browser (Debian's
Chromium through Playwright) against `ticketbridge serve` and the Jira emulator (issue 19): a
rotation's members and turn and a schedule's shifts changed through the user pickers, and a
rule's assignee replaced; the next alerts' issues in the emulator get the new assignees. axe
on the page with every picker open; a screenshot to docs/ui/. One server and one Chromium for
the module; the tests run in file order."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ui_harness import (
    AXE,
    AXE_SERIOUS,
    CONNECTED,
    SHOTS,
    Stack,
    admin_page,
    admin_signed_in,
    chromium_path,
    save_defaults,
    ticketed,
    ui_stack,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    chromium_path()
    with ui_stack(tmp_path_factory.mktemp("ui-teams"), CONNECTED) as served:
        yield served


@pytest.fixture(scope="module")
def admin(stack: Stack) -> Iterator[Any]:
    with admin_page(stack) as page:
        page.goto(f"{stack.base}/ui/defaults")
        yield page


def _days_ago(days: int) -> str:
    """A shift's start for a datetime-local input: midnight UTC `days` ago (begun already)."""
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT00:00")


def _pick(page: Any, search: str, typed: str, results: str, name: str) -> None:
    """Type into a user picker's search box and pick `name` among Jira's users it lists."""
    page.fill(search, typed)
    page.locator(results).get_by_label(name).check()


def _assignee(stack: Stack, alert_id: str, severity: str) -> str:
    _, issue = ticketed(stack, alert_id, severity, "assignee")
    return str(issue["assignee"]["name"])


def test_teams_and_rules_made_through_the_pickers_assign_the_next_alerts(
    admin: Any, stack: Stack
) -> None:
    admin.fill("#team-new-name", "desk")  # a rotation of Alice
    _pick(admin, "#team-query", "ali", "#team-member-results", "Alice Analyst")
    admin.select_option("#team-new-every", "14d")
    save_defaults(admin)
    admin.fill("#team-new-name", "night")  # a schedule: Alice's shift began a month ago
    _pick(admin, "#team-query", "ali", "#team-member-results", "Alice Analyst")
    admin.fill("#team-new-shift-from", _days_ago(30))
    save_defaults(admin)
    for severity, team in (("high", 1), ("low", 2)):  # to desk, then to night
        admin.fill("#rule-new-when", f'severity == "{severity}"')
        admin.check(f"#rule-team-{team}")
        save_defaults(admin)
    assert "Rule 2 assigns to team night" in admin.text_content("#assignments")
    assert _assignee(stack, "before-high", "high") == "alice"
    assert _assignee(stack, "before-low", "low") == "alice"


def test_a_teams_members_and_schedule_edited_in_place_assign_the_next_alerts(
    admin: Any, stack: Stack
) -> None:
    today = datetime.now(UTC).strftime("%Y-%m-%d")  # Bob's turn first, for 7 days from today
    admin.locator("#team-0-member-1").uncheck()  # desk: Alice out; Bob, then Carol in
    _pick(admin, "#team-0-query", "bo", "#team-0-member-results", "Bob Builder")
    _pick(admin, "#team-0-query", "car", "#team-0-member-results", "Carol Compliance")
    assert admin.is_checked("#team-0-member-results-kept-1")  # Bob, picked before, still is
    admin.select_option("#team-0-every", "7d")
    admin.fill("#team-0-start", today)
    admin.fill("#team-1-shift-new-from", _days_ago(1))  # night: Carol's shift began yesterday
    _pick(admin, "#team-1-shift-query", "car", "#team-1-shift-results", "Carol Compliance")
    admin.evaluate(AXE.read_text())
    assert admin.evaluate(AXE_SERIOUS) == []  # with the pickers' choices listed
    save_defaults(admin)
    teams = admin.text_content("#teams")
    assert f"turns of 7d among Bob Builder (bob), Carol Compliance (carol) from {today}" in teams
    assert "a schedule of 2 shifts" in teams
    assert "Shift of Carol Compliance (carol) begins" in teams
    assert admin.is_checked("#team-0-member-1")  # Bob, member 1 now
    SHOTS.mkdir(parents=True, exist_ok=True)
    admin.screenshot(path=str(SHOTS / "defaults-teams.png"), full_page=True)
    assert _assignee(stack, "edited-high", "high") == "bob"  # desk's member on duty
    assert _assignee(stack, "edited-low", "low") == "carol"  # the latest shift begun


def test_a_rules_assignee_replaced_through_the_picker_assigns_the_next_alert(
    admin: Any, stack: Stack
) -> None:
    _pick(admin, "#rule-0-query", "car", "#rule-0-assignee-results", "Carol Compliance")
    save_defaults(admin)
    assert "Rule 1 assigns to Carol Compliance (carol)" in admin.text_content("#assignments")
    assert admin.is_checked("#rule-0-keep")
    assert _assignee(stack, "reassigned-high", "high") == "carol"  # no longer desk's Bob
    assert admin.text_content("label[for=rule-0-team-1]") == "Team desk"
    admin.check("#rule-0-team-1")  # and back to desk
    save_defaults(admin)
    assert _assignee(stack, "back-high", "high") == "bob"


def test_without_javascript_find_lists_jiras_users_to_pick_and_save(
    admin: Any, stack: Stack
) -> None:
    page = admin_signed_in(admin.context.browser, stack, java_script_enabled=False)
    with closing(page.context):
        page.goto(f"{stack.base}/ui/defaults")
        page.fill("#team-0-query", "ali")
        searching = page.locator("p", has=page.locator("#team-0-query"))
        with page.expect_navigation():
            searching.get_by_role("button", name="Find users").click()
        assert page.text_content("[role=status]").startswith("Users found are listed")
        page.locator("#team-0-member-results").get_by_label("Alice Analyst").check()
        save_defaults(page)
        teams = page.text_content("#teams")
        assert "among Bob Builder (bob), Carol Compliance (carol), Alice Analyst (alice)" in teams
