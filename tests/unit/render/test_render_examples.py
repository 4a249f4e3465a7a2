"""Every template of every example configuration (examples/*.yaml) and every built-in renders
for the smallest alert a sender may post, and for one whose attributes have unexpected types:
no alert makes the create fail (issue 11, items 3 and 11)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from support.realworld import REPO
from ticketbridge.bootstrap import load_config
from ticketbridge.config import Config
from ticketbridge.domain import Alert
from ticketbridge.render import to_adf, to_wiki
from ticketbridge.render.builtin import BUILTIN_TEMPLATES
from ticketbridge.services import parse_alerts
from ticketbridge.services.templated import TemplateComposer, template_context

EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
ODD_ATTRIBUTES = {
    "mitre": "T1059",
    "custody": 5,
    "control_id": ["AWS", 1],
    "policy_name": {"nested": True},
    "model": None,
    "tags": [None, 3],
}
ODD_LISTS = {  # the security template's lists, each of another shape than it expects
    "mitre": {"tactics": 5, "techniques": ["T1059", {"id": ["T", 1]}, {"name": None}]},
    "custody": {"log": [{"actor": "a"}, "x"], "evidence": [{"custody_log": "x"}, 7]},
}
ALERTS: dict[str, dict[str, Any]] = {
    "minimal": {"title": "t", "severity": "high"},
    "odd-attributes": {"title": "t", "severity": "high", "attributes": ODD_ATTRIBUTES},
    "odd-lists": {"title": "t", "severity": "high", "attributes": ODD_LISTS},
}


def example_config(path: Path) -> Config:
    text = path.read_text(encoding="utf-8")
    env = dict.fromkeys(re.findall(r"\$\{(\w+)\}", text), "secret")
    return load_config(path, env=env)


def alert(name: str) -> Alert:
    [parsed] = parse_alerts(ALERTS[name], now=NOW)
    return parsed


def test_the_examples_are_all_here() -> None:
    names = {path.name for path in EXAMPLES}
    assert {"ticketbridge.yaml", "compliance.yaml", "keeptrusts.yaml"} <= names
    assert {"security.yaml", "truthvouch.yaml"} <= names


@pytest.mark.parametrize("which", sorted(ALERTS))
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_template_renders_for_the_alert(
    path: Path, which: str, assert_valid_adf: Callable[[Mapping[str, Any]], None]
) -> None:
    # examples/ticketbridge.yaml's template (SPEC §3: `alert.links[0].url`) failed for an
    # alert without links, the create dead-lettered.
    config = example_config(path)
    composer = TemplateComposer.from_config(config)
    context = template_context(alert(which))

    for name in config.templates:
        summary, description = composer.render_template(name, context)
        assert summary
        assert_valid_adf(to_adf(description))
        assert isinstance(to_wiki(description), str)
    for fields in [config.defaults.fields, *(route.fields for route in config.routes)]:
        rendered = composer.render_fields(fields, context)
        assert set(rendered) == set(fields)


@pytest.mark.parametrize("which", sorted(ALERTS))
@pytest.mark.parametrize("name", sorted(BUILTIN_TEMPLATES))
def test_every_builtin_renders_for_the_alert(
    name: str, which: str, assert_valid_adf: Callable[[Mapping[str, Any]], None]
) -> None:
    composer = TemplateComposer()
    summary, description = composer.render_template(name, template_context(alert(which)))
    assert summary
    assert_valid_adf(to_adf(description))
