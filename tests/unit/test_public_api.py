"""The public surface, pinned: what `ticketbridge.library` exports, the shape of every call the
seeds' scripts make (parameter names, order, keyword-only marks and defaults; annotations may
change), which of the Bridge's calls are coroutines, and the CLI's commands and subcommands.

A change here breaks someone's script or shell history: make it on purpose, update the
expectation below and say so in README.md."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any, get_type_hints

import pytest
import typer.main

from ticketbridge import library
from ticketbridge.cli import app
from ticketbridge.library.connection import Connection

EXPORTS = [
    "DEFAULT_DATABASE_URL",
    "Bridge",
    "IssueView",
    "JiraIssueHandler",
    "JiraObject",
    "JiraSyncHandler",
    "JiraTemplate",
    "connect",
]

STORE = "sqlite+aiosqlite:///./var/library.db"
CONNECTION = (
    "cloud_url=None, server_url=None, email=None, api_token=None, username=None, "
    "password=None, pat=None, verify=True, ca_bundle=None, timeout=30.0"
)
# The seeds' calls, shared by the handlers (sync) and the Bridge (async).
CALLS = {
    "add_comment": "key, body",
    "configure_rule": "name, trigger, action",
    "create_issue": "project_key, issue_type, fields",
    "create_issue_from_template": (
        "template, alert=None, project_key=None, issue_type=None, *, context=None"
    ),
    "get_issue": "key",
    "search": "jql, max_results=50",
    "test_connection": "",
    "transition_issue": "key, transition, *, resolution=None, comment=None",
    "update_issue": "key, fields",
}
HANDLER = {
    "__init__": f"*, database_url={STORE!r}, source='truthvouch', transport=None, **connection",
    **CALLS,
    "close": "",
    "create_issue_from_alert": "alert, project_key=None, issue_type=None",
    "sync_alert": "alert, project_key=None, issue_type=None",
}
BRIDGE = {
    "__init__": "jira, *, config=None, settings=None, transport=None, source='truthvouch', "
    "worker=None",
    **CALLS,
    "aclose": "",
    "connect": f"*, database_url={STORE!r}, transport=None, source='truthvouch', **connection",
    "create_issue_from_alert": "alert, project_key=None, issue_type=None, *, source=None",
    "from_config": "config=None, settings=None, *, transport=None, source='truthvouch'",
    "ingest": "alerts, *, project_key=None, issue_type=None",
    "open": "",
    "parse": "payload, *, source=None, keyed_by_id=False",
    "sync_alert": "alert, project_key=None, issue_type=None, *, source=None",
}
BRIDGE_NOT_ASYNC = {"__init__", "configure_rule", "connect", "from_config", "parse"}

COMMANDS = [
    "apikey",
    "apikey create",
    "apikey list",
    "apikey revoke",
    "audit",
    "audit events",
    "audit export",
    "audit key",
    "audit link",
    "audit prove",
    "audit verify",
    "config",
    "config check",
    "config jira",
    "db",
    "db upgrade",
    "dev",
    "emulator",
    "explain",
    "jira",
    "jira webhook",
    "jira webhook register",
    "outbox",
    "outbox drop",
    "outbox list",
    "outbox retry",
    "plan",
    "reconcile",
    "replay",
    "report",
    "search",
    "send",
    "serve",
    "site",
    "site rebind",
    "site separate",
    "site status",
    "sla",
    "sla recompute",
    "status",
    "sync",
    "sync deliveries",
    "tickets",
    "tickets refingerprint",
    "user",
    "user create",
    "user list",
    "user passwd",
    "worker",
]


def shape(call: Callable[..., Any]) -> str:
    """`a, b=1, *, c=None`: what a caller may pass, without the annotations."""
    parts: list[str] = []
    for parameter in inspect.signature(call).parameters.values():
        if parameter.name in ("self", "cls"):
            continue
        if parameter.kind is parameter.KEYWORD_ONLY and "*" not in parts:
            parts.append("*")
        if parameter.kind is parameter.VAR_KEYWORD:
            parts.append(f"**{parameter.name}")
            continue
        default = parameter.default
        parts.append(
            parameter.name if default is parameter.empty else f"{parameter.name}={default!r}"
        )
    return ", ".join(parts)


def public_calls(cls: type) -> dict[str, Callable[..., Any]]:
    calls = {
        name: member
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and (inspect.isfunction(member) or inspect.ismethod(member))
    }
    return {"__init__": cls, **calls}


def test_the_library_exports_exactly_its_public_names() -> None:
    assert sorted(library.__all__) == sorted(EXPORTS)
    assert all(hasattr(library, name) for name in EXPORTS)
    assert library.DEFAULT_DATABASE_URL == STORE


@pytest.mark.parametrize("handler", [library.JiraIssueHandler, library.JiraSyncHandler])
def test_the_handlers_take_the_seeds_calls_as_written(handler: type) -> None:
    calls = public_calls(handler)

    assert {name: shape(call) for name, call in calls.items()} == HANDLER
    assert not any(inspect.iscoroutinefunction(call) for call in calls.values())


def test_the_bridge_takes_the_same_calls_awaited() -> None:
    calls = public_calls(library.Bridge)

    assert {name: shape(call) for name, call in calls.items()} == BRIDGE
    awaited = {name for name, call in calls.items() if inspect.iscoroutinefunction(call)}
    assert awaited == set(BRIDGE) - BRIDGE_NOT_ASYNC


def test_templates_issues_and_connect_keep_their_shapes() -> None:
    assert shape(library.JiraTemplate) == (
        "name, summary=None, description=None, format='auto', project_key=None, "
        "issue_type=None, fields=<factory>"
    )
    assert [f.name for f in dataclasses.fields(library.IssueView)] == ["id", "key", "url", "fields"]
    assert shape(library.connect) == f"*, {CONNECTION}, allow_private=True, allow_plain_http=False"


def test_the_handlers_and_the_bridge_forward_exactly_the_connection_keywords() -> None:
    """`**connection` of the handlers and `Bridge.connect` is typed by `Connection`: its keys are
    the connection keywords of `connect`, so a script's keywords reach `connect` as written."""
    keywords = [part.split("=")[0] for part in CONNECTION.split(", ")]

    assert list(get_type_hints(Connection)) == keywords


def test_the_cli_command_tree() -> None:
    def walk(command: Any, prefix: str = "") -> list[str]:
        found: list[str] = []
        for name, sub in getattr(command, "commands", {}).items():
            found += [prefix + name, *walk(sub, f"{prefix}{name} ")]
        return found

    assert sorted(walk(typer.main.get_command(app))) == COMMANDS
