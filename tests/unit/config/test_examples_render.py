"""Every example file loads with its conditions checked, and its templates render for an alert
of the seed family it is written for."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ticketbridge.bootstrap import load_config
from ticketbridge.render.builtin import BUILTIN_TEMPLATES
from ticketbridge.render.templates import TemplateEngine
from ticketbridge.rules import Router

EXAMPLES = Path(__file__).parents[3] / "examples"
WHEN = "2026-11-20T10:00:00+00:00"


def sample(source: str, kind: str, **attributes: Any) -> dict[str, Any]:
    return {
        "id": "alert_123",
        "source": source,
        "kind": kind,
        "title": "IAM MFA Enforcement",
        "description": "6 users without MFA",
        "severity": "critical",
        "confidence": 0.05,
        "status": "firing",
        "fingerprint": "fp",
        "attributes": attributes,
        "occurred_at": WHEN,
        "received_at": WHEN,
        "links": [{"title": "console", "url": "https://console.example/a"}],
    }


SAMPLES = {
    "ticketbridge.yaml": sample("truthvouch", "hallucination", model="m", policy_name="p"),
    "truthvouch.yaml": sample("truthvouch", "hallucination", model="gpt-4o"),
    "keeptrusts.yaml": sample(
        "keeptrusts",
        "escalation",
        action="block",
        policy_name="pii",
        model="gpt-4o",
        gateway_id="gw-1",
    ),
    "security.yaml": sample(
        "security",
        "security_alert",
        mitre={"tactics": [{"id": "TA0006", "name": "Credential Access"}], "techniques": []},
    ),
    "compliance.yaml": sample(
        "compliance",
        "control_failure",
        control_id="AWS_IAM_MFA",
        framework="SOC 2",
        evidence_id="ev-1",
    ),
}


NO_ALERTS = {"audital.yaml"}  # the audit trail's: GitHub pushes, no alert to render


def test_every_example_is_covered() -> None:
    assert {p.name for p in EXAMPLES.glob("*.yaml")} == set(SAMPLES) | NO_ALERTS


def test_the_audit_trails_example_takes_githubs_pushes() -> None:
    config = load_config(EXAMPLES / "audital.yaml", env={"GITHUB_WEBHOOK_SECRET": "secret"})
    assert config.sources["github"].secret is not None
    assert not config.routes


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_example_loads_and_renders(name: str) -> None:
    path = EXAMPLES / name
    variables = set(re.findall(r"\$\{(\w+)\}", path.read_text()))
    router = Router(load_config(path, env=dict.fromkeys(variables, "secret")))
    engine = TemplateEngine()
    alert = SAMPLES[name]

    plan = router.route(alert)
    assert plan.action == "ticket"
    assert plan.template is not None
    every = {**BUILTIN_TEMPLATES, **router.config.templates}  # security.yaml: a built-in
    template = every[plan.template]
    engine.compile("summary", template.summary, template.format)
    engine.compile("description", template.description, template.format)
    summary = engine.render("summary", {"alert": alert})
    description = engine.render("description", {"alert": alert})
    assert summary.strip()
    assert "{{" not in summary
    assert len(description.splitlines()) >= 3
