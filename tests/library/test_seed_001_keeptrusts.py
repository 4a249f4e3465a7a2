"""Seed 001 (Keeptrusts: Jira tickets from AI escalations): its JavaScript Lambda, translated.

The seed's only code is a Node.js Lambda that builds the issue itself and POSTs it to
`/rest/api/3/issue`. Translated here, line for line where it matters:

- `issuePayload.fields` → `JiraTemplate(fields=…)` with the same summary, labels and custom
  fields (`${body.x}` → `{{alert.x}}`), `mapPriority` → the same if/else chain in Jinja, and
  `issuetype: body.action === 'block' ? 'Bug' : 'Task'` → the same expression in Python;
- `buildDescription` → the same wiki markup. The Lambda sends that string to v3, which takes
  only ADF (Jira answers 400): we render it to ADF on Cloud — the test checks the table, the
  numbered steps and the console link arrive as ADF nodes;
- `JIRA_URL`, `JIRA_EMAIL` and the SSM token → the emulator's URL and credentials.

Then what the seed says users should not need to write at all. The seed's
`curl -X POST https://api.keeptrusts.com/v1/webhooks` registers the Lambda's URL; registered
with ticketbridge's `POST /v1/sources/keeptrusts` instead (a URL token: `?token=`), Keeptrusts'
delivery goes in as it is — checked here on the real app in process, retries included (the
seed's "Duplicate tickets" row: one ticket per escalation_id). The library takes the same body
(`source="keeptrusts"`), with the seed's priority table (block → Highest / Bug, escalate →
High) applied by the defaults. And the seed's reporting JQL runs through `search`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api_harness import open_api
from library_harness import JiraServer, adf_links, adf_text, adf_types

from jira_emulator import Emulator
from ticketbridge.config.schema import Config
from ticketbridge.library import JiraIssueHandler, JiraSyncHandler, JiraTemplate

ESCALATION = {  # the fields the Lambda reads from `JSON.parse(event.body)`
    "escalation_id": "esc_01HZX3KA00",
    "policy_name": "medical-advice",
    "action": "escalate",
    "model": "claude-3-5-sonnet",
    "gateway_id": "gw-us-east-1",
    "user_id": "user_17",
    "timestamp": "2026-03-02T15:00:00Z",
}

LAMBDA_DESCRIPTION = """h2. AI Governance Escalation
||Field||Value||
|Policy|{{alert.policy_name}}|
|Action|{{alert.action}}|
|Model|{{alert.model}}|
|Gateway|{{alert.gateway_id}}|
|User|{{alert.user_id}}|
|Time|{{alert.timestamp}}|
|Escalation ID|{{alert.escalation_id}}|
[View in Keeptrusts Console|https://console.keeptrusts.com/escalations/{{alert.escalation_id}}]
h3. Investigation Steps
# Open the console link above
# Review the event context and conversation history
# Determine if the violation is genuine or a false positive
# Update this ticket with findings
# Resolve the escalation in Keeptrusts"""

MAP_PRIORITY = (
    "{% if alert.action == 'block' %}Highest"
    "{% elif alert.action == 'escalate' %}High"
    "{% elif alert.action == 'redact' %}Medium"
    "{% else %}Low{% endif %}"
)


def _lambda_template() -> JiraTemplate:
    return JiraTemplate(
        name="Keeptrusts Escalation",
        format="wiki",
        fields={
            "summary": "AI Escalation: {{alert.policy_name}} — {{alert.action}} ({{alert.model}})",
            "description": LAMBDA_DESCRIPTION,
            "priority": MAP_PRIORITY,
            "labels": ["ai-governance", "keeptrusts", "{{alert.policy_name}}"],
            "customfield_10100": "{{alert.escalation_id}}",
            "customfield_10101": "{{alert.policy_name}}",
            "customfield_10102": "{{alert.model}}",
            "customfield_10103": "{{alert.gateway_id}}",
        },
    )


def test_the_lambda_as_a_template_sends_adf(cloud: JiraServer) -> None:
    handler = JiraIssueHandler(
        cloud_url=cloud.url, email="admin@example.com", api_token="emulator-token"
    )
    body = ESCALATION
    project_key = "AIGOV"
    issue = handler.create_issue_from_template(
        _lambda_template(),
        alert=body,
        project_key=project_key,
        issue_type="Bug" if body["action"] == "block" else "Task",
    )
    handler.close()

    fields = cloud.issue(issue.key)["fields"]
    assert issue.key == "AIGOV-1"
    assert fields["summary"] == "AI Escalation: medical-advice — escalate (claude-3-5-sonnet)"
    assert fields["issuetype"]["name"] == "Task"
    assert fields["priority"]["name"] == "High"
    assert fields["labels"] == ["ai-governance", "keeptrusts", "medical-advice"]
    assert [fields[f"customfield_1010{n}"] for n in range(4)] == [
        "esc_01HZX3KA00",
        "medical-advice",
        "claude-3-5-sonnet",
        "gw-us-east-1",
    ]
    description = fields["description"]
    assert description["type"] == "doc"
    assert {"table", "tableHeader", "orderedList", "heading"} <= adf_types(description)
    assert adf_links(description) == ["https://console.keeptrusts.com/escalations/esc_01HZX3KA00"]
    text = adf_text(description)
    assert "Escalation ID\nesc_01HZX3KA00\n" in text
    assert "||" not in text
    assert "h3." not in text


def test_the_webhook_body_through_the_keeptrusts_source_once(cloud: JiraServer) -> None:
    sync = JiraSyncHandler(
        cloud_url=cloud.url,
        email="admin@example.com",
        api_token="emulator-token",
        source="keeptrusts",
    )
    first = sync.sync_alert(ESCALATION, project_key="AIGOV")
    retried = sync.sync_alert(ESCALATION, project_key="AIGOV")  # the webhook's retry
    blocked = sync.sync_alert(
        {**ESCALATION, "escalation_id": "esc_02", "action": "block"}, project_key="AIGOV"
    )
    sync.close()

    assert first is not None
    assert retried is not None
    assert blocked is not None
    assert first.key == retried.key == "AIGOV-1"
    assert blocked.key == "AIGOV-2"
    assert [i["key"] for i in cloud.issues()] == ["AIGOV-1", "AIGOV-2"]
    table: list[tuple[str, str, str]] = []
    for key in ("AIGOV-1", "AIGOV-2"):
        fields = cloud.issue(key)["fields"]
        table.append((fields["summary"], fields["issuetype"]["name"], fields["priority"]["name"]))
    assert table == [
        ("[high] AI Escalation: medical-advice — escalate (claude-3-5-sonnet)", "Task", "High"),
        ("[critical] AI Escalation: medical-advice — block (claude-3-5-sonnet)", "Bug", "Highest"),
    ]
    description = cloud.issue("AIGOV-1")["fields"]["description"]
    assert "Escalation ID" in adf_text(description) or "esc_01HZX3KA00" in adf_text(description)
    assert any(
        "console.keeptrusts.com/escalations/esc_01HZX3KA00" in h for h in adf_links(description)
    )


def test_the_seeds_reporting_jql(cloud: JiraServer) -> None:
    handler = JiraIssueHandler(
        cloud_url=cloud.url, email="admin@example.com", api_token="emulator-token"
    )
    for action in ("log", "block", "escalate"):
        event: dict[str, Any] = {**ESCALATION, "escalation_id": f"esc_{action}", "action": action}
        handler.create_issue_from_template(
            _lambda_template(),
            alert=event,
            project_key="AIGOV",
            issue_type="Bug" if event["action"] == "block" else "Task",
        )
    # -- All open AI governance tickets
    open_tickets = handler.search(jql="project = AIGOV AND status != Closed ORDER BY priority DESC")
    # -- Escalations by policy (last 30 days)
    recent = handler.search(jql="project = AIGOV AND created >= -30d ORDER BY created DESC")
    handler.close()

    assert [i.fields.priority.name for i in open_tickets] == ["Highest", "High", "Low"]
    assert [i.key for i in recent] == ["AIGOV-3", "AIGOV-2", "AIGOV-1"]
    assert {i.fields.customfield_10100 for i in recent} == {"esc_log", "esc_block", "esc_escalate"}


async def test_the_webhook_registered_with_ticketbridge_instead(tmp_path: Path) -> None:
    emulator = Emulator(flavor="cloud")
    config = Config.model_validate(
        {
            "jira": {
                "url": "http://jira.test",
                "auth": {
                    "type": "token",
                    "email": "admin@example.com",
                    "api_token": "emulator-token",
                },
            },
            "defaults": {"project": "AIGOV"},
            "sources": {"keeptrusts": {"token": "kt-url-token"}},
        }
    )
    delivery = {"type": "escalation.created", "data": {**ESCALATION, "action": "block"}}
    async with open_api(tmp_path, config, workers=1, transport=emulator.transport()) as api:
        answers = [
            await api.client.post("/v1/sources/keeptrusts?token=kt-url-token", json=delivery)
            for _ in range(3)  # Keeptrusts retries its delivery
        ]
        await api.drain()

    assert [a.status_code for a in answers] == [202, 202, 202]
    [issue] = emulator.state.issues.values()
    assert issue.key == "AIGOV-1"
    # (the issue type: `serve` routes with defaults only so far, not `issue_type_by_action`;
    # the library does, see the test above — block → Bug)
    assert emulator.state.priorities[str(issue.fields["priority"])].name == "Highest"
    assert issue.fields["summary"].endswith(
        "AI Escalation: medical-advice — block (claude-3-5-sonnet)"
    )
