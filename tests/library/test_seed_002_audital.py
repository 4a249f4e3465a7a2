"""Seed 002 (Audital: Jira change tickets linked to audit events): its curl and Jira examples.

- Step 1's connection test is run literally: `curl …/rest/api/3/myself` with the seed's own
  base64 header (the emulator's seed has the seed's user `jane.smith@example.com` with the API
  token `your_api_token_here`); only the host changed. Then the same check through the library
  (`test_connection()`), and a wrong token refused as `AuthFailed`.
- The ticket metadata Audital embeds in an audit event (`links[].data`: summary, status,
  resolution, priority, assignee, reporter, created, resolved, changeRisk from
  `customfield_10200`) is read back through `get_issue` after the change ticket was approved by
  a transition (and an approval comment), as the seed's "Change approval event" describes.
  Audital's own API (`api.audital.ai`) is not ours and not exercised. The seed's example key
  `AI-GOV-142` is no Jira key (project keys have no hyphen; its own `linkPattern` `AI-[0-9]+`
  would not match it): the project here is `AI`.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from library_harness import JiraServer
from requirements import require

from ticketbridge.errors import AuthFailed
from ticketbridge.library import JiraIssueHandler


def test_step_1_curl_myself_as_written(cloud: JiraServer) -> None:
    require(shutil.which("curl") is not None, "curl (the seed's own command)")
    # Step 3: Test the connection
    command = f"""curl {cloud.url}/rest/api/3/myself \\
  -H "Authorization: Basic amFuZS5zbWl0aEBleGFtcGxlLmNvbTp5b3VyX2FwaV90b2tlbl9oZXJl" \\
  -H "Accept: application/json" -s"""
    answer = subprocess.run(command, shell=True, capture_output=True, text=True, check=True)

    assert '"emailAddress":"jane.smith@example.com"' in answer.stdout.replace(" ", "")


def test_the_library_connection_test(cloud: JiraServer) -> None:
    with JiraIssueHandler(
        cloud_url=cloud.url, email="jane.smith@example.com", api_token="your_api_token_here"
    ) as handler:
        me = handler.test_connection()
    with (
        JiraIssueHandler(
            cloud_url=cloud.url, email="jane.smith@example.com", api_token="not-the-token"
        ) as wrong,
        pytest.raises(AuthFailed),
    ):
        wrong.test_connection()

    assert (me.display_name, me.email) == ("Jane Smith", "jane.smith@example.com")
    assert me.account_id == cloud.account_id("jane.smith@example.com")


def test_the_linked_ticket_data_after_approval(cloud: JiraServer) -> None:
    handler = JiraIssueHandler(
        cloud_url=cloud.url, email="jane.smith@example.com", api_token="your_api_token_here"
    )
    change = handler.create_issue(
        project_key="AI",
        issue_type="Task",
        fields={
            "summary": "Change: Update credit score threshold from 0.68 to 0.72",
            "priority": "Medium",
            "assignee": {"emailAddress": "jane.smith@example.com"},
            "customfield_10200": "LOW",
        },
    )
    handler.add_comment(change.key, "Approved: change is within approved governance boundary.")
    handler.transition_issue(change.key, "Done", resolution="Done")
    issue = handler.get_issue(change.key)
    handler.close()

    data = {  # the seed's `links[].data`, from captureFields
        "summary": issue.fields.summary,
        "status": issue.fields.status.name,
        "resolution": issue.fields.resolution.name,
        "priority": issue.fields.priority.name,
        "assignee": issue.fields.assignee.displayName,
        "reporter": issue.fields.reporter.displayName,
        "changeRisk": issue.fields.customfield_10200.value,
    }
    assert data == {
        "summary": "Change: Update credit score threshold from 0.68 to 0.72",
        "status": "Done",
        "resolution": "Done",
        "priority": "Medium",
        "assignee": "Jane Smith",
        "reporter": "Jane Smith",
        "changeRisk": "LOW",
    }
    assert issue.fields.created <= issue.fields.resolutiondate
    stored = next(i for i in cloud.issues() if i["key"] == change.key)
    assert stored["status"] == "Done"
    assert stored["comments"] == ["Approved: change is within approved governance boundary."]
