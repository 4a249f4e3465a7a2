"""Seed 003 (SentinelIQ's JiraProvider): its configuration table, field and priority mapping,
and the MITRE ATT&CK / chain-of-custody enrichment, through the library.

The seed shows no runnable code (TypeScript described in prose, diagrams, tables), so its
tables are the examples: the configuration (`baseUrl`, `email`, `apiToken`, `projectKey`,
`issueType`) becomes the handler's arguments and the call's target; the field mapping
(`notification.title` → summary, `message` → description in Jira's document format, labels,
`assignedTo` → assignee by email, `dueDate` → duedate) is checked on a created issue; the
priority table (low/medium/high/critical/urgent → Low/Medium/High/Highest/Highest) runs
row by row; an Aegis alert with MITRE tactics and techniques, evidence hashes and a custody log
goes through the `security` source, and its issue must carry all of them.
"""

from __future__ import annotations

from typing import Any

import pytest
from library_harness import JiraServer, adf_text

from ticketbridge.library import JiraIssueHandler, JiraSyncHandler

CONFIG = {  # the seed's "Required Configuration Parameters", pointed at the emulator
    "email": "admin@example.com",
    "apiToken": "emulator-token",
    "projectKey": "SEC",
    "issueType": "Incident",
}

AEGIS_ALERT: dict[str, Any] = {
    "id": "aegis_alert_5521",
    "title": "Encoded PowerShell execution on FIN-WS-042",
    "message": "powershell.exe -enc launched by winword.exe",
    "priority": "urgent",
    "host": "FIN-WS-042",
    "mitre": {
        "tactics": ["TA0002", {"id": "TA0011", "name": "Command and Control"}],
        "techniques": [{"id": "T1059.001", "name": "Scripting Interpreter: PowerShell"}],
    },
    "evidence": [
        {
            "id": "ev_mem_001",
            "name": "FIN-WS-042-memory.dmp",
            "hashes": {
                "md5": "9e107d9d372bb6826bd81d3542a419d6",
                "sha1": "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
                "sha256": "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592",
            },
            "custodyLog": [
                {"action": "collected", "actor": "analyst.jane@acme.com",
                 "timestamp": "2026-03-02T09:30:00Z"},
            ],
        }
    ],
}  # fmt: skip


def _sync(cloud: JiraServer) -> JiraSyncHandler:
    return JiraSyncHandler(
        cloud_url=cloud.url, email=CONFIG["email"], api_token=CONFIG["apiToken"], source="security"
    )


def test_security_alert_with_mitre_and_custody(cloud: JiraServer) -> None:
    sync = _sync(cloud)
    issue = sync.sync_alert(AEGIS_ALERT, CONFIG["projectKey"], CONFIG["issueType"])
    again = sync.sync_alert(AEGIS_ALERT, CONFIG["projectKey"], CONFIG["issueType"])
    sync.close()

    assert issue is not None
    assert again is not None
    assert issue.key == again.key == "SEC-1"
    fields = cloud.issue("SEC-1")["fields"]
    assert fields["summary"] == "[critical] Encoded PowerShell execution on FIN-WS-042"
    assert (fields["issuetype"]["name"], fields["priority"]["name"]) == ("Incident", "Highest")
    text = adf_text(fields["description"])
    for expected in (
        "powershell.exe -enc launched by winword.exe",
        "TA0002",
        "TA0011",
        "Command and Control",
        "T1059.001",
        "9e107d9d372bb6826bd81d3542a419d6",
        "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
        "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592",
        "analyst.jane@acme.com",
    ):
        assert expected in text, expected


@pytest.mark.parametrize(
    ("priority", "jira_priority"),
    [("low", "Low"), ("medium", "Medium"), ("high", "High"), ("critical", "Highest"),
     ("urgent", "Highest")],
)  # fmt: skip
def test_priority_mapping(cloud: JiraServer, priority: str, jira_priority: str) -> None:
    with _sync(cloud) as sync:
        issue = sync.sync_alert(
            {"title": f"{priority} alert", "message": "m", "priority": priority},
            CONFIG["projectKey"],
            "Task",
        )

    assert issue is not None
    assert cloud.issue(issue.key)["fields"]["priority"]["name"] == jira_priority


def test_core_field_mapping(cloud: JiraServer) -> None:
    notification = {"title": "Brute force on VPN", "message": "412 failed logins in 5 minutes"}
    ticket_metadata = {
        "priority": "High",
        "labels": ["aegis", "vpn"],
        "assignedTo": "ops@company.com",
        "dueDate": "2026-03-09",
    }
    with JiraIssueHandler(
        cloud_url=cloud.url, email=CONFIG["email"], api_token=CONFIG["apiToken"]
    ) as handler:
        issue = handler.create_issue(
            CONFIG["projectKey"],
            CONFIG["issueType"],
            fields={
                "summary": notification["title"],
                "description": notification["message"],
                "priority": ticket_metadata["priority"],
                "labels": ticket_metadata["labels"],
                "assignee": {"emailAddress": ticket_metadata["assignedTo"]},
                "duedate": ticket_metadata["dueDate"],
            },
        )

    fields = cloud.issue(issue.key)["fields"]
    assert fields["summary"] == "Brute force on VPN"
    assert fields["description"]["type"] == "doc"
    assert adf_text(fields["description"]) == "412 failed logins in 5 minutes\n"
    assert fields["labels"] == ["aegis", "vpn"]
    assert fields["assignee"]["accountId"] == cloud.account_id("ops@company.com")
    assert fields["duedate"] == "2026-03-09"
    assert fields["issuetype"]["name"] == "Incident"
