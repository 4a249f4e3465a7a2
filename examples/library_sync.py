"""The synchronous library as seed 000's scripts use it, against `make run`'s emulator.

    TICKETBRIDGE_OUTBOUND_ALLOW=127.0.0.1/32 JIRA_URL=http://127.0.0.1:8081 \
        python examples/library_sync.py

(The emulator listens on loopback, which ticketbridge refuses to reach unless told to.)

Creates an issue from an alert, one from explicit fields, one from a template; adds a rule;
syncs one alert twice (one issue); searches. The store is ./var/library.db.
"""

from __future__ import annotations

import os

from ticketbridge.library import JiraIssueHandler, JiraSyncHandler, JiraTemplate

JIRA_URL = os.environ.get("JIRA_URL", "http://127.0.0.1:8081")
JIRA_EMAIL = os.environ.get("JIRA_EMAIL", "admin@example.com")
JIRA_API_TOKEN = os.environ.get("JIRA_API_TOKEN", "emulator-token")

TEMPLATE = JiraTemplate(
    name="Hallucination Bug",
    project_key="OPS",
    issue_type="Bug",
    fields={
        "summary": "Hallucination: {{alert.title}}",
        "description": "## Issue\n{{alert.description}}\n\n* Confidence: {{alert.confidence}}",
        "labels": ["hallucination", "ai-safety"],
    },
)


def main() -> None:
    with JiraIssueHandler(
        cloud_url=JIRA_URL, email=JIRA_EMAIL, api_token=JIRA_API_TOKEN
    ) as handler:
        print("Connected as", handler.test_connection().display_name)
        handler.configure_rule(
            name="Policy Violation → Jira",
            trigger="policy_violation = true",
            action={"type": "create_jira_issue", "project_key": "COMPLIANCE", "priority": "High"},
        )
        from_alert = handler.create_issue_from_alert(
            alert={"title": "PII in a response", "policy_violation": True, "severity": "medium"},
            project_key="OPS",
        )
        print("Rule routed the violation to", from_alert.key if from_alert else None)
        mapped = handler.create_issue(
            "OPS",
            "Task",
            fields={
                "summary": "Verify: Earth is flat claim",
                "description": "Hallucination detected with **5%** confidence",
                "priority": "High",
                "labels": ["hallucination"],
            },
        )
        templated = handler.create_issue_from_template(
            "hallucination_bug",
            context={"title": "Earth is flat", "description": "Said so.", "confidence": 0.05},
        )
        print("Created", mapped.key, "and", templated.key)
        for issue in handler.search(jql="project = OPS AND labels = hallucination"):
            print(f"- {issue.key}: {issue.fields.summary} [{issue.fields.status.name}]")

    with JiraSyncHandler(cloud_url=JIRA_URL, email=JIRA_EMAIL, api_token=JIRA_API_TOKEN) as sync:
        alert = {"id": "alert_123", "title": "High Hallucination Rate", "severity": "high"}
        first = sync.sync_alert({**alert, "count": 5}, "OPS", "Incident")
        again = sync.sync_alert({**alert, "count": 9}, "OPS", "Incident")
        print("Synced twice:", first.key if first else None, again.key if again else None)


if __name__ == "__main__":
    main()
