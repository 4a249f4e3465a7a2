"""Built-in issue templates, one per seed family, usable from config as `template: builtin/…`.

    builtin/hallucination_bug          seed 000 (TruthVouch): issue, details, action items
    builtin/ai_escalation              seed 001 (Keeptrusts): field table, investigation steps
    builtin/compliance_control_failure seed 004 (Kushim): control, failure, required actions
    builtin/security_alert             seed 003 (SentinelIQ): MITRE ATT&CK table, chain of
                                       custody (evidence hashes and the custody log)

They are Markdown over the alert as `alert.as_mapping()` gives it, and they read the attribute
names the native sources produce (`sources/*.py`). No alert can make one fail or hit a budget:
every attribute is optional (`default`), a list is read only if it is one (`listed`), and each
list shows at most its first entries (`_CAP`, then "… N more"), so their loops stay far below
the render's iteration budget whatever the alert's size. Values are escaped (the engine's
default, and `md_escape(inline=true)` in table cells); link targets go through `url`.
A configuration may define a template of the same name to replace a built-in.
"""

from __future__ import annotations

from types import MappingProxyType

from ticketbridge.config.models import TemplateConfig

BUILTIN_PREFIX = "builtin/"
_CAP = 50  # entries shown per list of the alert (links, MITRE, evidence, custody)

# The alert's first _CAP links as `[title](url)` (`default`: the title of one without), one per
# paragraph, or one per item of a bullet list.
_LINKS = """\
{% for link in alert.links[:CAP] -%}
PREFIX[{{ link.title | default("DEFAULT", true) | md_escape(inline=true) }}]({{ link.url | url }})
SEPARATOR{% endfor -%}
{% if alert.links | length > CAP %}… and {{ alert.links | length - CAP }} more links
{% endif %}"""


def _links(default: str, *, bullets: bool = False) -> str:
    text = _LINKS.replace("CAP", str(_CAP)).replace("DEFAULT", default)
    return text.replace("PREFIX", "- " if bullets else "").replace(
        "SEPARATOR", "" if bullets else "\n"
    )


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

""" + _links("Open")

_AI_ESCALATION = (
    """\
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
"""
    + _links("View in Keeptrusts Console")
    + """
### Investigation Steps
1. Open the console link above
2. Review the event context and conversation history
3. Determine if the violation is genuine or a false positive
4. Update this ticket with findings
5. Resolve the escalation in Keeptrusts"""
)

_COMPLIANCE_CONTROL_FAILURE = (
    """\
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
"""
    + _links("Link", bullets=True)
    + """{% endif %}
_Auto-created by ticketbridge_"""
)

_SECURITY_ALERT = (
    """\
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
{% set tactics = mitre.tactics | listed -%}
{% set techniques = mitre.techniques | listed -%}
{% if tactics or techniques -%}
| Type | ID | Name |
|---|---|---|
{% for t in tactics[:CAP] -%}
| Tactic | {% if t.id is defined %}[{{ t.id | md_escape(inline=true) }}]\
(https://attack.mitre.org/tactics/{{ t.id | string | urlencode }}/)\
{% else %}n/a{% endif %} | {{ t.name | default("") | md_escape(inline=true) }} |
{% endfor -%}
{% for t in techniques[:CAP] -%}
| Technique | {% if t.id is defined %}[{{ t.id | md_escape(inline=true) }}]\
(https://attack.mitre.org/techniques/{{ t.id | string | replace(".", "/") | urlencode }}/)\
{% else %}n/a{% endif %} | {{ t.name | default("") | md_escape(inline=true) }} |
{% endfor %}
{% if tactics | length > CAP or techniques | length > CAP -%}
… and {{ [tactics | length - CAP, 0] | max + [techniques | length - CAP, 0] | max }} more \
MITRE entries
{% endif -%}
{% else -%}
No MITRE ATT&CK mapping was sent.
{% endif %}
### Chain of custody
{% set evidence = custody.evidence | listed -%}
{% if evidence -%}
| Evidence | MD5 | SHA1 | SHA256 |
|---|---|---|---|
{% for item in evidence[:CAP] -%}
{% set h = item.hashes | default({}) -%}
| {{ item.name | default(item.id | default("evidence")) | md_escape(inline=true) }} \
| `{{ h.md5 | default("n/a") }}` | `{{ h.sha1 | default("n/a") }}` \
| `{{ h.sha256 | default("n/a") }}` |
{% endfor %}
{% if evidence | length > CAP %}… and {{ evidence | length - CAP }} more evidence items
{% endif -%}
{% else -%}
No evidence was attached.
{% endif %}
#### Custody log
{% set log = custody.log | listed -%}
{% set ns = namespace(log=log[:CAP], more=log | length > CAP) -%}
{% for item in evidence[:CAP] -%}
{% set entries = (item.custody_log | listed)[:CAP + 1] -%}
{% set ns.more = ns.more or (ns.log | length) + (entries | length) > CAP -%}
{% set ns.log = (ns.log + entries)[:CAP] -%}
{% endfor -%}
{% for entry in ns.log -%}
1. {{ entry.timestamp | default("(no time)") }} — \
{{ entry.actor | default("unknown") | md_escape(inline=true) }}: \
{{ entry.action | default("(no action)") | md_escape(inline=true) }}
{% else -%}
No custody entries were sent.
{% endfor %}
{% if ns.more or evidence | length > CAP %}… more custody entries are not shown
{% endif %}
""".replace("CAP", str(_CAP))
    + _links("View alert")
)

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
