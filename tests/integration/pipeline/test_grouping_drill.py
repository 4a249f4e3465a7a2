"""Grouping through kill -9 and lost answers (issue 12 item 5), with worker processes over a
Jira reached by HTTP: the epics' create answers are lost, the worker is killed with SIGKILL
after the epics exist in Jira and before any grouped issue does, and two other workers take
over while the answer to the grouped issues' creates is lost too. Every grouped issue ends
under its epic and every configured link exists, each exactly once."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pipeline_harness import config
from worker_process import drained, emulator_issues, markers, spawn

from ticketbridge.bootstrap import routing
from ticketbridge.domain import JobState
from ticketbridge.services import IngestService, OutboxAdmin, PipelineSettings, parse_alerts
from ticketbridge.storage import Database

pytestmark = pytest.mark.slow

CONFIG = """
defaults: {project: OPS, min_severity: low, dedup: {digest_interval: 0s}}
routes:
  - name: incidents
    when: 'kind == "incident"'
  - name: policy-hits
    when: 'kind == "policy_violation"'
    group:
      epic: "{{ alert.attributes.policy_name }}"
      summary: "Policy {{ alert.attributes.policy_name }}"
    link:
      - {type: Blocks, issue: "{{ alert.attributes.blocks }}"}
      - {type: Relates, fingerprint: "{{ alert.attributes.caused_by }}"}
"""
GROUPS = ("pii", "medical")
CHILDREN = 6
AUTH = ("admin@example.com", "emulator-token")
SETTLE = "3"  # seconds before an unknown create's marker lookup: the window the kill lands in


def payloads(release: str) -> list[dict[str, Any]]:
    cause = {"id": "cause", "title": "the cause", "kind": "incident", "fingerprint": "fp-cause"}
    children = [
        {
            "id": f"{group}-{n}",
            "title": f"{group} violation {n}",
            "kind": "policy_violation",
            "fingerprint": f"fp-{group}-{n}",
            "attributes": {"policy_name": group, "blocks": release, "caused_by": "fp-cause"},
        }
        for group in GROUPS
        for n in range(CHILDREN)
    ]
    return [{"source": "generic", "severity": "high", **p} for p in [cause, *children]]


def jira(jira_url: str) -> httpx.Client:
    return httpx.Client(base_url=f"{jira_url}/rest/api/3", auth=AUTH, timeout=10)


def lose_next_create_answers(jira_url: str) -> None:
    """The next create request (one bulk call) commits in Jira; its answer never arrives."""
    for path in ("/rest/api/3/issue", "/rest/api/3/issue/bulk"):
        rule = {"method": "POST", "path": path, "kind": "drop_after_commit", "count": 1}
        httpx.post(f"{jira_url}/_emulator/faults", json=rule, timeout=10).raise_for_status()


def summaries(jira_url: str) -> list[str]:
    return [str(issue["summary"]) for issue in emulator_issues(jira_url)]


async def until(condition: Any) -> None:
    """Until `condition` holds (a state, not a time: pytest's timeout bounds the drill)."""
    while not condition():  # noqa: ASYNC110 - the state of another process (the emulator's)
        await asyncio.sleep(0.05)


async def test_kill_between_the_epics_and_their_issues_and_lost_answers(
    database: Database, jira_url: str, tmp_path: Path
) -> None:
    with jira(jira_url) as client:  # the issue every grouped issue blocks, made by a person
        fields = {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "Release"}
        release = client.post("/issue", json={"fields": fields}).json()["key"]
    configured = config(CONFIG)
    settings = PipelineSettings.from_config(configured)

    def now() -> datetime:
        return datetime.now(UTC)

    ingest = IngestService(database.unit_of_work, routing(configured)[0], settings, now)
    await ingest.ingest(parse_alerts(payloads(release), now=now()))
    config_file = tmp_path / "ticketbridge.yaml"
    config_file.write_text(CONFIG, encoding="utf-8")
    lose_next_create_answers(jira_url)  # the epics' (and the cause's) creates
    first = spawn(database.url, jira_url, "proc-first", str(config_file), SETTLE)
    workers = [first]
    try:
        epics = {f"Policy {group}" for group in GROUPS}
        await until(lambda: epics <= set(summaries(jira_url)))
        first.send_signal(signal.SIGKILL)  # the epics exist, their answers were lost
        first.wait(timeout=10)
        assert not any("violation" in s for s in summaries(jira_url))  # no grouped issue yet
        lose_next_create_answers(jira_url)  # the grouped issues' creates, next
        workers += [
            spawn(database.url, jira_url, f"proc-{n}", str(config_file), "1") for n in range(2)
        ]
        admin = OutboxAdmin(database.unit_of_work, now)
        await drained(admin)
    finally:
        for worker in workers[1:]:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
    counts = await admin.counts()
    assert counts[JobState.PENDING] == counts[JobState.RUNNING] == counts[JobState.DEAD] == 0
    issues = emulator_issues(jira_url)
    assert set(markers(issues).values()) == {1}  # no issue made twice
    assert len(issues) == 1 + 1 + len(GROUPS) * (1 + CHILDREN)  # release, cause, epics, children
    with jira(jira_url) as client:
        read = {
            issue["key"]: client.get(
                f"/issue/{issue['key']}", params={"fields": "summary,parent,issuelinks"}
            ).json()["fields"]
            for issue in issues
        }
    key_of = {fields["summary"]: key for key, fields in read.items()}
    for group in GROUPS:
        for n in range(CHILDREN):
            fields = read[key_of[f"[high] {group} violation {n}"]]
            assert fields["parent"]["key"] == key_of[f"Policy {group}"]
            made_links = Counter(
                (link["type"]["name"], link["inwardIssue"]["key"])
                for link in fields["issuelinks"]
                if "inwardIssue" in link
            )
            assert made_links == {
                ("Blocks", release): 1,
                ("Relates", key_of["[high] the cause"]): 1,
            }
