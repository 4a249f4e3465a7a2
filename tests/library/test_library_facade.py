"""The synchronous facade: threads, several handlers on one store, use inside a running event
loop, closing, connection arguments refused by name, templates, and no secret in any repr,
error or log line."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from library_harness import JiraServer

from ticketbridge.errors import AuthFailed, ConfigError
from ticketbridge.library import Bridge, JiraIssueHandler, JiraSyncHandler, JiraTemplate, connect

SECRET = "emulator-token"
ALERT = {"id": "storm-1", "title": "Jailbreak attempts", "severity": "high", "count": 1}


def login(jira: JiraServer) -> dict[str, Any]:
    return {"cloud_url": jira.url, "email": "admin@example.com", "api_token": SECRET}


def library_threads() -> int:
    return sum(t.name == "ticketbridge-library" for t in threading.enumerate())


def test_one_handler_from_many_web_threads_makes_one_issue(cloud: JiraServer) -> None:
    with JiraSyncHandler(**login(cloud)) as sync, ThreadPoolExecutor(8) as pool:
        found = list(
            pool.map(lambda n: sync.sync_alert({**ALERT, "count": n}, "OPS", "Incident"), range(16))
        )

    assert {issue.key for issue in found if issue is not None} == {"OPS-1"}
    assert [i["key"] for i in cloud.issues()] == ["OPS-1"]


def test_handlers_sharing_a_store_share_the_issue(cloud: JiraServer) -> None:
    handlers = [JiraSyncHandler(**login(cloud)) for _ in range(3)]
    with ThreadPoolExecutor(3) as pool:
        found = list(pool.map(lambda h: h.sync_alert(ALERT, "OPS", "Task"), handlers))
    for handler in handlers:
        handler.close()

    assert {issue.key for issue in found if issue is not None} == {"OPS-1"}
    assert [i["key"] for i in cloud.issues()] == ["OPS-1"]


async def test_usable_from_code_running_an_event_loop(cloud: JiraServer) -> None:
    handler = JiraIssueHandler(**login(cloud))
    issue = handler.create_issue("OPS", "Task", {"summary": "from a coroutine"})
    handler.close()

    assert [i["summary"] for i in cloud.issues()] == ["from a coroutine"]
    assert issue.fields.summary == "from a coroutine"


def test_close_ends_the_thread_and_later_calls_are_refused(cloud: JiraServer) -> None:
    before = library_threads()
    handler = JiraIssueHandler(**login(cloud))
    assert library_threads() == before + 1
    handler.close()
    handler.close()  # idempotent

    assert library_threads() == before
    with pytest.raises(ConfigError, match="closed"):
        handler.search("project = OPS")


def test_refused_credentials_leave_no_thread_and_no_secret(
    cloud: JiraServer, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    before = library_threads()
    handler = JiraIssueHandler(cloud_url=cloud.url, email="admin@example.com", api_token="wrong-1")
    with pytest.raises(AuthFailed) as refused:
        handler.test_connection()
    shown = [repr(handler), repr(handler.bridge), repr(handler.bridge.jira), str(refused.value)]
    handler.close()

    captured = capsys.readouterr()
    everything = "\n".join([*shown, caplog.text, captured.out, captured.err])
    assert "wrong-1" not in everything
    assert library_threads() == before


def test_a_failed_open_stops_its_thread(tmp_path: Path) -> None:
    before = library_threads()
    with pytest.raises(ConfigError):
        JiraIssueHandler(
            cloud_url="http://127.0.0.1:9",
            email="admin@example.com",
            api_token=SECRET,
            database_url="postgresql+asyncpg://",
        )
    assert library_threads() == before


@pytest.mark.parametrize(
    ("arguments", "path"),
    [
        ({}, "cloud_url"),
        ({"cloud_url": "https://a.example", "server_url": "https://b.example"}, "cloud_url"),
        ({"cloud_url": "https://a.example", "email": "me@a.example"}, "api_token"),
        ({"cloud_url": "https://a.example", "api_token": "t"}, "email"),
        ({"cloud_url": "https://a.example", "email": "not-an-email", "api_token": "t"}, "email"),
        ({"cloud_url": "not a url", "email": "me@a.example", "api_token": "t"}, "cloud_url"),
        ({"server_url": "https://b.example", "username": "u"}, "password"),
        ({"server_url": "https://b.example", "password": "p"}, "username"),
        ({"server_url": "https://b.example", "pat": "p", "verify": False}, "verify"),
        ({"server_url": "https://b.example", "pat": "p", "verify": "/no/such.pem"}, "verify"),
        ({"server_url": "https://b.example", "pat": "p", "ca_bundle": "/no/such.pem"}, "ca_bundle"),
        ({"server_url": "https://b.example", "pat": "p", "timeout": 0}, "timeout"),
    ],
)
def test_connection_arguments_are_refused_by_name(arguments: dict[str, Any], path: str) -> None:
    with pytest.raises(ConfigError) as refused:
        connect(**arguments)

    assert [p.path for p in refused.value.problems] == [path]


def test_a_ca_bundle_keeps_tls_verification_on(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")

    by_verify = connect(server_url="https://jira.acme.example", pat="p", verify=str(bundle))
    by_name = connect(server_url="https://jira.acme.example", pat="p", ca_bundle=bundle)

    assert by_verify.ca_bundle == by_name.ca_bundle == bundle
    assert (by_verify.flavor, by_verify.auth.type) == ("datacenter", "pat")
    assert "p'" not in repr(by_verify)


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("h2. Issue\n{{alert.title}}", "wiki"),
        ("||a||b||\n|1|2|", "wiki"),
        ("see [the console|https://x.example]", "wiki"),
        ("## Issue\n**{{alert.title}}**", "markdown"),
        ("see [the console](https://x.example)", "markdown"),
    ],
)
def test_template_format_auto(description: str, expected: str) -> None:
    template = JiraTemplate(name=f"auto {expected}", summary="s", description=description)

    assert template.description_format == expected


def test_templates_are_checked_when_defined_and_found_by_slug() -> None:
    with pytest.raises(ConfigError) as broken:
        JiraTemplate(name="Broken", summary="{{ alert.title ")
    with pytest.raises(ConfigError) as missing:
        JiraTemplate(name="No summary", description="text")
    defined = JiraTemplate(name="Disk Full Alert", summary="Disk full: {{alert.host}}")
    rendered = defined.render_fields({"alert": {"host": "db-1"}})

    assert broken.value.problems[0].path == "templates.Broken.summary"
    assert missing.value.problems[0].path == "templates.No summary.summary"
    assert rendered == {"summary": "Disk full: db-1"}


def test_the_bridge_repr_hides_the_store_password() -> None:
    bridge = Bridge.connect(
        server_url="https://jira.acme.example",
        pat="pat-secret",
        database_url="postgresql+asyncpg://tb:db-secret@db.example/tb",
    )

    assert "db-secret" not in repr(bridge)
    assert "pat-secret" not in repr(bridge)
    assert "db.example" in repr(bridge)
