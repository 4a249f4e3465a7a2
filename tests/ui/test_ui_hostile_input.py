"""Hostile values at every UI route answer 2xx-4xx, never 5xx, and a page never shows a value
as markup (the app `serve` builds, in process over ASGI, with a signed-in admin)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from ui_harness import sign_in, signed_in

AUDIT_FILTERS = ("type", "alert", "ticket", "since", "until", "cursor")
NASTY = ['"><script>alert(1)</script>', "\x00", "9" * 40, "../../etc/passwd", "é" * 5000, ""]


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with signed_in(tmp_path) as (http, _):
        yield http


async def _csrf(client: httpx.AsyncClient) -> str:
    return (await client.get("/ui/keys")).text.split('name="csrf" value="')[1].split('"')[0]


@pytest.mark.parametrize("value", NASTY)
async def test_hostile_values_never_answer_5xx_nor_markup(
    client: httpx.AsyncClient, value: str
) -> None:
    csrf = await _csrf(client)
    short = value[:300]  # a URL has room for less
    gets = [
        ("/ui/alerts", {"source": short, "state": short, "decision": short, "cursor": short}),
        ("/ui/tickets", {"cursor": short}),
        ("/ui/dead-letters", {"cursor": short, "notice": short}),
        ("/ui/defaults", {"project": short}),
        ("/ui/defaults/users", {"project": short, "assignee_query": short}),
        ("/ui/defaults/users", {"project": short, "rule_query": short}),
        ("/ui/defaults/users", {"project": short, "team_query": short}),
        ("/ui/defaults/users", {"project": short, "rule.0.query": short}),
        ("/ui/defaults/users", {"project": short, "team.7.shift_query": short}),
        ("/ui/defaults/users", {"project": short, f"team.{short}.query": short}),
        ("/ui/templates", {"template": short}),
        ("/ui/login", {"next": short}),
        ("/ui/deliveries", {"outcome": short, "cursor": short}),
        (
            "/ui/audit",
            dict.fromkeys(AUDIT_FILTERS, short),
        ),
        ("/ui/dashboard", {"days": short}),
        ("/ui/jira/oauth/callback", {"state": short, "code": short, "error": short}),
        (f"/ui/{quote(short or 'x', safe='')}", {}),
    ]
    for path, params in gets:
        answer = await client.get(path, params=params)
        assert answer.status_code < 500, (path, answer.status_code)
        assert "<script>alert(1)" not in answer.text
    posts = [
        ("/ui/jira", {"url": value, "secret": value, "flavor": value, "auth_type": value}),
        ("/ui/defaults", {"project": value, "issue_type": value, "priority.high": value}),
        ("/ui/keys", {"name": value, "scopes": value, "sources": value}),
        ("/ui/users", {"username": value, "password": value, "role": value}),
        ("/ui/routes/check", {"when": value}),
        ("/ui/defaults/check-rule", {"rule_new_when": value}),
        ("/ui/routes/test", {"alert": value, "stored": value}),
        ("/ui/templates/preview", {"summary_template": value, "description_template": value}),
        ("/ui/dead-letters/retry", {"job": value}),
        ("/ui/defaults", {"listed.status": "1", "status.1": value, f"status.{value}": "open"}),
        ("/ui/defaults", {"listed.resolution": "1", f"resolution.{value}": value}),
        ("/ui/defaults", {"assignee": value}),
        ("/ui/defaults", {"listed.labels": "1", "labels": value, "labels_new": value}),
        ("/ui/defaults", {"listed.components": "1", "components": value}),
        ("/ui/defaults", {"listed.fields": "1", f"field.{value}": value, "field_new": value}),
        ("/ui/defaults", {"listed.fields": "1", "field_new": "x", "field_new_value": value}),
        ("/ui/defaults", {"listed.assignments": "1", "rule_new_when": value, "rule.0.when": ""}),
        ("/ui/defaults", {"listed.assignments": "1", "rule_new_assignee": value}),
        ("/ui/defaults", {"listed.teams": "1", "team_new_name": value, "team_new_every": value}),
        ("/ui/defaults", {"listed.teams": "1", "team_new_name": "t", "team_new_start": value}),
        ("/ui/defaults", {"listed.teams": "1", "team.0.name": value, "team.0.members": value}),
        (
            "/ui/defaults",
            {"listed.assignments": "1", "rule.0.when": "true", "rule.0.assignee": value},
        ),
        ("/ui/defaults", {"find": value, "rule.0.query": value, "team.9.shift_query": value}),
        ("/ui/jira/oauth", dict.fromkeys(("client_id", "client_secret", "auth_url", "url"), value)),
        ("/ui/audit/verify", {}),
        ("/ui/audit/export", {}),
        ("/ui/dead-letters/99999999999999999999/drop", {}),
        ("/ui/keys/99999999999999999999/revoke", {}),
    ]
    for path, form in posts:
        answer = await client.post(path, data={"csrf": csrf, **form})
        assert answer.status_code < 500, (path, answer.status_code, answer.text[:300])
        assert "<script>alert(1)" not in answer.text


async def test_behind_tls_the_session_cookie_is_host_prefixed_and_secure(tmp_path: Path) -> None:
    async with signed_in(tmp_path, base_url="https://tb.local") as (http, _):
        signed = await sign_in(http)  # again: the answer's cookie, its attributes
        cookie = next(c for c in signed.headers.get_list("set-cookie") if "tb_session=" in c)
        assert cookie.startswith("__Host-tb_session=")
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
        assert {"secure", "httponly", "samesite", "path"} <= attributes
        assert "domain" not in attributes
        assert "samesite=lax" in cookie.lower()
        assert (await http.get("/ui")).status_code == 200  # the cookie signs in


async def test_a_save_without_jiras_lists_keeps_the_status_and_resolution_mappings(
    client: httpx.AsyncClient,
) -> None:
    """No Jira to list statuses and resolutions: the form has no pickers, and saving it must
    not replace the mappings with nothing."""
    csrf = await _csrf(client)
    saved = await client.post("/ui/defaults", data={"csrf": csrf, "priority.high": "High"})
    assert saved.status_code == 303
    page = (await client.get("/ui/defaults")).text
    assert "Jira resolution → alert state <small>(default)</small>" in page
    assert "Jira status → alert state <small>(default)</small>" in page


async def test_typed_labels_are_split_at_spaces_and_commas_as_jira_allows_none_in_a_label(
    client: httpx.AsyncClient,
) -> None:
    csrf = await _csrf(client)
    form = {"csrf": csrf, "listed.labels": "1", "labels": "kept one", "labels_new": "a,b  a"}
    assert (await client.post("/ui/defaults", data=form)).status_code == 303
    page = (await client.get("/ui/defaults")).text
    fieldset = page.split('id="labels"')[1].split("</fieldset>")[0]
    assert fieldset.count(" checked") == 4
    for label in ("kept", "one", "a", "b"):
        assert f'value="{label}" checked' in fieldset


YAML_SETS_THEM = """\
defaults:
  assignee: carol@example.com
  labels: [from-yaml]
  fields: {Escalation ID: "{{ alert.id }}"}
assignments:
  - {when: 'severity == "critical"', assignee: bob}
teams:
  desk: {members: [carol, bob], every: 7d}
"""


async def test_assignee_labels_fields_and_rules_set_in_yaml_are_read_only_with_their_origin(
    tmp_path: Path,
) -> None:
    async with signed_in(tmp_path, YAML_SETS_THEM) as (http, _):
        page = (await http.get("/ui/defaults")).text
        for kind in ("assignee", "labels", "fields", "assignments", "teams"):
            opening = page.split(f'<fieldset id="{kind}"')[1].split(">")[0]
            assert "disabled" in opening, kind
            legend = page.split(f'<fieldset id="{kind}"')[1].split("</legend>")[0]
            assert "(ticketbridge.yaml)" in legend, kind
        components = page.split('<fieldset id="components"')[1].split(">")[0]
        assert "disabled" not in components  # not set in the file: editable
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        forged = {"csrf": csrf, "assignee": "mallory", "listed.assignments": "1"}
        forged |= {"rule_new_when": "true", "rule_new_assignee": "mallory"}
        forged |= {"listed.teams": "1", "team_new_name": "x", "team_new_members": "mallory"}
        forged |= {"team.0.name": "desk", "team.0.members": "mallory", "rule.0.when": "true"}
        forged |= {"rule.0.assignee": "mallory"}  # the kept rule's and team's forms, forged
        assert (await http.post("/ui/defaults", data=forged)).status_code == 303
        page = (await http.get("/ui/defaults")).text
        assert "mallory" not in page  # a read-only value is never replaced by a form
        assert "assigns to bob" in page
