"""Built-in issue templates, one per seed family, usable from config as `template: builtin/…`.

    builtin/hallucination_bug          seed 000 (TruthVouch): issue, details, action items
    builtin/ai_escalation              seed 001 (Keeptrusts): field table, investigation steps
    builtin/compliance_control_failure seed 004 (Kushim): control, failure, required actions
    builtin/security_alert             seed 003 (SentinelIQ): MITRE ATT&CK table, chain of
                                       custody (evidence hashes and the custody log)

They are Markdown over the alert as `alert.as_mapping()` gives it, and they read the attribute
names the native sources produce (`sources/*.py`). Every attribute is optional (`default`), so
a built-in never fails on an alert that lacks one; untrusted values go through `md_escape`.
A configuration may define a template of the same name to replace a built-in.
"""

from __future__ import annotations

from types import MappingProxyType

from ticketbridge.config.models import TemplateConfig

__all__ = ["BUILTIN_PREFIX", "BUILTIN_TEMPLATES", "builtin_names"]

BUILTIN_PREFIX = "builtin/"

_HALLUCINATION_BUG = """\
## Issue
{{ alert.description | md_escape }}

## Details
{% set a = alert.attributes -%}
- Confidence: {{ alert.confidence if alert.confidence is not none else "n/a" }}
- Query: {{ a.query | default("n/a") | md_escape(inline=true) }}
- Response: {{ a.response | default("n/a") | md_escape(inline=true) }}
- Category: {{ a.category | default("n/a") | md_escape(inline=true) }}
- Model: {{ a.model | default("n/a") | md_escape(inline=true) }}

## Action Items
- Review output
- Verify against knowledge base
- Update system prompts if needed
- Monitor for similar issues
{% for link in alert.links %}
[{{ link.title | default("Open", true) | md_escape(inline=true) }}]({{ link.url }})
{% endfor %}"""

_AI_ESCALATION = """\
## AI Governance Escalation
{% set a = alert.attributes -%}
| Field | Value |
|---|---|
| Policy | {{ a.policy_name | default("n/a") | md_escape(inline=true) }} |
| Action | {{ a.action | default("n/a") | md_escape(inline=true) }} |
| Model | {{ a.model | default("n/a") | md_escape(inline=true) }} |
| Gateway | {{ a.gateway_id | default("n/a") | md_escape(inline=true) }} |
| User | {{ a.user_id | default("n/a") | md_escape(inline=true) }} |
| Time | {{ alert.occurred_at }} |
| Escalation ID | {{ a.escalation_id | default(alert.id) | md_escape(inline=true) }} |

{% if alert.description %}{{ alert.description | md_escape }}

{% endif -%}
{% for link in alert.links -%}
[{{ link.title | default("View in Keeptrusts Console", true) | md_escape(inline=true) }}]\
({{ link.url }})
{% endfor %}
### Investigation Steps
1. Open the console link above
2. Review the event context and conversation history
3. Determine if the violation is genuine or a false positive
4. Update this ticket with findings
5. Resolve the escalation in Keeptrusts"""

_COMPLIANCE_CONTROL_FAILURE = """\
{% set a = alert.attributes -%}
**Compliance Control Failed**

**Control ID:** {{ a.control_id | default("n/a") | md_escape(inline=true) }}
**Control Title:** {{ a.control_title | default(alert.title) | md_escape(inline=true) }}
**Framework:** {{ a.framework | default("n/a") | md_escape(inline=true) }}
**Severity:** {{ alert.severity }}

**Failure Reason:**
{{ a.failure_reason | default(alert.description, true) | default("n/a", true) | md_escape }}

**Evidence ID:** {{ a.evidence_id | default("n/a") | md_escape(inline=true) }}
**Detected:** {{ alert.occurred_at }}

**Required Actions:**
1. Review failure details
2. Implement remediation
3. Re-run compliance check
4. Verify resolution
{% if alert.links %}
**Links:**
{% for link in alert.links -%}
- [{{ link.title | default("Link", true) | md_escape(inline=true) }}]({{ link.url }})
{% endfor %}{% endif %}
_Auto-created by ticketbridge_"""

_SECURITY_ALERT = """\
{% set a = alert.attributes -%}
{% set mitre = a.mitre | default({}) -%}
{% set custody = a.custody | default({}) -%}
## Security alert
{{ alert.description | md_escape }}

| Field | Value |
|---|---|
| Severity | {{ alert.severity }} |
| Source | {{ alert.source | md_escape(inline=true) }} |
| Detected | {{ alert.occurred_at }} |
| Alert ID | {{ alert.id | md_escape(inline=true) }} |

### MITRE ATT&CK
{% set tactics = mitre.tactics | default([]) -%}
{% set techniques = mitre.techniques | default([]) -%}
{% if tactics or techniques -%}
| Type | ID | Name |
|---|---|---|
{% for t in tactics -%}
| Tactic | {% if t.id is defined %}[{{ t.id }}](https://attack.mitre.org/tactics/{{ t.id }}/)\
{% else %}n/a{% endif %} | {{ t.name | default("") | md_escape(inline=true) }} |
{% endfor -%}
{% for t in techniques -%}
| Technique | {% if t.id is defined %}\
[{{ t.id }}](https://attack.mitre.org/techniques/{{ t.id | replace(".", "/") }}/)\
{% else %}n/a{% endif %} | {{ t.name | default("") | md_escape(inline=true) }} |
{% endfor %}
{% else -%}
No MITRE ATT&CK mapping was sent.
{% endif %}
### Chain of custody
{% set evidence = custody.evidence | default([]) -%}
{% if evidence -%}
| Evidence | MD5 | SHA1 | SHA256 |
|---|---|---|---|
{% for item in evidence -%}
{% set h = item.hashes | default({}) -%}
| {{ item.name | default(item.id | default("evidence")) | md_escape(inline=true) }} \
| `{{ h.md5 | default("n/a") }}` | `{{ h.sha1 | default("n/a") }}` \
| `{{ h.sha256 | default("n/a") }}` |
{% endfor %}
{% else -%}
No evidence was attached.
{% endif %}
#### Custody log
{% set ns = namespace(log=custody.log | default([])) -%}
{% for item in evidence %}{% set ns.log = ns.log + (item.custody_log | default([])) %}{% endfor -%}
{% for entry in ns.log -%}
1. {{ entry.timestamp | default("(no time)") }} — \
{{ entry.actor | default("unknown") | md_escape(inline=true) }}: \
{{ entry.action | md_escape(inline=true) }}
{% else -%}
No custody entries were sent.
{% endfor %}
{% for link in alert.links -%}
[{{ link.title | default("View alert", true) | md_escape(inline=true) }}]({{ link.url }})
{% endfor %}"""

BUILTIN_TEMPLATES = MappingProxyType(
    {
        f"{BUILTIN_PREFIX}hallucination_bug": TemplateConfig(
            summary="Hallucination: {{ alert.title }}", description=_HALLUCINATION_BUG
        ),
        f"{BUILTIN_PREFIX}ai_escalation": TemplateConfig(
            summary="{{ alert.title }}", description=_AI_ESCALATION
        ),
        f"{BUILTIN_PREFIX}compliance_control_failure": TemplateConfig(
            summary=(
                "[{{ alert.attributes.control_id | default('control') }}] "
                "{{ alert.attributes.control_title | default(alert.title) }} - Compliance Failure"
            ),
            description=_COMPLIANCE_CONTROL_FAILURE,
        ),
        f"{BUILTIN_PREFIX}security_alert": TemplateConfig(
            summary="[{{ alert.severity | upper }}] {{ alert.title }}", description=_SECURITY_ALERT
        ),
    }
)
"""Name → template. Read-only: built-ins are shared by every configuration in the process."""


def builtin_names() -> tuple[str, ...]:
    """What `load_config(known_templates=…)` accepts besides the file's own templates."""
    return tuple(BUILTIN_TEMPLATES)
