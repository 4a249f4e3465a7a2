"""`ticketbridge sync deliveries` and `explain` show what Jira told: the delivery log with each
delivery's outcome, issue, ticket and alert, and the alert's Jira status, assignee, priority."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from api_harness import api_on_loop
from sync_harness import SECRET, issue_event, later, linked_ticket, post_delivery
from typer.testing import CliRunner

from ticketbridge.cli import app
from ticketbridge.config.schema import Config

JIRA = {
    "flavor": "cloud",
    "url": "http://jira.test",
    "auth": {"type": "token", "email": "admin@example.com", "api_token": "emulator-token"},
    "webhook": {"secret": SECRET},
}


def test_the_delivery_log_and_explain_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBRIDGE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'tb.db'}")
    monkeypatch.setenv("TICKETBRIDGE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TICKETBRIDGE_CONFIG", raising=False)
    body = issue_event(
        "OPS-1", at=later(1), category="indeterminate", assignee="alice", priority="High"
    )
    with (
        asyncio.Runner() as runner,
        api_on_loop(runner, tmp_path, Config.model_validate({"jira": JIRA})) as api,
    ):
        runner.run(linked_ticket(api, 1, "OPS-1"))
        runner.run(post_delivery(api, body, "d-1"))
        runner.run(post_delivery(api, issue_event("ELSE-7", at=later(2)), "d-2"))
        runner.run(api.container.sync.applier.apply_all())
    cli = CliRunner()
    listed = cli.invoke(app, ["sync", "deliveries", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = [
        (r["identifier"], r["outcome"], r["issue_key"], r["alert"])
        for r in json.loads(listed.stdout)
    ]
    assert rows == [
        ("d-2", "unknown_issue", "ELSE-7", None),
        ("d-1", "applied", "OPS-1", "generic/a-1"),
    ]
    table = cli.invoke(app, ["sync", "deliveries"])
    assert table.exit_code == 0
    assert "unknown_issue" in table.output
    explained = cli.invoke(app, ["explain", "a-1"])
    assert explained.exit_code == 0, explained.output
    assert "in Jira:     In Progress (indeterminate)" in explained.output
    assert "assignee: alice  priority: High" in explained.output
    as_json = json.loads(cli.invoke(app, ["explain", "a-1", "--json"]).stdout)
    assert (as_json["state"], as_json["jira"]["assignee"]) == ("in_progress", "alice")
