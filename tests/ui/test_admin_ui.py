"""The admin UI in a real browser (Debian's Chromium through Playwright) against a real
`ticketbridge serve` and the Jira emulator over HTTP (issue 19): sign-in and its rate limit,
a cross-site POST refused, the secret never echoed, Test Connection green and red with its
fix, the CEL check, the route test and template preview, a dead letter retried until the issue
exists in the emulator, an axe-core check of every page, and a screenshot of each
(docs/ui/*.png). One server and one browser for the module; the tests run in file order."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from ui_harness import (
    ADMIN,
    ADMIN_PASSWORD,
    AXE,
    AXE_SERIOUS,
    CHROMIUM_ARGS,
    EMULATOR_PAT,
    READER,
    READER_PASSWORD,
    SHOTS,
    Stack,
    chromium_path,
    save_defaults,
    ticketed,
    ui_stack,
)

pytestmark = pytest.mark.browser

PAGES = [
    "/ui",
    "/ui/jira",
    "/ui/defaults",
    "/ui/dead-letters",
    "/ui/alerts",
    "/ui/tickets",
    "/ui/routes",
    "/ui/templates",
    "/ui/deliveries",
    "/ui/audit",
    "/ui/dashboard",
    "/ui/keys",
    "/ui/users",
    "/ui/changes",
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    chromium_path()  # skip (or fail under TICKETBRIDGE_REQUIRE_ALL=1) before starting servers
    with ui_stack(tmp_path_factory.mktemp("ui")) as served:
        yield served


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _sign_in(page: Any, base: str, username: str, password: str) -> Any:
    page.goto(f"{base}/ui/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    return page


@pytest.fixture(scope="module")
def admin(browser: Any, stack: Stack) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = _sign_in(context.new_page(), stack.base, ADMIN, ADMIN_PASSWORD)
    yield page
    context.close()


def _eventually(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"never happened: {what}")


def _save(page: Any) -> None:
    with page.expect_navigation(url="**/ui/jira?saved=1"):
        page.get_by_role("button", name="Save", exact=True).click()


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_sign_in_is_required_and_failures_are_rate_limited(browser: Any, stack: Stack) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{stack.base}/ui/alerts")
    assert page.url.startswith(f"{stack.base}/ui/login?next=/ui/alerts")
    for _ in range(5):
        _sign_in(page, stack.base, READER, "not the password")
        assert "unknown user or wrong password" in page.text_content("[role=alert]")
    _sign_in(page, stack.base, READER, READER_PASSWORD)  # right, but over the limit
    assert "too many failed sign-ins" in page.text_content("[role=alert]")
    assert "/ui/login" in page.url
    _shot(page, "login")
    forged = page.request.post(  # no sign-in form token: a login forged from elsewhere
        f"{stack.base}/ui/login", form={"username": ADMIN, "password": ADMIN_PASSWORD}
    )
    assert forged.status == 403
    assert "sign-in form is stale" in forged.text()
    context.close()


def test_the_keyboard_alone_signs_in_and_a_session_cookie_is_httponly_lax(
    browser: Any, stack: Stack
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{stack.base}/ui/login")
    page.keyboard.type(ADMIN)  # the username field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(ADMIN_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{stack.base}/ui")
    cookie = next(c for c in context.cookies() if c["name"] == "tb_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    context.close()


def test_every_page_has_a_nonce_csp_and_no_serious_accessibility_violation(admin: Any) -> None:
    base = admin.url.split("/ui")[0]
    nonces = set()
    for path in PAGES:
        answer = admin.goto(base + path)
        assert answer.status == 200, path
        policy = answer.headers["content-security-policy"]
        assert "script-src 'nonce-" in policy
        assert "unsafe-inline" not in policy
        nonces.add(policy.split("'nonce-")[1].split("'")[0])
        admin.evaluate(AXE.read_text())
        assert admin.evaluate(AXE_SERIOUS) == [], path
        _shot(admin, path.strip("/").replace("/", "-") or "ui")
    assert len(nonces) == len(PAGES)  # a fresh nonce per page


def test_a_cross_site_post_is_refused(browser: Any, stack: Stack, admin: Any) -> None:
    """A page on another origin posts the Jira form with the admin's cookies (127.0.0.1 on
    another port is the same site: SameSite=Lax sends them); Sec-Fetch-Site refuses it."""
    context = admin.context
    attacker = context.new_page()
    evil = "http://127.0.0.1:9/evil"  # served by the route below, never by a socket

    def serve_attack(route: Any) -> None:
        form = (
            f'<form method="post" action="{stack.base}/ui/jira">'
            '<input name="url" value="https://evil.example"><input name="secret" value="x">'
            '<button id="go">go</button></form>'
        )
        route.fulfill(status=200, content_type="text/html", body=form)

    attacker.route(evil, serve_attack)
    attacker.goto(evil)
    attacker.click("#go")
    attacker.wait_for_load_state()
    assert "cross-origin request refused" in attacker.text_content("main")
    attacker.close()
    assert "evil.example" not in httpx.get(f"{stack.base}/ui/jira", timeout=10).text


def test_the_saved_secret_is_never_shown_and_test_connection_is_green(
    admin: Any, stack: Stack
) -> None:
    admin.goto(f"{stack.base}/ui/jira")
    admin.select_option("#flavor", "datacenter")
    admin.fill("#url", stack.emulator)
    admin.select_option("#auth_type", "pat")
    admin.fill("#secret", EMULATOR_PAT)
    admin.fill("#project_key", "OPS")
    _save(admin)
    assert EMULATOR_PAT not in admin.content()
    assert admin.input_value("#secret") == ""
    assert "Leave empty to keep it" in admin.text_content("#secret-hint")
    admin.get_by_role("button", name="Test connection").click()
    admin.wait_for_selector("#checks li")
    checks = admin.locator("#checks li")
    texts = [checks.nth(n).text_content() for n in range(checks.count())]
    assert all("passed" in text for text in texts), texts
    assert any("create screen OPS/Task" in text for text in texts)
    assert any("permissions in OPS" in t and "transition, comment, link" in t for t in texts)
    assert EMULATOR_PAT not in admin.content()
    _shot(admin, "jira-test-green")


def test_test_connection_is_red_with_the_fix_for_a_wrong_token(admin: Any, stack: Stack) -> None:
    admin.goto(f"{stack.base}/ui/jira")
    admin.fill("#secret", "not-the-token")
    _save(admin)
    admin.get_by_role("button", name="Test connection").click()
    admin.wait_for_selector("#checks li.bad")
    failed = admin.text_content("#checks li.bad")
    assert "authenticated" in failed
    assert "Fix: check the credentials" in failed
    _shot(admin, "jira-test-red")
    admin.fill("#secret", EMULATOR_PAT)  # back to the working token for the tests below
    _save(admin)


def test_cel_is_checked_as_typed_and_the_route_test_shows_the_trail(
    admin: Any, stack: Stack
) -> None:
    admin.goto(f"{stack.base}/ui/routes")
    assert "route everything above always matches first" in admin.text_content("tr.shadowed")
    admin.fill("#when", 'severity == "high" &&')
    admin.wait_for_selector("#cel-result li.bad")  # htmx: no submit
    admin.fill("#when", 'sev(severity) >= sev("high")')
    admin.wait_for_selector("#cel-result .ok")
    admin.click("#preview-submit")
    admin.wait_for_selector("#trail ol li")
    trail = admin.text_content("#trail")
    assert "Route pii-blocks" in trail
    assert "PII: PII sent to an external model" in trail
    _shot(admin, "routes-test")


def test_a_template_edited_is_previewed_live_with_budgets_and_sandbox_errors(
    admin: Any, stack: Stack
) -> None:
    admin.goto(f"{stack.base}/ui/templates")
    admin.get_by_role("link", name="pii").click()
    assert admin.input_value("#summary_template") == "PII: {{ alert.title }}"
    admin.click("#preview-submit")
    admin.wait_for_selector("#trail .adf")
    assert admin.text_content(".adf h5, .adf h4, .adf h3") == "What happened"
    assert admin.locator(".adf table td").count() >= 2
    assert "h2. What happened" in admin.text_content(".sidebyside pre")
    assert "PII: PII sent to an external model (34 / 255)" in admin.text_content("dl.issue")
    assert "/ 32767" in admin.text_content("dl.issue")
    _shot(admin, "templates-preview")
    admin.fill("#description_template", "line one\n{{ alert.attributes.nope.deeper }}")
    admin.wait_for_selector("#trail [role=alert]")  # live: no submit
    error = admin.text_content("#trail [role=alert]")
    assert "description" in error
    assert "line 2" in error
    _shot(admin, "templates-error")


def test_a_dead_letter_with_jiras_field_message_is_retried_until_the_issue_exists(
    admin: Any, stack: Stack
) -> None:
    refusal = {"errorMessages": [], "errors": {"labels": "Field 'labels' cannot be set."}}
    fault = {"method": "POST", "path": "/rest/api/2/issue", "kind": "status", "status": 400}
    httpx.post(f"{stack.emulator}/_emulator/faults", json=fault | {"body": refusal}, timeout=10)
    key = stack.api_key()
    alert = {"source": "generic", "id": "dl-1", "title": "Dead letter", "severity": "high"}
    answer = httpx.post(
        f"{stack.base}/v1/alerts",
        json=alert,
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert answer.status_code in (200, 201, 202), answer.text

    def dead() -> bool:
        admin.goto(f"{stack.base}/ui/dead-letters")
        return admin.locator("pre.error").count() > 0

    _eventually(dead, "the create is dead-lettered")
    assert "Field 'labels' cannot be set" in admin.text_content("pre.error")
    _shot(admin, "dead-letters")
    httpx.delete(f"{stack.emulator}/_emulator/faults", timeout=10)
    admin.get_by_role("button", name="Retry all on this page").click()
    assert "1 job(s) queued again" in admin.text_content(".notice")
    _eventually(
        lambda: any("Dead letter" in str(i.get("summary")) for i in stack.emulator_issues()),
        "the issue exists in the emulator",
    )
    admin.goto(f"{stack.base}/ui/changes")
    assert "outbox.retry" in admin.text_content("table")


def test_a_mapping_picked_from_jiras_lists_is_used_by_the_next_alert(
    admin: Any, stack: Stack
) -> None:
    admin.goto(f"{stack.base}/ui/defaults")
    assert admin.is_disabled("#issue_type")  # ticketbridge.yaml sets it
    assert "ticketbridge.yaml" in admin.text_content("#mapping")
    with admin.expect_response(lambda r: "/ui/defaults?project=INFRA" in r.url):
        admin.select_option("#pick-project", "INFRA")  # htmx reloads the mapping form
    admin.select_option("#priority-medium", "Lowest")  # offered by Jira's /priority
    admin.fill("#assignee-query", "bo")  # htmx: Jira's assignable users, as typed
    admin.get_by_label("Bob Builder").check()
    admin.get_by_label("network").check()  # INFRA's components, as Jira lists them
    admin.fill("#labels-new", "ui-picked team-sre")  # Data Center has no label list: typed
    admin.select_option("#field-new", label="Escalation ID")  # a custom field, by its name
    admin.fill("#field-new-value", "{{ alert.id }}")
    save_defaults(admin)
    assert "INFRA" in admin.text_content("#mapping legend")
    assert "Keep Bob Builder (bob)" in admin.text_content("#assignee")  # DC: the username
    assert admin.is_checked("#components input[value=network]")
    assert admin.is_checked("#labels input[value=team-sre]")
    assert "Escalation ID (customfield_10010)" in admin.text_content("#fields")  # kept by id
    fields = "priority,issuetype,assignee,components,labels,customfield_10010"
    issue_key, issue = ticketed(stack, "mapped-1", "medium", fields)
    assert issue_key.startswith("INFRA-")
    assert issue["priority"]["name"] == "Lowest"
    assert issue["issuetype"]["name"] == "Task"
    assert issue["assignee"]["name"] == "bob"
    assert [c["name"] for c in issue["components"]] == ["network"]
    assert {"ui-picked", "team-sre"} <= set(issue["labels"])
    assert issue["customfield_10010"] == "mapped-1"


def test_assignment_rules_and_a_team_picked_assign_the_next_alerts(
    admin: Any, stack: Stack
) -> None:
    admin.goto(f"{stack.base}/ui/defaults")
    admin.fill("#rule-new-name", "criticals")  # an assignment rule: CEL, a user from Jira
    admin.fill("#rule-new-when", 'severity == "critical" &&')
    admin.wait_for_selector("#assignments #cel-result li.bad")  # checked as typed (htmx)
    admin.fill("#rule-new-when", 'severity == "critical"')
    admin.wait_for_selector("#assignments #cel-result .ok")
    admin.fill("#rule-query", "car")
    admin.get_by_label("Carol Compliance").check()
    save_defaults(admin)
    assert "Rule 1 assigns to Carol Compliance (carol)" in admin.text_content("#assignments")
    admin.fill("#team-new-name", "night-desk")  # a rotation, its members Jira's users
    admin.fill("#team-query", "ali")
    admin.locator("#teams").get_by_label("Alice Analyst").check()
    admin.select_option("#team-new-every", "7d")
    save_defaults(admin)
    assert "turns of 7d among Alice Analyst (alice)" in admin.text_content("#teams")
    admin.fill("#rule-new-when", 'severity == "high"')  # a second rule, to the team
    admin.get_by_role("group", name="Add a rule").get_by_label("Team night-desk").check()
    save_defaults(admin)
    assert "Rule 2 assigns to team night-desk" in admin.text_content("#assignments")
    admin.evaluate(AXE.read_text())
    assert admin.evaluate(AXE_SERIOUS) == []  # with every picker filled in
    _shot(admin, "defaults")
    _, ruled = ticketed(stack, "ruled-1", "critical", "assignee")
    assert ruled["assignee"]["name"] == "carol"  # the rule wins over the default assignee
    _, teamed = ticketed(stack, "ruled-2", "high", "assignee")
    assert teamed["assignee"]["name"] == "alice"  # the team's member on duty


def test_alerts_filter_and_page_by_keyset_with_the_trail_and_jira_links(
    admin: Any, stack: Stack
) -> None:
    batch = [
        {"source": "generic", "id": f"page-{n}", "title": f"Paged {n}", "severity": "low"}
        for n in range(55)
    ]
    headers = {"Authorization": f"Bearer {stack.api_key()}"}
    answer = httpx.post(f"{stack.base}/v1/alerts", json=batch, headers=headers, timeout=30)
    assert answer.status_code == 202, answer.text
    admin.goto(f"{stack.base}/ui/alerts")
    first = admin.locator("tbody tr td:first-child").all_text_contents()
    assert len(first) == 50
    admin.get_by_role("link", name="Next page").click()
    second = admin.locator("tbody tr td:first-child").all_text_contents()
    assert second
    assert not set(first) & set(second)  # keyset: no row twice
    admin.goto(f"{stack.base}/ui/alerts?source=generic&decision=create")
    decisions = admin.locator("tbody tr td:nth-child(5)").all_text_contents()
    assert decisions
    assert all(d.strip().startswith("create") for d in decisions)

    def linked() -> bool:  # the worker tickets the batch meanwhile: a row gets its Jira link
        admin.goto(f"{stack.base}/ui/alerts?source=generic&decision=create")
        return bool(admin.locator("tbody a[href*='/browse/INFRA-']").count())

    _eventually(linked, "a ticketed alert links to its Jira issue")
    admin.locator("details summary").first.click()
    assert "no ticket for this fingerprint yet" in admin.text_content("details ol")
    admin.goto(f"{stack.base}/ui/alerts?state=bogus")
    assert "unknown state 'bogus'" in admin.text_content("[role=alert]")


def test_a_read_only_user_sees_pages_but_cannot_change_anything(browser: Any, stack: Stack) -> None:
    stack.cli("user", "create", "rob", "--role", "read", "--password-stdin", stdin=READER_PASSWORD)
    context = browser.new_context()
    page = _sign_in(context.new_page(), stack.base, "rob", READER_PASSWORD)
    page.goto(f"{stack.base}/ui/keys")
    assert page.is_disabled("text=Create")
    token = page.get_attribute("input[name=csrf]", "value")
    refused = page.request.post(
        f"{stack.base}/ui/keys",
        form={"csrf": token, "name": "sneaky", "scopes": "admin"},
        headers={"Origin": stack.base},
    )
    assert refused.status == 403
    assert "changes need an admin" in refused.text()
    page.goto(f"{stack.base}/ui/keys")
    assert "sneaky" not in page.text_content("table")
    context.close()
