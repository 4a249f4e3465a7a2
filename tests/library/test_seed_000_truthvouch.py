"""Seed 000 (TruthVouch's Jira integration page): its Python examples, run as written.

Changed from the document: the import (`truthvouch.integrations.jira` → `ticketbridge.library`),
the URL and credentials (the emulator's), `print` kept. Everything else is the seed's code; each
test then reads the issues back from the emulator over Jira's REST API and checks them field by
field. The Flask handlers run in the worker threads of a real ASGI app (`FlaskLike`), with
`slack_client`/`tv_client` (other vendors' clients) replaced by recorders.
"""

from __future__ import annotations

from typing import Any

from library_harness import FlaskLike, JiraServer, adf_links, adf_text, adf_types, request

from ticketbridge.library import JiraIssueHandler, JiraSyncHandler, JiraTemplate


def _handler(jira: JiraServer) -> JiraIssueHandler:
    return JiraIssueHandler(
        cloud_url=jira.url, email="admin@example.com", api_token="emulator-token"
    )


def test_basic_alert_to_ticket(cloud: JiraServer, capsys: Any) -> None:
    handler = JiraIssueHandler(
        cloud_url=cloud.url,
        email="admin@example.com",
        api_token="emulator-token",
    )
    # Create issue from alert
    issue = handler.create_issue_from_alert(
        alert={
            "title": "Hallucination Detected",
            "description": "Query: 'Is the Earth flat?'",
            "severity": "critical",
            "confidence": 0.05,
        },
        project_key="OPS",
        issue_type="Bug",
    )
    print(f"Created: {issue.key}")  # Output: OPS-1234
    handler.close()

    assert capsys.readouterr().out == "Created: OPS-1\n"
    fields = cloud.issue("OPS-1")["fields"]
    assert fields["summary"] == "[critical] Hallucination Detected"
    assert fields["issuetype"]["name"] == "Bug"
    assert fields["priority"]["name"] == "Highest"  # critical → Highest
    description = fields["description"]
    assert description["type"] == "doc"
    assert "table" in adf_types(description)
    text = adf_text(description)
    assert "Query: 'Is the Earth flat?'" in text
    assert "Confidence\n0.05" in text
    assert [i["key"] for i in cloud.issues()] == ["OPS-1"]


def test_custom_issue_mapping(cloud: JiraServer) -> None:
    handler = _handler(cloud)
    # Map alert fields to Jira fields
    issue = handler.create_issue(
        project_key="OPS",
        issue_type="Task",
        fields={
            "summary": "Verify: Earth is flat claim",
            "description": "Hallucination detected with 5% confidence",
            "priority": "High",
            "labels": ["hallucination", "science"],
            "assignee": {"emailAddress": "ops@company.com"},
            "components": [{"name": "AI-Firewall"}],
            "customfield_10000": "critical",  # Custom field
        },
    )
    handler.close()

    fields = cloud.issue(issue.key)["fields"]
    assert fields["summary"] == "Verify: Earth is flat claim"
    assert fields["issuetype"]["name"] == "Task"
    assert fields["priority"]["name"] == "High"
    assert fields["labels"] == ["hallucination", "science"]
    assert fields["assignee"]["accountId"] == cloud.account_id("ops@company.com")
    assert [c["name"] for c in fields["components"]] == ["AI-Firewall"]
    assert fields["customfield_10000"] == "critical"
    # a plain string is Markdown, sent to v3 as ADF (never a raw string)
    assert fields["description"]["type"] == "doc"
    assert adf_text(fields["description"]) == "Hallucination detected with 5% confidence\n"
    # what the script gets back reads like the seed expects
    assert issue.fields.assignee.displayName == "Ops On-Call"
    assert issue.fields.components[0].name == "AI-Firewall"


def test_sync_alert_to_ticket_creates_once_then_updates(cloud: JiraServer) -> None:
    sync = JiraSyncHandler(
        cloud_url=cloud.url,
        email="admin@example.com",
        api_token="emulator-token",
    )
    # When TruthVouch detects alert
    alert = {
        "id": "alert_123",
        "title": "High Hallucination Rate",
        "severity": "high",
        "count": 5,
        "in_last_hour": True,
    }
    # Create or update ticket
    ticket = sync.sync_alert(
        alert=alert,
        project_key="OPS",
        issue_type="Incident",
    )
    # The same alert, later, with a higher count: the same ticket, updated.
    again = sync.sync_alert(alert={**alert, "count": 9}, project_key="OPS", issue_type="Incident")
    sync.close()
    # A new handler (a new process, say) finds the same ticket too.
    other = JiraSyncHandler(
        cloud_url=cloud.url, email="admin@example.com", api_token="emulator-token"
    )
    third = other.sync_alert(alert={**alert, "count": 12}, project_key="OPS", issue_type="Incident")
    other.close()

    assert ticket is not None
    assert again is not None
    assert third is not None
    assert ticket.key == again.key == third.key == "OPS-1"
    assert [i["key"] for i in cloud.issues()] == ["OPS-1"]
    fields = cloud.issue("OPS-1")["fields"]
    assert fields["issuetype"]["name"] == "Incident"
    assert fields["summary"] == "[high] High Hallucination Rate"
    assert fields["priority"]["name"] == "High"
    assert "12 occurrences in the last hour" in adf_text(fields["description"])


def test_automated_rules_and_templates(cloud: JiraServer) -> None:
    handler = _handler(cloud)
    # Create a Jira issue for every critical hallucination
    handler.configure_rule(
        name="Critical Hallucinations → Jira",
        trigger="confidence < 0.5",
        action={
            "type": "create_jira_issue",
            "project_key": "OPS",
            "issue_type": "Bug",
            "priority": "Highest",
            "assignee": "on-call-rotation",
            "template": "hallucination_bug",
        },
    )
    # Create Jira for policy violations with auto-assign
    handler.configure_rule(
        name="Policy Violation → Jira",
        trigger="policy_violation = true",
        action={
            "type": "create_jira_issue",
            "project_key": "COMPLIANCE",
            "issue_type": "Task",
            "priority": "High",
            "assignee": "compliance-team",
            "due_date": "+2d",  # Due in 2 days
        },
    )
    _define_seed_template()
    low = handler.create_issue_from_alert(alert=_ALERT_DATA, project_key="SEC")
    violation = handler.create_issue_from_alert(
        alert={"title": "PII in response", "policy_violation": True, "severity": "medium"},
        project_key="SEC",
    )
    confident = handler.create_issue_from_alert(
        alert={"title": "Answer drifted", "confidence": 0.9, "severity": "medium"},
        project_key="SEC",
        issue_type="Task",
    )
    handler.close()

    assert low is not None
    assert violation is not None
    assert confident is not None
    bug = cloud.issue(low.key)["fields"]  # rule 1 with the seed's template
    assert (low.key, bug["issuetype"]["name"], bug["priority"]["name"]) == (
        "OPS-1",
        "Bug",
        "Highest",
    )
    assert bug["summary"] == "Hallucination: Earth is flat"
    assert {"hallucination", "ai-safety"} <= set(bug["labels"])
    assert [c["name"] for c in bug["components"]] == ["AI-Engine"]
    assert bug["assignee"] is None  # "on-call-rotation" is no Jira user: left unassigned
    task = cloud.issue(violation.key)["fields"]  # rule 2
    assert (violation.key, task["issuetype"]["name"], task["priority"]["name"]) == (
        "COMPLIANCE-1",
        "Task",
        "High",
    )
    assert task["duedate"] is not None
    assert confident.key == "SEC-1"  # no rule matched: where the call said


_ALERT_DATA = {
    "title": "Earth is flat",
    "description": "The model said the Earth is flat.",
    "severity": "critical",
    "confidence": 0.05,
    "query": "Is the Earth flat?",
    "response": "Yes, the Earth is flat.",
    "category": "science",
    "dashboard_url": "https://app.truthvouch.example/alerts/42",
}


def _define_seed_template() -> JiraTemplate:
    # Define template
    return JiraTemplate(
        name="Hallucination Bug",
        project_key="OPS",
        issue_type="Bug",
        fields={
            "summary": "Hallucination: {{alert.title}}",
            "description": """
h2. Issue
{{alert.description}}
h2. Details
* Confidence: {{alert.confidence}}%
* Query: {{alert.query}}
* Response: {{alert.response}}
* Category: {{alert.category}}
h2. Action Items
* Review output
* Verify against knowledge base
* Update system prompts if needed
* Monitor for similar issues
[View in TruthVouch|{{alert.dashboard_url}}]
""",
            "priority": "High",
            "labels": ["hallucination", "ai-safety"],
            "components": [{"name": "AI-Engine"}],
        },
    )


def test_issue_template_renders_wiki_as_adf(cloud: JiraServer) -> None:
    handler = _handler(cloud)
    _define_seed_template()
    alert_data = _ALERT_DATA
    # Use template to create issues
    issue = handler.create_issue_from_template(
        template="hallucination_bug",
        context=alert_data,
    )
    handler.close()

    fields = cloud.issue(issue.key)["fields"]
    assert (issue.key, fields["issuetype"]["name"], fields["priority"]["name"]) == (
        "OPS-1",
        "Bug",
        "High",
    )
    assert fields["summary"] == "Hallucination: Earth is flat"
    assert fields["labels"] == ["hallucination", "ai-safety"]
    description = fields["description"]  # the seed's wiki markup, as ADF for v3
    assert {"heading", "bulletList", "link"} <= adf_types(description)
    text = adf_text(description)
    assert "Issue\nThe model said the Earth is flat.\nDetails\n" in text
    assert "Confidence: 0.05%\n" in text
    assert "Query: Is the Earth flat?\n" in text
    assert "h2." not in text
    assert "[View in TruthVouch|" not in text
    assert adf_links(description) == ["https://app.truthvouch.example/alerts/42"]


def test_querying_and_reporting(cloud: JiraServer, capsys: Any) -> None:
    handler = _handler(cloud)
    for summary, labels, assignee in [
        ("Flat earth", ["hallucination"], {"emailAddress": "ops@company.com"}),
        ("Moon cheese", ["hallucination"], {"emailAddress": "jane.smith@example.com"}),
        ("Cites a missing paper", ["verification"], None),
    ]:
        fields: dict[str, Any] = {"summary": summary, "labels": labels, "assignee": assignee}
        handler.create_issue("OPS", "Bug", {k: v for k, v in fields.items() if v})
    capsys.readouterr()

    # Find all open hallucination issues
    issues = handler.search(
        jql="project = OPS AND type = Bug AND labels = hallucination AND status != Done"
    )
    print(f"Open hallucination issues: {len(issues)}")
    for issue in issues:
        print(f"- {issue.key}: {issue.fields.summary}")
        print(f" Created: {issue.fields.created}")
        print(f" Assignee: {issue.fields.assignee.displayName}")

    # Generate report on verification issues
    def generate_jira_verification_report(days: int = 7) -> dict[str, Any]:
        issues = handler.search(
            jql=f"project = OPS AND created >= -{days}d AND labels = verification"
        )
        report: dict[str, Any] = {
            "period": f"Last {days} days",
            "total_issues": len(issues),
            "by_status": {},
            "by_priority": {},
            "by_assignee": {},
        }
        for issue in issues:
            status = issue.fields.status.name
            priority = issue.fields.priority.name if issue.fields.priority else "Unknown"
            assignee = issue.fields.assignee.displayName if issue.fields.assignee else "Unassigned"
            report["by_status"][status] = report["by_status"].get(status, 0) + 1
            report["by_priority"][priority] = report["by_priority"].get(priority, 0) + 1
            report["by_assignee"][assignee] = report["by_assignee"].get(assignee, 0) + 1
        return report

    report = generate_jira_verification_report()
    handler.close()

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Open hallucination issues: 2"
    assert sorted(line for line in lines if line.startswith("- ")) == [
        "- OPS-1: Flat earth",
        "- OPS-2: Moon cheese",
    ]
    assert {line for line in lines if "Assignee" in line} == {
        " Assignee: Ops On-Call",
        " Assignee: Jane Smith",
    }
    assert all(line.startswith(" Created: 20") for line in lines if "Created" in line)
    # Jira Cloud removed GET/POST /rest/api/3/search: every search went to /search/jql
    searches = [path for _, path in cloud.requests() if path.startswith("/rest/api/3/search")]
    assert searches
    assert set(searches) == {"/rest/api/3/search/jql"}
    assert report == {
        "period": "Last 7 days",
        "total_issues": 1,
        "by_status": {"To Do": 1},
        "by_priority": {"Medium": 1},
        "by_assignee": {"Unassigned": 1},
    }


def test_escalation_and_webhook_handlers_in_web_threads(cloud: JiraServer) -> None:
    app = FlaskLike()
    handler = _handler(cloud)
    jira_handler = handler
    slack_messages: list[dict[str, str]] = []

    class slack_client:
        @staticmethod
        def chat_postMessage(**message: str) -> None:
            slack_messages.append(message)

    @app.route("/escalate", methods=["POST"])
    def escalate_issue() -> tuple[Any, int]:
        """Escalate Jira issue to on-call."""
        issue_key = request.get_json()["issue_key"]
        issue = handler.get_issue(issue_key)
        # Update priority
        handler.update_issue(
            issue_key, {"priority": {"name": "Highest"}, "labels": ["escalated", "urgent"]}
        )
        # Notify on-call via Slack
        slack_client.chat_postMessage(
            channel="#on-call",
            text=f"Escalated: <https://jira.company.com/browse/{issue_key}|{issue.fields.summary}>",
        )
        return {"status": "escalated"}, 200

    @app.route("/truthvouch/webhook", methods=["POST"])
    def receive_alert() -> tuple[Any, int]:
        """Receive alert from TruthVouch (signature checks are TruthVouch's own client's)."""
        alert = request.get_json()
        # Create Jira issue
        jira_issue = jira_handler.create_issue_from_alert(alert=alert, project_key="OPS")
        return {"jira_key": jira_issue.key}, 200

    alert = {"id": "tv_9", "title": "Policy breach", "severity": "high", "policy_violation": True}
    with app.test_client() as web:
        created = web.post("/truthvouch/webhook", json=alert)
        retried = web.post("/truthvouch/webhook", json=alert)  # a webhook retry
        escalated = web.post("/escalate", json={"issue_key": created.json()["jira_key"]})
    handler.close()

    assert created.json() == retried.json() == {"jira_key": "OPS-1"}
    assert escalated.json() == {"status": "escalated"}
    fields = cloud.issue("OPS-1")["fields"]
    assert fields["priority"]["name"] == "Highest"
    # the labels were replaced; the pipeline's marker label stays
    assert sorted(label for label in fields["labels"] if not label.startswith("tb-")) == [
        "escalated",
        "urgent",
    ]
    assert len(fields["labels"]) == 3
    assert slack_messages == [
        {
            "channel": "#on-call",
            "text": "Escalated: <https://jira.company.com/browse/OPS-1|[high] Policy breach>",
        }
    ]
    assert [i["key"] for i in cloud.issues()] == ["OPS-1"]


def test_jira_server_connection_sends_wiki_markup(datacenter: JiraServer) -> None:
    """The seed's `--server-url/--username/--password` setup, as handler arguments."""
    handler = JiraIssueHandler(server_url=datacenter.url, username="admin", password="admin")
    issue = handler.create_issue(
        project_key="OPS",
        issue_type="Task",
        fields={
            "summary": "Verify: Earth is flat claim",
            "description": "Hallucination detected with **5%** confidence",
            "priority": "High",
            "assignee": {"emailAddress": "ops@company.com"},
            "components": [{"name": "AI-Firewall"}],
        },
    )
    found = handler.search(jql="project = OPS")
    handler.close()

    fields = datacenter.issue(issue.key)["fields"]
    assert fields["description"] == "Hallucination detected with *5%* confidence"
    assert fields["assignee"]["name"] == "ops"
    assert fields["priority"]["name"] == "High"
    assert [c["name"] for c in fields["components"]] == ["AI-Firewall"]
    assert [i.key for i in found] == [issue.key]


def test_sync_alert_on_jira_server(datacenter: JiraServer) -> None:
    sync = JiraSyncHandler(server_url=datacenter.url, username="admin", password="admin")
    alert = {"id": "alert_123", "title": "High Hallucination Rate", "severity": "high", "count": 5}
    ticket = sync.sync_alert(alert=alert, project_key="OPS", issue_type="Incident")
    again = sync.sync_alert(alert={**alert, "count": 6}, project_key="OPS", issue_type="Incident")
    sync.close()

    assert ticket is not None
    assert again is not None
    assert ticket.key == again.key == "OPS-1"
    fields = datacenter.issue("OPS-1")["fields"]
    assert fields["issuetype"]["name"] == "Incident"
    assert isinstance(fields["description"], str)  # wiki markup on v2
    assert "6 occurrences" in fields["description"]
    assert "||Field||Value||" in fields["description"]
    assert [i["key"] for i in datacenter.issues()] == ["OPS-1"]


def test_a_rule_with_a_library_template_renders_a_templated_assignee(cloud: JiraServer) -> None:
    handler = _handler(cloud)
    handler.configure_rule(
        name="Owned hallucinations",
        trigger="confidence < 0.5",
        action={
            "type": "create_jira_issue",
            "project_key": "OPS",
            "assignee": "{{ alert.attributes.owner }}",  # issue 13 item 2: per-alert values
            "template": "hallucination_bug",
        },
    )
    _define_seed_template()
    made = handler.create_issue_from_alert(
        alert={**_ALERT_DATA, "owner": "admin@example.com"}, project_key="SEC"
    )
    handler.close()

    assert made is not None
    assignee = cloud.issue(made.key)["fields"]["assignee"]
    assert assignee is not None
    assert assignee["emailAddress"] == "admin@example.com"
