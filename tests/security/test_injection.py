"""Alert text cannot inject into Jira (issue 11, item 7).

The attacks the review made, replayed against every way an alert becomes a description: the
SPEC §3 template as examples/ticketbridge.yaml has it (values unescaped in the template's text),
every built-in template, a wiki-markup template and the default description. For each, the ADF
(Cloud) and the wiki markup (Data Center) produced hold no link the alert chose the target of
except http(s)/mailto ones, never a link to the attacker's host, no mention and no heading the
template did not write. The end-to-end tests read the issues the Jira emulator stored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.seed_scenario import run_scenario, scenario_db
from support.realworld import REPO
from ticketbridge.bootstrap import load_config
from ticketbridge.domain import Alert
from ticketbridge.render import (
    Document,
    Heading,
    Link,
    Mention,
    Paragraph,
    TemplateEngine,
    Text,
    parse_wiki,
    to_adf,
    to_wiki,
)
from ticketbridge.render.builtin import BUILTIN_TEMPLATES
from ticketbridge.services import parse_alerts
from ticketbridge.services.compose import describe
from ticketbridge.services.templated import TemplateComposer, template_context
from ticketbridge.storage import Database

__all__ = ["scenario_db"]

EVIL = "evil.example"
VICTIM = "557058:0f1e2d3c-victim"
URL_ATTACKS = {
    "close-the-link": f"https://ok.example/a) [INJECTED](https://{EVIL})",
    "newline-heading-mention": f"https://ok.example/a\n# Heading @[{VICTIM}]\n[~{VICTIM}]",
    "javascript": "javascript:alert(document.cookie)",
    "javascript-mixed-case": " JaVaScRiPt:alert(1)",
    "data": "data:text/html,<script>alert(1)</script>",
    "file": "file:///etc/passwd",
    "protocol-relative": f"//{EVIL}/login",
}
TEXT_ATTACK = (
    f"[Reset your password](https://{EVIL}/reset) @[{VICTIM}] [~{VICTIM}]\n"
    f"# Urgent heading\n<https://{EVIL}/auto>\n[click|https://{EVIL}/wiki]\nh1. Wiki heading"
)
FLAVORS = ("cloud", "datacenter")
ALLOWED = re.compile(r"(?i)(https?://[a-z0-9\[%]|mailto:[^/])")  # the policy, independently


def spec_template() -> str:
    """The `templates:` section of examples/ticketbridge.yaml (SPEC §3's template)."""
    text = (REPO / "examples" / "ticketbridge.yaml").read_text(encoding="utf-8")
    env = dict.fromkeys(re.findall(r"\$\{(\w+)\}", text), "secret")
    config = load_config(text=text, env=env)
    return config.templates["hallucination_bug"].description


WIKI_TEMPLATE = (
    "h2. Issue\n{{ alert.description }}\n||Field||Value||\n|Title|{{ alert.title }}|\n"
    "[View in console|{{ alert.links[0].url }}]"
)


def attacked_alert(url: str) -> Alert:
    [alert] = parse_alerts(
        {
            "title": TEXT_ATTACK.replace("\n", " "),
            "severity": "critical",
            "description": TEXT_ATTACK,
            "links": [{"title": f"Open ) [INJECTED](https://{EVIL})", "url": url}],
            "attributes": {
                "query": TEXT_ATTACK,
                "policy_name": TEXT_ATTACK,
                "control_id": TEXT_ATTACK,
                "mitre": {"tactics": [{"id": f"TA1) [x](https://{EVIL})", "name": TEXT_ATTACK}]},
                "custody": {"evidence": [{"name": TEXT_ATTACK, "hashes": {"md5": "`a` @[x]"}}]},
            },
        },
        now=datetime(2026, 11, 20, tzinfo=UTC),
    )
    return alert


def descriptions(alert: Alert) -> Iterator[tuple[str, Document]]:
    """The alert's description by every template it could get."""
    context = template_context(alert)
    engine = TemplateEngine()
    yield "spec", engine.render_document(engine.compile("spec", spec_template()), context)
    yield "wiki", engine.render_document(engine.compile("wiki", WIKI_TEMPLATE, "wiki"), context)
    composer = TemplateComposer()
    for name in BUILTIN_TEMPLATES:
        yield name, composer.render_template(name, context)[1]
    yield "default", describe(alert)


@dataclass
class Found:
    """What a description holds that a reader can click or that notifies someone."""

    links: list[str] = field(default_factory=list)
    link_texts: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)

    def assert_safe(self) -> None:
        for href in self.links:
            assert ALLOWED.match(href), href
            assert urlsplit(href).hostname != EVIL, href
        assert not any(text.strip() == "INJECTED" for text in self.link_texts), self.link_texts
        assert self.mentions == []
        assert not [h for h in self.headings if "heading" in h.lower()], self.headings


def in_adf(adf: Mapping[str, Any]) -> Found:
    found = Found()
    stack: list[Any] = [adf]
    while stack:
        node = stack.pop()
        if node.get("type") == "mention":
            found.mentions.append(str(node["attrs"]["id"]))
        if node.get("type") == "heading":
            found.headings.append("".join(c.get("text", "") for c in node["content"]))
        for mark in node.get("marks", ()):
            if mark["type"] == "link":
                found.links.append(mark["attrs"]["href"])
                found.link_texts.append(node.get("text", ""))
        stack.extend(node.get("content") or ())
    return found


def inlines(blocks: Any) -> Iterator[Any]:
    """Every inline of a Document's blocks (whatever nests them)."""
    for block in blocks:
        for name in ("content", "items", "rows", "cells"):
            for child in getattr(block, name, ()) or ():
                if isinstance(child, Text | Mention):
                    yield child
                else:
                    yield from inlines([child])


def in_wiki(wiki: str) -> Found:
    """Read as Jira reads it (our parser of its syntax), and the raw markup: no mention or
    heading syntax that is not escaped."""
    assert not re.search(r"(?<!\\)\[~", wiki), wiki
    found = Found(headings=re.findall(r"(?m)^\s*h[1-6]\.\s*(.*)$", wiki))
    for inline in inlines(parse_wiki(wiki).blocks):
        if isinstance(inline, Mention):
            found.mentions.append(inline.account_id)
        if isinstance(inline, Text):
            for mark in inline.marks:
                if isinstance(mark, Link):
                    found.links.append(mark.href)
                    found.link_texts.append(inline.text)
    return found


@pytest.mark.parametrize("url", URL_ATTACKS.values(), ids=URL_ATTACKS.keys())
def test_no_template_lets_alert_text_add_links_mentions_or_headings(url: str) -> None:
    for name, document in descriptions(attacked_alert(url)):
        adf, wiki = to_adf(document), to_wiki(document)
        try:
            in_adf(adf).assert_safe()
            in_wiki(wiki).assert_safe()
        except AssertionError as error:
            raise AssertionError(f"template {name}: {error}") from error


def test_the_link_the_alert_sent_is_kept_whole_where_it_is_allowed() -> None:
    url = URL_ATTACKS["close-the-link"]
    for name, document in descriptions(attacked_alert(url)):
        links = in_adf(to_adf(document)).links
        assert "https://ok.example/a)%20%5BINJECTED%5D(https://evil.example)" in links, name


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "file:///etc/passwd"])
def test_refused_targets_are_never_links_on_any_path(url: str) -> None:
    # The default description wrote them as link marks; the Markdown path kept them as text.
    document = Document((Paragraph((Text("open", (Link(url),)),)),))
    assert in_adf(to_adf(document)).links == []
    assert "|" not in to_wiki(document)
    engine = TemplateEngine()
    for source in (f"[open]({url})", "[open]({{ u }})", "[open]({{ u | url }})"):
        rendered = engine.render_document(engine.compile("t", source), {"u": url})
        assert in_adf(to_adf(rendered)).links == [], source
    wiki = engine.render_document(engine.compile("w", f"[open|{url}]", "wiki"), {})
    assert in_adf(to_adf(wiki)).links == []


HREF_STARTS = ["", "https://", "http://", "mailto:", "javascript:", " JaVaScRiPt:", "//"]
HREF_STARTS += ["\x00https://", "https:/\\", "https:\\\\", "data:", "file:", "https://\n"]
HREF = st.builds(
    str.__add__,
    st.sampled_from(HREF_STARTS),
    st.text(st.sampled_from([*"ab.:/\\?#@ \n\t()[]|<>%\"'", "é", "\u2028"]), max_size=12),
)


@settings(max_examples=400, deadline=None)
@given(href=HREF)
def test_whatever_a_link_holds_only_allowed_targets_reach_jira(href: str) -> None:
    document = Document((Paragraph((Text("open", (Link(href),)),)),))
    engine = TemplateEngine()
    rendered = engine.render_document(
        engine.compile("t", "[a]({{ u | safe }}) [b]({{ u }})"), {"u": href}
    )
    wiki = engine.render_document(engine.compile("w", "[a|{{ u | safe }}]", "wiki"), {"u": href})
    for each in (document, rendered, wiki):
        Found(links=in_adf(to_adf(each)).links).assert_safe()
        Found(links=in_wiki(to_wiki(each)).links).assert_safe()


MARKUP = st.lists(
    st.sampled_from([*"ab1 .:/-#*_[]()!|@~>`<\\{}h\n", "https://evil.example", "@[x]", "[~x]"]),
    max_size=30,
).map("".join)
HEADINGS = {  # the headings the templates write themselves
    "spec": {"Issue"},
    "wiki": {"Issue"},
    "builtin/hallucination_bug": {"Issue", "Details", "Action Items"},
    "builtin/ai_escalation": {"AI Governance Escalation", "Investigation Steps"},
    "builtin/compliance_control_failure": set(),
    "builtin/security_alert": {"Security alert", "MITRE ATT&CK", "Chain of custody"}
    | {"Custody log"},
    "default": {"Links"},
}


@settings(max_examples=60, deadline=None)
@given(text=MARKUP, url=st.one_of(MARKUP, st.sampled_from(list(URL_ATTACKS.values()))))
def test_no_alert_text_adds_a_link_mention_or_heading(text: str, url: str) -> None:
    [alert] = parse_alerts(
        {
            "title": text.strip() or "t",  # a blank title is refused (422), not rendered
            "severity": "high",
            "description": text,
            "links": [{"title": text, "url": url.strip() or "u"}],  # a blank url is a 422
            "attributes": dict.fromkeys(["query", "policy_name", "control_id", "action"], text),
        },
        now=datetime(2026, 11, 20, tzinfo=UTC),
    )
    for name, document in descriptions(alert):
        for found in (in_adf(to_adf(document)), in_wiki(to_wiki(document))):
            found.assert_safe()
            assert set(found.headings) <= HEADINGS[name], (name, found.headings)


def test_mentions_come_only_from_the_templates_own_text() -> None:
    engine = TemplateEngine()
    source = "Paging @[557058:oncall] about {{ v | safe }} and {{ w }}"
    document = engine.render_document(
        engine.compile("t", source), {"v": f"@[{VICTIM}]", "w": f"@[{VICTIM}]"}
    )
    assert in_adf(to_adf(document)).mentions == ["557058:oncall"]
    wiki = engine.compile("w", "[~oncall] {{ v | safe }} {{ w }}", "wiki")
    rendered = engine.render_document(wiki, {"v": f"[~{VICTIM}]", "w": f"[~{VICTIM}]"})
    assert in_adf(to_adf(rendered)).mentions == ["oncall"]
    assert re.findall(r"(?<!\\)\[~([^\]]*)\]", to_wiki(rendered)) == ["oncall"]


def test_values_are_text_by_default_and_code_stays_code() -> None:
    engine = TemplateEngine()
    source = "# {{ t }}\n\n`{{ c }}` [{{ t }}]({{ u }})\n\n```\n{{ block }}\n```\n"
    context = {
        "t": "**x** [y](https://evil.example)",
        "c": "a-b_c",
        "u": "https://ok.example/p",
        "block": "line 1\n# not a heading\n[a](https://evil.example)",
    }
    document = engine.render_document(engine.compile("t", source), context)
    assert document.blocks[0] == Heading(1, (Text("**x** [y](https://evil.example)"),))
    assert in_adf(to_adf(document)).links == ["https://ok.example/p"]
    assert "`a-b_c`" not in to_wiki(document)
    assert "{{a-b_c}}" in to_wiki(document)
    assert "line 1\n# not a heading\n[a](https://evil.example)" in to_wiki(document)


# -- end to end: the issues the Jira emulator stores -----------------------------------------

E2E_CONFIG = """\
jira:
  {flavor: cloud, url: https://acme.atlassian.net, auth: {type: token, email: a@b.c, api_token: t}}
defaults: {project: OPS, issue_type: Task, min_severity: info}
templates:
  spec:
    summary: "{{ alert.title }}"
    description: |
TEMPLATE
routes:
  - {name: spec, when: 'attributes.use == "spec"', template: spec}
  - {name: builtin, when: 'attributes.use == "builtin"', template: builtin/ai_escalation}
  - {name: plain, when: 'true'}
"""


def e2e_config() -> str:
    indented = "\n".join("      " + line for line in spec_template().splitlines())
    return E2E_CONFIG.replace("TEMPLATE", indented)


def payloads() -> list[dict[str, Any]]:
    out = []
    for index, (use, url) in enumerate(
        (use, url) for use in ("spec", "builtin", "plain") for url in URL_ATTACKS.values()
    ):
        out.append(
            {
                "id": f"attack-{index}",
                "fingerprint": f"fp-{index}",
                "title": "Alert with hostile text",
                "severity": "critical",
                "description": TEXT_ATTACK,
                "links": [{"title": f"Open ) [INJECTED](https://{EVIL})", "url": url}],
                "attributes": {"use": use, "policy_name": TEXT_ATTACK},
            }
        )
    return out


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_the_issues_jira_stores_hold_no_injected_link_or_mention(
    flavor: Any, scenario_db: Database
) -> None:
    sent = payloads()
    scenario = await run_scenario(
        scenario_db, e2e_config(), "generic", [json.dumps(p) for p in sent], flavor=flavor
    )
    issues = scenario.issues()
    assert len(issues) == len(sent)
    for issue in issues:
        description = issue.fields["description"]
        found = in_adf(description) if flavor == "cloud" else in_wiki(description)
        found.assert_safe()
    described = json.dumps([i.fields["description"] for i in issues])
    assert "ok.example/a)%20%5BINJECTED%5D" in described  # the sent link, whole
