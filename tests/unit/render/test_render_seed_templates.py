"""The templates users paste from the seed documents render to valid ADF and sensible wiki.

Seed 000 (TruthVouch hallucination bug) and seed 001 (Keeptrusts AI escalation) are Jira wiki
markup, as published; seed 004 (Kushim compliance control failure) and seed 003 (SentinelIQ
security alert with MITRE ATT&CK and chain of custody) are written in Markdown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from render_support import reference_adf_errors

from ticketbridge.render import TemplateEngine, TemplateFormat, adf_to_text, to_adf, to_wiki

Check = Callable[[Mapping[str, Any]], None]

HALLUCINATION_BUG = """
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
"""

AI_ESCALATION = """h2. AI Governance Escalation
||Field||Value||
|Policy|{{ event.policy_name }}|
|Action|{{ event.action }}|
|Model|{{ event.model }}|
|Gateway|{{ event.gateway_id }}|
|User|{{ event.user_id | wiki_escape(inline=true) }}|
|Time|{{ event.timestamp }}|
|Escalation ID|{{ event.escalation_id }}|
[View in Keeptrusts Console|https://console.keeptrusts.com/escalations/{{ event.escalation_id }}]
h3. Investigation Steps
# Open the console link above
# Review the event context and conversation history
# Determine if the violation is genuine or a false positive
# Update this ticket with findings
# Resolve the escalation in Keeptrusts"""

CONTROL_FAILURE = """🚨 **Compliance Control Failed**

**Control ID:** {{ control.id }}
**Control Title:** {{ control.title | md_escape }}
**SOC 2 Framework:** {{ control.framework }}
**Severity:** {{ alert.severity }}

**Failure Reason:**
{{ control.failure_reason | md_escape }}

**Evidence ID:** {{ control.evidence_id }}
**Detected:** {{ alert.occurred_at }}

**Required Actions:**
1. Review failure details
2. Implement remediation
3. Re-run compliance check
4. Verify resolution

**Links:**
- [View Evidence](https://app.kushim.io/evidence/{{ control.evidence_id }})
- [SOC 2 Control Details](https://app.kushim.io/controls/{{ control.id }})

_Auto-created by Kushim Compliance Platform_
"""

SECURITY_ALERT = """## {{ alert.title | md_escape }}

> [!WARNING]
> Severity **{{ alert.severity }}** in workspace `{{ alert.workspace }}`

{{ alert.message | md_escape }}

### MITRE ATT&CK
| Tactic | Technique | Name |
|---|---|---|
{% for t in alert.mitre -%}
| {{ t.tactic }} | [{{ t.technique }}](https://attack.mitre.org/techniques/{{ t.technique }}/) | {{ t.name | md_escape(inline=true) }} |
{% endfor %}
### Chain of custody
Evidence `{{ alert.evidence.id }}` stored at `{{ alert.evidence.location }}`

| Hash | Value |
|---|---|
{% for algo, value in alert.evidence.hashes.items() -%}
| {{ algo }} | `{{ value }}` |
{% endfor %}
{% for entry in alert.evidence.custody -%}
1. {{ entry.at }} — {{ entry.actor | md_escape }}: {{ entry.action | md_escape }}
{% endfor %}
[Open the alert]({{ alert.url }})
"""  # noqa: E501 - a template line is as long as its table row

CONTEXT: dict[str, Any] = {
    "alert": {
        "description": "Hallucination detected with 5% confidence",
        "confidence": 5,
        "query": "Who founded Acme?",
        "response": "Acme was founded in 1802 by Jane Roe",
        "category": "factual",
        "dashboard_url": "https://app.truthvouch.example/alerts/a1",
        "severity": "critical",
        "occurred_at": "2026-11-20T10:00:00Z",
        "title": "Credential dumping on host-7 [lsass]",
        "workspace": "acme-prod",
        "message": "Process *mimikatz.exe* read LSASS memory | PID 4242",
        "mitre": [
            {"tactic": "TA0006", "technique": "T1003", "name": "OS Credential Dumping"},
            {
                "tactic": "TA0002",
                "technique": "T1059",
                "name": "Command and Scripting | Interpreter",
            },
        ],
        "evidence": {
            "id": "EV-77",
            "location": "s3://evidence/ev-77.bin",
            "hashes": {
                "MD5": "9e107d9d372bb6826bd81d3542a419d6",
                "SHA256": "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592",
            },
            "custody": [
                {"at": "2026-11-20T10:01Z", "actor": "collector", "action": "acquired"},
                {"at": "2026-11-20T11:30Z", "actor": "j.doe", "action": "hash verified"},
            ],
        },
        "url": "https://sentineliq.example/alerts/77",
    },
    "event": {
        "policy_name": "pii-block",
        "action": "block",
        "model": "gpt-4o",
        "gateway_id": "gw-eu-1",
        "user_id": "u|42 *admin*",
        "timestamp": "2026-11-20T10:00:00Z",
        "escalation_id": "esc_9f8e7d",
    },
    "control": {
        "id": "AWS_S3_ENCRYPTION",
        "title": "S3 buckets are encrypted *at rest*",
        "framework": "CC6.1",
        "failure_reason": "Bucket [logs] has no default encryption\n2 of 14 buckets fail",
        "evidence_id": "ev-123",
    },
}

SEEDS: list[tuple[str, str, TemplateFormat]] = [
    ("seed000_hallucination_bug", HALLUCINATION_BUG, "wiki"),
    ("seed001_ai_escalation", AI_ESCALATION, "wiki"),
    ("seed004_control_failure", CONTROL_FAILURE, "markdown"),
    ("seed003_security_alert", SECURITY_ALERT, "markdown"),
]


def render(name: str) -> Any:
    [(_, source, fmt)] = [s for s in SEEDS if s[0] == name]
    engine = TemplateEngine()
    return engine.render_document(engine.compile(name, source, fmt), CONTEXT)


@pytest.mark.parametrize("name", [s[0] for s in SEEDS])
def test_seed_template_renders_to_valid_adf(name: str, assert_valid_adf: Check) -> None:
    adf = to_adf(render(name))

    assert_valid_adf(adf)
    assert reference_adf_errors(adf) == []


def types_of(adf: Mapping[str, Any]) -> list[str]:
    return [node["type"] for node in adf["content"]]


def test_seed000_hallucination_bug() -> None:
    adf = to_adf(render("seed000_hallucination_bug"))

    assert types_of(adf) == [
        "heading", "paragraph", "heading", "bulletList", "heading", "bulletList", "paragraph",
    ]  # fmt: skip
    text = adf_to_text(adf)
    assert "Confidence: 5%\nQuery: Who founded Acme?" in text
    assert adf["content"][-1]["content"][0]["marks"] == [
        {"type": "link", "attrs": {"href": "https://app.truthvouch.example/alerts/a1"}}
    ]


def test_seed001_ai_escalation_gives_the_same_wiki_back() -> None:
    wiki = to_wiki(render("seed001_ai_escalation"))

    assert wiki == (
        "h2. AI Governance Escalation\n\n"
        "||Field||Value||\n|Policy|pii-block|\n|Action|block|\n|Model|gpt-4o|\n"
        "|Gateway|gw-eu-1|\n|User|u\\|42 \\*admin\\*|\n|Time|2026-11-20T10:00:00Z|\n"
        "|Escalation ID|esc_9f8e7d|\n\n"
        "[View in Keeptrusts Console|https://console.keeptrusts.com/escalations/esc_9f8e7d]\n\n"
        "h3. Investigation Steps\n\n"
        "# Open the console link above\n"
        "# Review the event context and conversation history\n"
        "# Determine if the violation is genuine or a false positive\n"
        "# Update this ticket with findings\n"
        "# Resolve the escalation in Keeptrusts"
    )


def test_seed001_field_table_in_adf() -> None:
    table = to_adf(render("seed001_ai_escalation"))["content"][1]

    rows = [[adf_to_text(cell) for cell in row["content"]] for row in table["content"]]
    assert rows[0] == ["Field", "Value"]
    assert rows[5] == ["User", "u|42 *admin*"]
    assert [cell["type"] for cell in table["content"][0]["content"]] == ["tableHeader"] * 2


def test_seed004_control_failure() -> None:
    doc = render("seed004_control_failure")
    adf = to_adf(doc)
    text = adf_to_text(adf)

    assert types_of(adf) == ["paragraph"] * 5 + [
        "orderedList",
        "paragraph",
        "bulletList",
        "paragraph",
    ]
    assert "Control Title: S3 buckets are encrypted *at rest*" in text
    assert "Failure Reason:\nBucket [logs] has no default encryption\n2 of 14 buckets fail" in text
    wiki = to_wiki(doc)
    assert (
        "*Control ID:* AWS_S3_ENCRYPTION\n*Control Title:* S3 buckets are encrypted \\*at rest\\*"
        in wiki
    )
    assert "* [View Evidence|https://app.kushim.io/evidence/ev-123]" in wiki
    assert "_Auto-created by Kushim Compliance Platform_" in wiki


def test_seed003_security_alert_with_mitre_and_custody() -> None:
    doc = render("seed003_security_alert")
    adf = to_adf(doc)

    assert types_of(adf) == [
        "heading", "panel", "paragraph", "heading", "table", "heading", "paragraph", "table",
        "orderedList", "paragraph",
    ]  # fmt: skip
    mitre = [[adf_to_text(c) for c in row["content"]] for row in adf["content"][4]["content"]]
    assert mitre == [
        ["Tactic", "Technique", "Name"],
        ["TA0006", "T1003", "OS Credential Dumping"],
        ["TA0002", "T1059", "Command and Scripting | Interpreter"],
    ]
    technique = adf["content"][4]["content"][1]["content"][1]["content"][0]["content"][0]
    assert technique["marks"] == [
        {"type": "link", "attrs": {"href": "https://attack.mitre.org/techniques/T1003/"}}
    ]
    hashes = adf["content"][7]["content"][2]["content"][1]["content"][0]["content"][0]
    assert hashes["marks"] == [{"type": "code"}]
    assert adf_to_text(adf["content"][8]).splitlines() == [
        "2026-11-20T10:01Z — collector: acquired",
        "2026-11-20T11:30Z — j.doe: hash verified",
    ]
    assert "Process *mimikatz.exe* read LSASS memory | PID 4242" in adf_to_text(adf)
    wiki = to_wiki(doc)
    assert "{warning}\nSeverity *critical* in workspace {{acme-prod}}\n{warning}" in wiki
    assert "||Tactic||Technique||Name||" in wiki
    assert (
        "|TA0006|[T1003|https://attack.mitre.org/techniques/T1003/]|OS Credential Dumping|" in wiki
    )
