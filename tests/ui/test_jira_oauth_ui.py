""" "Connect with Atlassian" (OAuth 2.0, 3LO) from the admin UI in a real browser (issue 19):
the form starts the authorization, Chromium follows it to the emulator's authorization server
(Jira Cloud flavor) and back to the UI's callback, which shows the connection; Test Connection
then runs its checks over the OAuth tokens. The client secret is never echoed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from ui_harness import (
    AXE,
    AXE_SERIOUS,
    SHOTS,
    Stack,
    admin_page,
    chromium_path,
    ui_stack,
)

pytestmark = pytest.mark.browser

CLIENT_ID, CLIENT_SECRET = "ui-app", "ui-app-secret-never-shown"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    chromium_path()
    with ui_stack(tmp_path_factory.mktemp("ui-oauth"), flavor="cloud") as served:
        callback = f"{served.base}/ui/jira/oauth/callback"
        client = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
        registered = httpx.post(
            f"{served.emulator}/_emulator/oauth/clients",
            json=client | {"redirect_uris": [callback]},
            timeout=10,
        )
        registered.raise_for_status()
        yield served


@pytest.fixture(scope="module")
def admin(stack: Stack) -> Iterator[Any]:
    with admin_page(stack) as page:
        yield page


def test_connect_with_atlassian_ends_connected_and_test_connection_checks_it(
    admin: Any, stack: Stack
) -> None:
    admin.goto(f"{stack.base}/ui/jira")
    admin.fill("#client_id", CLIENT_ID)
    admin.fill("#client_secret", CLIENT_SECRET)
    admin.click("#oauth summary")  # the advanced settings: the emulator's servers
    admin.fill("#auth_url", stack.emulator)
    admin.fill("#api_url", stack.emulator)
    admin.fill("#oauth_project", "OPS")
    admin.check("#allow_private")
    with admin.expect_navigation(url="**/ui/jira/oauth/callback?*", timeout=30_000):
        admin.get_by_role("button", name="Connect with Atlassian").click()
    assert admin.text_content("[role=status]").startswith("Connected with Atlassian:")
    assert "OAuth 2.0" in admin.text_content("#oauth-state")
    assert CLIENT_SECRET not in admin.content()

    admin.get_by_role("button", name="Test connection").click()
    admin.wait_for_selector("#checks li")
    checks = admin.locator("#checks li")
    texts = checks.all_text_contents()
    authenticated = next(t for t in texts if "authenticated" in t)
    assert "passed" in authenticated, texts
    assert any("projects" in t and "OPS" in t for t in texts), texts

    admin.evaluate(AXE.read_text())
    assert admin.evaluate(AXE_SERIOUS) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    admin.screenshot(path=str(SHOTS / "jira-oauth.png"), full_page=True)


def test_a_replayed_callback_is_refused_on_the_page(admin: Any, stack: Stack) -> None:
    answer = admin.goto(f"{stack.base}/ui/jira/oauth/callback?state=not-ours&code=x")
    assert answer.status == 400
    assert "not one we started" in admin.text_content("[role=alert]")


def test_on_cloud_the_assignee_picked_is_kept_by_account_id_and_assigns_the_next_issue(
    admin: Any, stack: Stack
) -> None:
    cloud_auth = ("admin@example.com", "emulator-token")
    [alice] = httpx.get(
        f"{stack.emulator}/rest/api/3/user/search",
        params={"query": "alice@example.com"},
        auth=cloud_auth,
        timeout=10,
    ).json()
    admin.goto(f"{stack.base}/ui/defaults")
    admin.fill("#assignee-query", "ali")  # htmx: Jira's assignable users, as typed
    admin.get_by_label("Alice Analyst").check()
    with admin.expect_navigation(url="**/ui/defaults?saved=1"):
        admin.get_by_role("button", name="Save defaults").click()
    kept = admin.text_content("label[for=assignee-keep]")
    assert f"Keep Alice Analyst ({alice['accountId']})" in " ".join(kept.split())
    alert = {"source": "generic", "id": "cloud-1", "title": "Assigned", "severity": "high"}
    answer = httpx.post(
        f"{stack.base}/v1/alerts?wait=ticket",
        json=alert,
        headers={"Authorization": f"Bearer {stack.api_key()}"},
        timeout=30,
    )
    key = answer.json()["results"][0]["ticket"]["key"]
    issue = httpx.get(
        f"{stack.emulator}/rest/api/3/issue/{key}",
        params={"fields": "assignee"},
        auth=cloud_auth,
        timeout=10,
    ).json()
    assert issue["fields"]["assignee"]["accountId"] == alice["accountId"]
