"""Seed 004 (Kushim's Jira setup guide): its curl checks, both connection methods, the ticket
template, and the compliance lifecycle (FAIL → one ticket, FAIL again → no spam, PASS →
comment and close).

Translated: the `.env` settings (`JIRA_DOMAIN`, `JIRA_EMAIL`, `JIRA_API_TOKEN`, `JIRA_PAT`)
become the handler's arguments (a full URL: the library takes URLs, not bare domains); the
UI's "Summary Template" / "Description Template" (`{controlId}` placeholders) become a
`JiraTemplate` (`{{alert.control_id}}`), attached to compliance alerts with `configure_rule`;
the "Test Connection" button is `test_connection()`; Kushim's own endpoint
(`/api/compliance/checks/run`) is replaced by the check result it produces, sent to the
`compliance` source. The troubleshooting curls run literally against the emulator (host and
the placeholder credentials changed to the emulator's seed users).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from library_harness import JiraServer, adf_text
from requirements import require

from ticketbridge.library import JiraIssueHandler, JiraSyncHandler, JiraTemplate

JIRA_EMAIL = "admin@acme-corp.com"
JIRA_API_TOKEN = "kushim-token"
JIRA_DEFAULT_PROJECT_KEY = "COMP"

FAILED_CHECK: dict[str, Any] = {
    "checkRunId": "run_2026_03_02_0600",
    "controlId": "AWS_IAM_MFA",
    "controlTitle": "IAM MFA Enforcement",
    "framework": "SOC 2",
    "severity": "high",
    "result": "FAIL",
    "failureReason": "6 IAM users without MFA",
    "evidenceId": "ev_7f3c21",
    "timestamp": "2026-03-02T06:00:12Z",
}
PASSED_CHECK: dict[str, Any] = {
    **{k: FAILED_CHECK[k] for k in ("controlId", "controlTitle", "framework", "severity")},
    "checkRunId": "run_2026_03_03_0600",
    "result": "PASS",
    "evidenceId": "ev_8a11d0",
    "timestamp": "2026-03-03T06:00:09Z",
}

KUSHIM_TEMPLATE = JiraTemplate(
    name="Kushim Compliance Ticket",
    format="markdown",
    fields={
        "summary": "[{{alert.control_id}}] {{alert.control_title}} - Compliance Failure",
        "description": """Compliance Control Failed

*Control ID:* {{alert.control_id}}
*Control Title:* {{alert.control_title}}
*SOC 2 Framework:* {{alert.framework}}
*Severity:* {{alert.severity}}

*Failure Reason:*
{{alert.failure_reason}}

*Evidence ID:* {{alert.evidence_id}}
*Detected:* {{alert.occurred_at}}

*Required Actions:*
1. Review failure details
2. Implement remediation
3. Re-run compliance check
4. Verify resolution

*Links:*
- [View Evidence](https://app.kushim.io/evidence/{{alert.evidence_id}})
- [SOC 2 Control Details](https://app.kushim.io/controls/{{alert.control_id}})

_Auto-created by Kushim Compliance Platform_""",
        "labels": [
            "compliance",
            "soc2",
            "{{ alert.control_id.split('_')[0] | lower }}",
            "{{ alert.control_id.split('_')[1] | lower }}",
        ],
        "customfield_10001": "{{alert.control_id}}",
        "customfield_10002": "{{alert.framework}}",
    },
)


def test_troubleshooting_curls_as_written(cloud: JiraServer) -> None:
    require(shutil.which("curl") is not None, "curl (the seed's own command)")
    myself = subprocess.run(
        f'curl -s -u "{JIRA_EMAIL}:{JIRA_API_TOKEN}" \\\n  {cloud.url}/rest/api/3/myself',
        shell=True,
        capture_output=True,
        text=True,
        check=True,
    )
    project = subprocess.run(
        f'curl -s -u "{JIRA_EMAIL}:{JIRA_API_TOKEN}" \\\n'
        f"  {cloud.url}/rest/api/3/project/{JIRA_DEFAULT_PROJECT_KEY}",
        shell=True,
        capture_output=True,
        text=True,
        check=True,
    )

    assert json.loads(myself.stdout)["emailAddress"] == JIRA_EMAIL
    assert json.loads(project.stdout)["key"] == "COMP"


def test_compliance_lifecycle_with_the_kushim_template(cloud: JiraServer) -> None:
    sync = JiraSyncHandler(
        cloud_url=cloud.url, email=JIRA_EMAIL, api_token=JIRA_API_TOKEN, source="compliance"
    )
    assert sync.test_connection().email == JIRA_EMAIL  # "Test Connection"
    sync.configure_rule(
        name="Kushim compliance tickets",
        trigger='source == "compliance"',
        action={
            "type": "create_jira_issue",
            "project_key": JIRA_DEFAULT_PROJECT_KEY,
            "issue_type": "Task",
            "template": "kushim_compliance_ticket",
        },
    )
    created = sync.sync_alert(FAILED_CHECK)
    rerun = sync.sync_alert({**FAILED_CHECK, "checkRunId": "run_2026_03_02_1200"})
    passed = sync.sync_alert(PASSED_CHECK)
    sync.close()

    assert created is not None
    assert rerun is not None
    assert passed is not None
    assert created.key == rerun.key == passed.key == "COMP-1"  # "Won't spam your Jira!"
    [stored] = cloud.issues()
    fields = cloud.issue("COMP-1")["fields"]
    assert fields["summary"] == "[AWS_IAM_MFA] IAM MFA Enforcement - Compliance Failure"
    assert (fields["issuetype"]["name"], fields["priority"]["name"]) == ("Task", "High")
    assert {"compliance", "soc2", "aws", "iam"} <= set(fields["labels"])
    assert fields["customfield_10001"] == "AWS_IAM_MFA"
    assert fields["customfield_10002"]["value"] == "SOC 2"
    assert fields["duedate"] == "2026-03-09"  # High: 7 days (the seed's SLA table)
    text = adf_text(fields["description"])
    assert "Control ID: AWS_IAM_MFA" in text
    assert "6 IAM users without MFA" in text
    assert "Review failure details\n" in text
    assert stored["status"] == "Done"  # PASS: resolved
    assert stored["comments"][-1].startswith("The source reports this alert resolved")


def test_data_center_with_a_personal_access_token(datacenter: JiraServer) -> None:
    with JiraIssueHandler(server_url=datacenter.url, pat="emulator-pat") as handler:
        me = handler.test_connection()
        issue = handler.create_issue(
            JIRA_DEFAULT_PROJECT_KEY,
            "Task",
            fields={
                "summary": "[AWS_IAM_MFA] IAM MFA Enforcement - Compliance Failure",
                "description": "**Failure Reason:** 6 IAM users without MFA",
                "priority": "High",
                "labels": ["compliance", "soc2", "aws", "iam"],
                "components": [{"name": "Security"}],
            },
        )

    fields = datacenter.issue(issue.key)["fields"]
    assert me.name == "admin"
    assert fields["description"] == "*Failure Reason:* 6 IAM users without MFA"
    assert [c["name"] for c in fields["components"]] == ["Security"]
    assert fields["labels"] == ["compliance", "soc2", "aws", "iam"]
